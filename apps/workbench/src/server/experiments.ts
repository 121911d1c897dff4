/**
 * Training runs as the experiments cell shows them: one row per run folder under the experiments root, and one
 * per model bundled under the models root, read from the files the trainer writes (config.json, summary.json,
 * metrics.jsonl). Unfinished and failed runs are listed too, with what is known so far.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
// Types only: a value import would bundle the whole training stack (tfjs, face-api, workers) into the Next server.
import type { MetricLine, RunSummary, TrainConfig } from '@feenet/feenet';
import { resolveInRoot, type WorkbenchRoots } from './roots';

/**
 * `running`: no summary yet and its metrics were written within `RUNNING_WINDOW_MS` (a step is logged every few
 * seconds to minutes); `stopped`: no summary and quiet since — killed or interrupted, resumable from its
 * checkpoint with `trainer:train --resume <run>`.
 */
export type RunStatus = 'completed' | 'failed' | 'running' | 'stopped';

/** How recently a run without a summary must have written metrics to count as running. */
export const RUNNING_WINDOW_MS = 5 * 60_000;

type SplitResult = NonNullable<RunSummary['test']>;

export interface ExperimentRow {
  readonly runId: string;
  readonly status: RunStatus;
  readonly dataset: string;
  readonly backbone: string;
  readonly inputSize: number | null;
  readonly backend: string | null;
  readonly parameters: number | null;
  readonly tripletsSeen: number | null;
  readonly wallSeconds: number | null;
  readonly validation: SplitResult | null;
  readonly test: SplitResult | null;
  readonly failure: string | null;
  /** The embedding collapsed to (nearly) one point: the test accuracy means nothing. */
  readonly collapsed: boolean;
  /** Steps logged so far (metrics.jsonl), for a run in progress. */
  readonly lastStep: number | null;
  readonly galleries: readonly string[];
  readonly modifiedAt: string;
  /** A model shipped with the project (models root) rather than a run of this workspace. */
  readonly bundled: boolean;
}

export interface LearningCurves {
  readonly runId: string;
  readonly steps: readonly { step: number; loss: number; learningRate: number; tripletsPerSecond: number; elapsedSeconds: number }[];
  readonly evals: readonly { split: 'validation' | 'test'; step: number; accuracy: number }[];
  /** Lines of metrics.jsonl that did not parse (a run killed mid-write leaves one). */
  readonly skippedLines: number;
}

const RUN_ID = /^[A-Za-z0-9._-]+$/;

export function isRunId(value: string): boolean {
  return RUN_ID.test(value) && value !== '.' && value !== '..';
}

export function listExperimentRows(experimentsRoot: string, bundled = false): ExperimentRow[] {
  if (!existsSync(experimentsRoot)) return [];
  return readdirSync(experimentsRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory() && isRunId(d.name) && existsSync(path.join(experimentsRoot, d.name, 'config.json')))
    .map((d) => readExperimentRow(experimentsRoot, d.name, bundled))
    .sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
}

/** The workspace's runs, newest first, then the bundled models a run of the same name does not shadow. */
export function listRuns(roots: WorkbenchRoots): ExperimentRow[] {
  const own = listExperimentRows(roots.experiments);
  const names = new Set(own.map((r) => r.runId));
  return [...own, ...listExperimentRows(roots.models, true).filter((r) => !names.has(r.runId))];
}

/**
 * The folder of a run a gallery or request names: the workspace's own run, else a bundled model of that name
 * (`trainer:embed` without `--run` embeds with the bundled model and names it in the gallery).
 */
export function runDirectory(roots: WorkbenchRoots, runId: string): string {
  const own = resolveInRoot(roots.experiments, runId);
  if (existsSync(path.join(own, 'config.json'))) return own;
  const bundled = resolveInRoot(roots.models, runId);
  return existsSync(path.join(bundled, 'config.json')) ? bundled : own;
}

export function readExperimentRow(experimentsRoot: string, runId: string, bundled = false, now = Date.now()): ExperimentRow {
  const dir = resolveInRoot(experimentsRoot, runId);
  const metricsFile = path.join(dir, 'metrics.jsonl');
  const metricsMtime = existsSync(metricsFile) ? statSync(metricsFile).mtimeMs : null;
  const config = readJson<TrainConfig>(path.join(dir, 'config.json'));
  const summary = existsSync(path.join(dir, 'summary.json')) ? readJson<RunSummary>(path.join(dir, 'summary.json')) : null;
  const datasetName = summary?.dataset.name ?? describeDataset(config);
  return {
    runId,
    status: summary ? summary.status : metricsMtime !== null && now - metricsMtime < RUNNING_WINDOW_MS ? 'running' : 'stopped',
    dataset: datasetName,
    backbone: summary?.backbone ?? config?.backbone ?? 'unknown',
    // The summary knows whether the backbone reads images at all (null for feature backbones); until a run has
    // one, the configured size is shown.
    inputSize: summary ? summary.inputSize : (config?.inputSize ?? null),
    backend: summary?.backend ?? null,
    parameters: summary?.parameters.total ?? null,
    tripletsSeen: summary?.tripletsSeen ?? null,
    wallSeconds: summary?.wallSeconds ?? null,
    validation: summary?.validation ?? null,
    test: summary?.test ?? null,
    failure: summary?.failure ?? null,
    collapsed: summary?.collapsed ?? false,
    lastStep: summary ? summary.steps : lastLoggedStep(metricsFile),
    galleries: bundled ? [] : galleriesOfRun(experimentsRoot, runId),
    modifiedAt: statSync(dir).mtime.toISOString(),
    bundled,
  };
}

/** Gallery ids (paths relative to the experiments root) that a run folder holds. */
export function galleriesOfRun(experimentsRoot: string, runId: string): string[] {
  const dir = path.join(experimentsRoot, runId);
  const found: string[] = [];
  if (existsSync(path.join(dir, 'test-gallery', 'gallery.json'))) found.push(`${runId}/test-gallery`);
  const more = path.join(dir, 'galleries');
  if (existsSync(more)) {
    for (const d of readdirSync(more, { withFileTypes: true })) {
      if (d.isDirectory() && isRunId(d.name) && existsSync(path.join(more, d.name, 'gallery.json'))) found.push(`${runId}/galleries/${d.name}`);
    }
  }
  return found;
}

/** The last step a run's metrics.jsonl logged (read from its tail: the file grows by one line per log). */
function lastLoggedStep(file: string): number | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8');
  const lines = text.slice(Math.max(0, text.length - 4096)).split('\n').reverse();
  for (const line of lines) {
    const m = /"kind":"step","step":(\d+)/.exec(line);
    if (m) return Number(m[1]);
  }
  return null;
}

/** `runDir`: the run's folder, already resolved inside a root (`runDirectory`). */
export function readLearningCurves(runDir: string, runId: string): LearningCurves {
  const file = path.join(runDir, 'metrics.jsonl');
  const steps: LearningCurves['steps'][number][] = [];
  const evals: LearningCurves['evals'][number][] = [];
  let skippedLines = 0;
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let metric: MetricLine;
      try {
        metric = JSON.parse(line) as MetricLine;
      } catch {
        skippedLines++;
        continue;
      }
      if (metric.kind === 'step' && Number.isFinite(metric.loss)) {
        steps.push({ step: metric.step, loss: metric.loss, learningRate: metric.learningRate, tripletsPerSecond: metric.tripletsPerSecond, elapsedSeconds: metric.elapsedSeconds });
      } else if (metric.kind === 'eval') {
        evals.push({ split: metric.split, step: metric.step, accuracy: metric.accuracy });
      } else {
        skippedLines++;
      }
    }
  }
  return { runId, steps, evals, skippedLines };
}

function describeDataset(config: TrainConfig | null): string {
  // A hand-edited or partly written config.json may lack fields: list the run anyway.
  const d = config?.dataset;
  if (!d || typeof d.source !== 'string') return 'unknown';
  return d.source === 'folder' ? `folder:${path.basename(String(d.root))}` : d.source;
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}
