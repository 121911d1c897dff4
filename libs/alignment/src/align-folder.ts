import { appendFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '@feenet/tfjs-runtime';
import { createAligner, type AlignerOptions, type FoundBy, type StageTimings } from './aligner';
import { alignFileToCrops, type AlignFileResult } from './align-file';
import type { WorkerReply, WorkerRequest } from './align-worker';
import type { AlignFailureKind } from './failure';
import { readManifest, writeManifest, type ManifestLine } from './manifest';

export interface AlignFolderOptions {
  input: string;
  output: string;
  /** Worker threads, each with its own aligner; 0 aligns in this thread. Default: available cores. */
  workers?: number;
  /** Passed to every worker's `createAligner` (must be structured-cloneable: no custom detector). */
  aligner?: Omit<AlignerOptions, 'detector'>;
  /** Stops dispatching new files; files in flight finish and are recorded. */
  signal?: AbortSignal;
  /** Redo sources recorded as failures by an earlier run. */
  retryFailed?: boolean;
}

/** One finished file, as reported to `onProgress`. */
export interface AlignFolderEvent {
  source: string;
  faces: number;
  failure?: { kind: AlignFailureKind; message: string };
  /** An unexpected error (e.g. writing a crop): nothing recorded, so a rerun retries the file. */
  error?: string;
}

export interface AlignFolderProgress {
  /** Files found under the input folder. */
  total: number;
  /** Completed by earlier runs and skipped. */
  skipped: number;
  /** Finished in this run (including failures). */
  done: number;
  faces: number;
  failures: number;
  imagesPerSecond: number;
  /** Seconds left at the current rate; undefined until the first file finishes. */
  etaSeconds: number | undefined;
  last?: AlignFolderEvent;
}

export interface AlignFolderSummary {
  total: number;
  skipped: number;
  processed: number;
  faces: number;
  facesPassingQuality: number;
  /** Faces by how they were found: the detector on the photo, or the framed second look. */
  facesFoundBy: Record<FoundBy, number>;
  failures: Partial<Record<AlignFailureKind, number>>;
  /** Files that hit an unexpected error; not recorded, retried on the next run. */
  errors: number;
  aborted: boolean;
  seconds: number;
  /** Summed stage times over processed files (ms), across workers. */
  timings: StageTimings;
  manifest: string;
  /** Detector and backend of the workers. */
  description: string;
  /** Manifest lines dropped on resume (truncated or of incomplete sources). */
  droppedManifestLines: number;
}

export const MANIFEST_FILE = 'manifest.jsonl';

/**
 * Aligns every file under `input` (recursively; dotfiles skipped) into `output/crops/**.png` plus
 * `output/manifest.jsonl`. Resumable: sources completed by an earlier run are skipped, a truncated last
 * line is tolerated, and a crop is always on disk before its manifest line.
 */
export async function alignFolder(options: AlignFolderOptions, onProgress?: (p: AlignFolderProgress) => void): Promise<AlignFolderSummary> {
  const started = performance.now();
  const input = path.resolve(options.input);
  const output = path.resolve(options.output);
  if (!existsSync(input) || !statSync(input).isDirectory()) throw new Error(`input folder not found: ${options.input}`);
  mkdirSync(output, { recursive: true });
  const manifestFile = path.join(output, MANIFEST_FILE);
  const state = readManifest(manifestFile, { retryFailed: options.retryFailed ?? false });
  // Compact first: later appends then never follow a truncated line.
  if (existsSync(manifestFile)) writeManifest(manifestFile, state.lines);

  const files = await listFiles(input, output);
  const todo = files.filter((f) => !state.completed.has(f.source));
  const summary: AlignFolderSummary = {
    total: files.length,
    skipped: files.length - todo.length,
    processed: 0,
    faces: 0,
    facesPassingQuality: 0,
    facesFoundBy: { detector: 0, framed: 0 },
    failures: {},
    errors: 0,
    aborted: false,
    seconds: 0,
    timings: { decodeMs: 0, detectMs: 0, landmarksMs: 0, warpMs: 0 },
    manifest: manifestFile,
    description: '',
    droppedManifestLines: state.dropped,
  };
  let failureCount = 0;
  const runStart = performance.now();

  const record = (source: string, outcome: { ok: true; result: AlignFileResult } | { ok: false; message: string }) => {
    summary.processed++;
    const event: AlignFolderEvent = { source, faces: 0 };
    if (outcome.ok) {
      appendFileSync(manifestFile, outcome.result.lines.map((l) => JSON.stringify(l) + '\n').join(''));
      for (const k of Object.keys(summary.timings) as (keyof StageTimings)[]) summary.timings[k] += outcome.result.timings[k];
      for (const line of outcome.result.lines) recordLine(line, event);
    } else {
      summary.errors++;
      failureCount++;
      event.error = outcome.message;
    }
    const elapsed = (performance.now() - runStart) / 1000;
    const rate = elapsed > 0 ? summary.processed / elapsed : 0;
    onProgress?.({
      total: summary.total,
      skipped: summary.skipped,
      done: summary.processed,
      faces: summary.faces,
      failures: failureCount,
      imagesPerSecond: rate,
      etaSeconds: rate > 0 ? (todo.length - summary.processed) / rate : undefined,
      last: event,
    });
  };
  const recordLine = (line: ManifestLine, event: AlignFolderEvent) => {
    if (line.type === 'face') {
      summary.faces++;
      event.faces++;
      if (line.passesQuality) summary.facesPassingQuality++;
      summary.facesFoundBy[line.foundBy]++;
    } else {
      summary.failures[line.kind] = (summary.failures[line.kind] ?? 0) + 1;
      failureCount++;
      event.failure = { kind: line.kind, message: line.message };
    }
  };

  if (todo.length > 0) {
    const workers = Math.max(0, Math.min(options.workers ?? availableParallelism(), todo.length));
    if (workers === 0) {
      const aligner = await createAligner(options.aligner);
      summary.description = aligner.description;
      try {
        for (const file of todo) {
          if (options.signal?.aborted) break;
          try {
            record(file.source, { ok: true, result: await alignFileToCrops(aligner, file.absolutePath, file.source, output) });
          } catch (err) {
            record(file.source, { ok: false, message: (err as Error).message });
          }
        }
      } finally {
        aligner.dispose();
      }
    } else {
      summary.description = await runPool(workers, todo, output, options, record);
    }
  }
  summary.aborted = (options.signal?.aborted ?? false) && summary.processed < todo.length;
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

interface SourceFile {
  absolutePath: string;
  /** Relative to the input folder, `/`-separated. */
  source: string;
}

async function listFiles(root: string, exclude: string): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (full === exclude) continue; // the output folder may sit inside the input folder
      let isDir = entry.isDirectory(), isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const s = await stat(full).catch(() => undefined);
        isDir = s?.isDirectory() ?? false;
        isFile = s?.isFile() ?? false;
      }
      if (isDir) await walk(full);
      else if (isFile) out.push({ absolutePath: full, source: path.relative(root, full).split(path.sep).join('/') });
    }
  };
  await walk(root);
  return out.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

/** A worker thread running `align-worker.ts` (or its built .js): one tfjs wasm instance, so one core, each. */
export function spawnAlignWorker(): Worker {
  return startWorkerThread(new URL('./align-worker.ts', import.meta.url));
}

async function runPool(
  count: number,
  todo: readonly SourceFile[],
  output: string,
  options: AlignFolderOptions,
  record: (source: string, outcome: { ok: true; result: AlignFileResult } | { ok: false; message: string }) => void,
): Promise<string> {
  const workers = Array.from({ length: count }, spawnAlignWorker);
  let next = 0;
  let description = '';
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            let current: SourceFile | undefined;
            const send = (m: WorkerRequest) => worker.postMessage(m);
            const dispatch = () => {
              if (options.signal?.aborted || next >= todo.length) {
                current = undefined;
                resolve();
                return;
              }
              current = todo[next]!;
              send({ type: 'job', id: next++, absolutePath: current.absolutePath, source: current.source, outputDir: output });
            };
            worker.on('message', (reply: WorkerReply) => {
              switch (reply.type) {
                case 'ready':
                  ready = true;
                  description = reply.description;
                  dispatch();
                  break;
                case 'init-error':
                  reject(new Error(`align worker failed to start: ${reply.message}`));
                  break;
                case 'result':
                  record(current!.source, { ok: true, result: reply.result });
                  dispatch();
                  break;
                case 'job-error':
                  record(current!.source, { ok: false, message: reply.message });
                  dispatch();
                  break;
              }
            });
            // A crashed worker (e.g. wasm out of memory) costs its current file and its lane, not the batch.
            let lost = false;
            const lose = (why: string) => {
              if (lost) return;
              lost = true;
              if (current) record(current.source, { ok: false, message: `align worker died: ${why}` });
              current = undefined;
              resolve();
            };
            let ready = false;
            worker.on('error', (err) => (ready ? lose(err.message) : reject(new Error(`align worker failed to start: ${err.message}`))));
            worker.on('exit', (code) => {
              if (!ready) reject(new Error(`align worker exited (code ${code}) before it was ready`));
              else if (current) lose(`exit code ${code}`);
            });
            send({ type: 'init', options: options.aligner ?? {} });
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return description;
}
