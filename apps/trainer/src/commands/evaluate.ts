import * as path from 'node:path';
import { evaluateExperiment, Experiment, listExperiments } from '@feenet/feenet';
import { parseFlags, stringFlag, UsageError } from '../cli-args';
import { percent, ProgressLine } from '../progress';
import { reportTrainEvents } from './train';

export async function run(argv: string[]): Promise<void> {
  const { flags } = parseFlags(argv);
  const experimentsDir = stringFlag(flags, 'experiments-dir') ?? 'experiments';
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
