import * as path from 'node:path';
import { Experiment, listExperiments, NonFiniteLossError, PRESETS, train, trainConfigHelp, TrainingStopped, type TrainEvent } from '@feenet/feenet';
import { createGallery, embeddingMatrix, saveGallery } from '@feenet/clustering';
import { parseFlags, UsageError } from '../cli-args';
import { buildTrainConfig, FOLDER_HELP, SYNTHETIC_HELP, TRAIN_FLAG_KINDS } from '../run-config';
import { bar, duration, percent, ProgressLine } from '../progress';

export function reportTrainEvents(progress: ProgressLine): (e: TrainEvent) => void {
  return (e) => {
    switch (e.kind) {
      case 'status':
        progress.log(e.message);
        break;
      case 'loading':
        progress.update(`${e.stage} ${bar(e.done / e.total)} ${e.done}/${e.total}`, e.done === e.total);
        break;
      case 'step':
        progress.update(
          `epoch ${e.epoch + 1} ${bar(e.step / e.totalSteps)} step ${e.step}/${e.totalSteps}  loss ${e.loss.toFixed(4)}  ${e.tripletsPerSecond.toFixed(1)} triplets/s  ETA ${duration(e.etaSeconds)}`,
        );
        break;
      case 'eval': {
        const m = e.metric;
        progress.log(
          `epoch ${m.epoch + 1}: ${m.split} triplet accuracy ${percent(m.accuracy)} (one-class ${percent(m.byType.ONE_CLASS.accuracy)}, two-class ${percent(m.byType.TWO_CLASS.accuracy)}, three-class ${percent(m.byType.THREE_CLASS.accuracy)}), embedding spread ${m.spread.toFixed(3)}`,
        );
        if (e.collapsed) progress.log(`WARNING: the embeddings have collapsed (mean pairwise distance ${m.spread.toFixed(4)}): every face maps to nearly the same point`);
        break;
      }
      case 'checkpoint':
        break;
    }
  };
}

function findResumable(experimentsDir: string, runId: string | true): Experiment {
  if (runId !== true) {
    const dir = runId.includes('/') ? runId : path.join(experimentsDir, runId);
    return Experiment.open(dir);
  }
  const candidate = listExperiments(experimentsDir).find((e) => e.hasCheckpoint() && !e.readSummary());
  if (!candidate) throw new UsageError(`no unfinished run with a checkpoint under ${experimentsDir}`);
  return candidate;
}

/** `--resume` alone means the newest unfinished run; parseArgs has no optional values, so it becomes `--resume=`. */
function withBareResume(argv: readonly string[]): string[] {
  return argv.map((arg, i) => (arg === '--resume' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) ? '--resume=' : arg));
}

export async function run(argv: string[]): Promise<void> {
  const { flags } = parseFlags(withBareResume(argv), TRAIN_FLAG_KINDS);
  if (flags.has('help')) {
    console.log(
      [
        `usage: nx run trainer:train [--preset ${Object.keys(PRESETS).join('|')}] [--config file.json] [--resume [run-id]] [flags]`,
        '',
        'training settings (each a field of config.json):',
        trainConfigHelp(),
        '',
        `dataset: --dataset synthetic|fec|folder|<prepared dir>; synthetic: ${SYNTHETIC_HELP}; folder: ${FOLDER_HELP}`,
      ].join('\n'),
    );
    return;
  }
  const resumeFlag = flags.get('resume');
  const config = buildTrainConfig(new Map([...flags].filter(([k]) => k !== 'resume')));
  const resume = resumeFlag === undefined ? undefined : findResumable(config.experimentsDir, resumeFlag === '' ? true : String(resumeFlag));

  const progress = new ProgressLine();
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    progress.log('stopping after this step (Ctrl-C again to quit at once)...');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const result = await train(config, { resume, onEvent: reportTrainEvents(progress), signal: controller.signal });
    progress.done();
    const { summary, experiment } = result;
    // The test faces' embeddings, in the gallery format the workbench and libs/clustering read.
    const galleryDir = path.join(experiment.dir, 'test-gallery');
    const datasetRoot = summary.dataset.root;
    const gallery = createGallery(
      result.testFaces.map((f) => ({
        id: f.id,
        image: path.relative(galleryDir, path.join(datasetRoot, f.file)),
        ...(f.person ? { person: f.person } : {}),
        ...(f.label ? { label: f.label } : {}),
        split: f.split,
      })),
      embeddingMatrix(result.testEmbeddings, 16),
      { runId: summary.runId },
    );
    await saveGallery(galleryDir, gallery);
    const t = summary.test!;
    console.log(
      [
        '',
        `run ${summary.runId} finished in ${duration(summary.wallSeconds)} on ${summary.backend}${(summary.workers ?? 1) > 1 ? `, data-parallel over ${summary.workers} workers` : ''}`,
        `  ${summary.tripletsSeen.toLocaleString('en-US')} triplets seen, ${summary.tripletsPerSecond.toFixed(1)} triplets/s in training steps`,
        `  validation triplet accuracy ${percent(summary.validation?.accuracy)}`,
        `  test triplet accuracy       ${percent(t.accuracy)}  (one-class ${percent(t.byType.ONE_CLASS.accuracy)}, two-class ${percent(t.byType.TWO_CLASS.accuracy)}, three-class ${percent(t.byType.THREE_CLASS.accuracy)}; ${t.triplets} triplets)`,
        `  reference: FECNet 81.8%, FEENet 84.5%, human raters 86.2% (on FEC)`,
        summary.collapsed ? '  WARNING: the embedding collapsed (see metrics.jsonl spread)' : `  embedding spread ${t.spread.toFixed(3)} (not collapsed)`,
        `  written to ${experiment.dir}`,
      ].join('\n'),
    );
  } catch (err) {
    progress.done();
    if (err instanceof TrainingStopped || err instanceof NonFiniteLossError) {
      console.error(err.message);
      process.exitCode = err instanceof TrainingStopped ? 130 : 1;
      return;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
