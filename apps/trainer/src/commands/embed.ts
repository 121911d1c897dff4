/**
 * `nx run trainer:embed --run <run-id> --images <dir>`: aligns every face found under a folder, embeds it with a
 * trained run and writes a gallery (libs/clustering's format) with the aligned crops as PNG next to it — the
 * command-line shell over @feenet/inference's `buildPhotoGallery` (resumable: a rerun continues where it stopped).
 */
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { buildPhotoGallery, personRuleProblem, PhotoGalleryError, type PersonRule } from '@feenet/inference';
import { booleanFlag, flagKinds, numberFlag, requiredStringFlag, stringFlag, UsageError, parseCommandFlags } from '../cli-args';
import { DEFAULT_EXPERIMENTS_DIR, alignerFlags, enginePreference, padFlag, runDirOf, runFaceSettings } from '../gallery-faces';
import { bar, duration, ProgressLine } from '../progress';

const HELP = `usage: nx run trainer:embed --images <dir> [--run <run-id>] [options]

  --run <id|dir>              trained run whose model embeds the faces (experiments/<id>); default: the bundled
                              real-face model, models/feenet-fer2013
  --images <dir>              photos, searched recursively (dotfiles skipped)
  --out <dir>                 gallery folder (default experiments/<run>/galleries/<images folder name>)
  --keep-all                  also keep faces that fail the quality thresholds (default: drop them)
  --aligned                   the files are already face crops: no detection, one face per file
  --pad <share>               with --aligned: edge-replicated border per side, as a share of the side
                              (default: the pad of the run's own labelled-folder dataset, else 0; FER2013: 0.1667)
  --person-from <how>         folder: the immediate subfolder of <dir> (default); none; or
                              filename-regex:<re>: the first group of <re> matched on the file name
  --label-from folder|none    label = the immediate subfolder of <dir> (default none)
  --detector <name>           ssd-mobilenet-v1 (default) or tiny-face-detector
  --min-confidence <p>        detection score threshold (default 0.5)
  --engine <name>             auto (default), fastest, onnxruntime or tfjs
  --workers <n>               threads aligning photos, one core each (default: the machine's cores)
  --experiments-dir <dir>     default experiments
  --force                     rebuild the gallery even if it exists`;

const FLAGS = flagKinds(
  ['run', 'images', 'out', 'pad', 'person-from', 'label-from', 'detector', 'min-confidence', 'engine', 'experiments-dir', 'workers'],
  ['keep-all', 'aligned', 'force'],
);

function choice(value: string | undefined, name: string): 'folder' | 'none' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'folder' && value !== 'none') throw new UsageError(`--${name} must be folder or none, got "${value}"`);
  return value;
}

function personFromFlag(value: string | undefined): PersonRule {
  const rule = value ?? 'folder';
  const problem = personRuleProblem(rule);
  if (problem) throw new UsageError(`--person-from ${problem}`);
  return rule as PersonRule;
}

export async function run(argv: string[]): Promise<void> {
  const flags = parseCommandFlags(argv, HELP, FLAGS);
  if (!flags) return;

  const experimentsDir = stringFlag(flags, 'experiments-dir') ?? DEFAULT_EXPERIMENTS_DIR;
  const runDir = runDirOf(stringFlag(flags, 'run'), experimentsDir);
  const imagesDir = path.resolve(requiredStringFlag(flags, 'images'));
  const out = path.resolve(stringFlag(flags, 'out') ?? path.join(runDir, 'galleries', path.basename(imagesDir)));
  const aligned = booleanFlag(flags, 'aligned');
  if (!aligned && flags.has('pad')) throw new UsageError('--pad only applies with --aligned');
  const faceApi = alignerFlags(flags);

  const progress = new ProgressLine();
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    progress.log('stopping after the images in flight (Ctrl-C again to quit now; rerun to continue)...');
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await buildPhotoGallery(
      {
        runDir,
        imagesDir,
        outDir: out,
        aligned,
        pad: aligned ? padFlag(flags, runFaceSettings(runDir).folderPad ?? 0) : null,
        keepAll: booleanFlag(flags, 'keep-all'),
        personFrom: personFromFlag(stringFlag(flags, 'person-from')),
        labelFrom: choice(stringFlag(flags, 'label-from'), 'label-from') ?? 'none',
        detector: faceApi.model ?? null,
        minConfidence: faceApi.minConfidence ?? null,
        engine: enginePreference(flags),
        workers: numberFlag(flags, 'workers') ?? availableParallelism(),
        force: booleanFlag(flags, 'force'),
      },
      {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.kind === 'log') progress.log(e.message);
          else if (e.kind === 'failure') progress.log(`  ✗ ${e.source}: ${e.message}`);
          else {
            progress.update(
              `images ${bar(e.done / e.total)} ${e.done}/${e.total} · faces ${e.faces} · failures ${e.failures} · ${e.imagesPerSecond.toFixed(1)} img/s · ETA ${duration(e.etaSeconds)}`,
            );
          }
        },
      },
    );
    progress.done();
    switch (result.status) {
      case 'exists':
        console.log(`gallery already exists: ${out} (${result.faces} faces, run ${result.runId ?? 'unknown'}); nothing to do (--force rebuilds it)`);
        break;
      case 'stopped':
        console.log(`${result.report}\nstopped early: ${result.left} images left; rerun the same command to continue`);
        process.exitCode = 130;
        break;
      case 'no-faces':
        console.log(`${result.report}\nno faces to embed: no gallery written`);
        process.exitCode = 1;
        break;
      case 'written':
        console.log(
          `${result.report}\nengine: ${result.engine}\ntime: ${duration(result.seconds)} for ${result.images} images this run\ngallery: ${out} (${result.faces} faces, ${result.dim}-d, run ${result.runId})`,
        );
    }
  } catch (err) {
    if (err instanceof PhotoGalleryError) throw new UsageError(err.message);
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    progress.done();
  }
}
