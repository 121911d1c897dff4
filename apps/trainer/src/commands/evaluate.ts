/**
 * `nx run trainer:evaluate --run <id>`: recomputes a run's test triplet accuracy from its saved model and checks
 * it against summary.json.
 * `nx run trainer:evaluate --run <id> --faces <dir> --label-from folder [--person-from ...]`: judges the run on a
 * labelled photo folder instead — aligns and embeds it through `trainer:embed` (resumable, cached as a gallery
 * under the run) and prints two-class triplet accuracy and, where persons are known, identity invariance.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { identityInvariance, loadGallery, twoClassTripletAccuracy } from '@feenet/clustering';
import { evaluateExperiment, Experiment, listExperiments } from '@feenet/feenet';
import { flagKinds, parseFlags, stringFlag, UsageError, type FlagValue } from '../cli-args';
import { DEFAULT_EXPERIMENTS_DIR, runDirOf } from '../gallery-faces';
import { percent, ProgressLine } from '../progress';
import { run as embed } from './embed';
import { reportTrainEvents } from './train';

const HELP = `usage: nx run trainer:evaluate --run <run-id> [--faces <dir> --label-from folder [options]]

  --run <id|dir>              the run (default: the newest finished one; with --faces, the bundled model)
  --faces <dir>               a labelled photo folder to judge the run on, instead of its test triplets
  --label-from folder         label = the immediate subfolder of <dir> (required with --faces)
  --person-from <how>         none (default), folder, or filename-regex:<re> (first group of <re> on the file name)
  --aligned [--pad <share>]   the photos are already face crops (see trainer:embed)
  --detector <name>           ssd-mobilenet-v1 (default) or tiny-face-detector (faster on small photos)
  --triplets <n>              two-class triplets sampled (default 5000), seeded by --seed (default 1)
  --out <dir>                 gallery folder (default experiments/<run>/galleries/eval-<folder name>)
  --experiments-dir <dir>     default experiments`;

const FLAGS = flagKinds(['run', 'faces', 'label-from', 'person-from', 'triplets', 'seed', 'out', 'experiments-dir', 'detector', 'min-confidence', 'engine', 'pad'], ['aligned']);

export async function run(argv: string[]): Promise<void> {
  const { flags } = parseFlags(argv, FLAGS);
  if (flags.has('help')) return void console.log(HELP);
  if (flags.has('faces')) return evaluateOnFolder(flags);
  const experimentsDir = stringFlag(flags, 'experiments-dir') ?? DEFAULT_EXPERIMENTS_DIR;
  const runId = stringFlag(flags, 'run');
  const experiment = runId
    ? Experiment.open(runId.includes('/') ? runId : path.join(experimentsDir, runId))
    : listExperiments(experimentsDir).find((e) => e.readSummary()?.status === 'completed');
  if (!experiment) throw new UsageError(`no finished run under ${experimentsDir}: pass --run <run-id>`);
  const progress = new ProgressLine();
  const { summary, test } = await evaluateExperiment(experiment, reportTrainEvents(progress));
  progress.done();
  console.log(`run ${experiment.runId}: test triplet accuracy ${percent(test.accuracy)} on ${test.triplets} triplets (one-class ${percent(test.byType.ONE_CLASS.accuracy)}, two-class ${percent(test.byType.TWO_CLASS.accuracy)}, three-class ${percent(test.byType.THREE_CLASS.accuracy)})`);
  if (!summary?.test) {
    console.log('summary.json has no test accuracy to compare with (unfinished run)');
    return;
  }
  const diff = Math.abs(summary.test.accuracy - test.accuracy);
  if (diff > 1e-9) {
    console.error(`MISMATCH: summary.json says ${percent(summary.test.accuracy)}`);
    process.exitCode = 1;
  } else {
    console.log(`matches summary.json (${percent(summary.test.accuracy)})`);
  }
}

async function evaluateOnFolder(flags: Map<string, FlagValue>): Promise<void> {
  const experimentsDir = stringFlag(flags, 'experiments-dir') ?? DEFAULT_EXPERIMENTS_DIR;
  const runArg = stringFlag(flags, 'run');
  const faces = path.resolve(stringFlag(flags, 'faces')!);
  if (!existsSync(faces)) throw new UsageError(`faces folder not found: ${faces}`);
  if (stringFlag(flags, 'label-from') !== 'folder') throw new UsageError('--faces needs --label-from folder: triplets are drawn from the labels');
  const count = Number(stringFlag(flags, 'triplets') ?? 5000);
  const seed = Number(stringFlag(flags, 'seed') ?? 1);
  if (!(Number.isInteger(count) && count > 0)) throw new UsageError(`--triplets must be a positive whole number, got ${count}`);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number, got ${seed}`);
  const runDir = runDirOf(runArg, experimentsDir);
  const out = path.resolve(stringFlag(flags, 'out') ?? path.join(runDir, 'galleries', `eval-${path.basename(faces)}`));

  // Every face found counts (--keep-all): the figure is about the embedding, not the quality filter.
  const passOn = ['aligned', 'pad', 'detector', 'min-confidence', 'engine'].flatMap((name) => {
    const v = flags.get(name);
    return v === undefined ? [] : typeof v === 'boolean' ? [v ? `--${name}` : `--no-${name}`] : [`--${name}`, v];
  });
  await embed([...(runArg ? ['--run', runArg] : []), '--images', faces, '--out', out, '--experiments-dir', experimentsDir, '--label-from', 'folder',
    '--person-from', stringFlag(flags, 'person-from') ?? 'none', '--keep-all', ...passOn]);
  if (process.exitCode) return;

  const gallery = await loadGallery(out);
  const labelled = gallery.faces.filter((f) => f.label !== undefined).length;
  const persons = new Set(gallery.faces.map((f) => f.person).filter((p) => p !== undefined)).size;
  const two = twoClassTripletAccuracy(gallery, { count, seed });
  console.log(`\nrun ${path.basename(runDir)} on ${faces}: ${labelled} labelled faces, ${persons || 'no'} persons`);
  console.log(`two-class triplet accuracy: ${percent(two.accuracy)} on ${two.triplets} triplets${two.acrossPersons ? ' (anchor and positive of different persons)' : ''}; chance 33.3 %`);
  const invariance = identityInvariance(gallery, { count, seed });
  console.log(
    invariance
      ? `identity invariance: ${percent(invariance.share)} of ${invariance.comparisons} comparisons put another person's face with the same expression closer than the same person's face with another (100 % ignores identity)`
      : 'identity invariance: not measured (needs persons with several expressions: --person-from)',
  );
}
