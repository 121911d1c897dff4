/**
 * One import job, as its own process: `node --import tsx engine/import-job.ts <job folder>`. Runs
 * @feenet/inference's `buildPhotoGallery` — the same code as `trainer:embed` — on the job's folder and keeps
 * `state.json` current. SIGTERM stops it after the images in flight; a rerun resumes from the gallery folder's
 * embed log, so a cancelled job or one a server restart interrupted loses no finished image.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { buildPhotoGallery } from '@feenet/inference';
import { type ImportFailure, type ImportSpec, type ImportState, RECENT_FAILURES, writeImportState } from '../src/import-protocol';

const jobDir = process.argv[2];
if (!jobDir) throw new Error('usage: import-job.ts <job folder>');
const spec = JSON.parse(readFileSync(path.join(jobDir, 'job.json'), 'utf8')) as ImportSpec;
const previous = JSON.parse(readFileSync(path.join(jobDir, 'state.json'), 'utf8')) as ImportState;

let state: ImportState = { ...previous, status: 'running', pid: process.pid, error: null, report: null, updatedAt: new Date().toISOString() };
let lastWrite = 0;
/** Progress is written at most every 0.3 s; `force` for the first and the last state. */
function save(next: Partial<ImportState>, force = false): void {
  state = { ...state, ...next, updatedAt: new Date().toISOString() };
  const now = Date.now();
  if (!force && now - lastWrite < 300) return;
  lastWrite = now;
  writeImportState(jobDir!, state);
}

const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
process.on('SIGINT', () => controller.abort());

async function main(): Promise<void> {
  save({}, true);
  const recent: ImportFailure[] = [...state.recentFailures];
  const result = await buildPhotoGallery(
    {
      runDir: spec.runDir,
      imagesDir: spec.imagesDir,
      outDir: spec.galleryDir,
      aligned: false,
      pad: null,
      keepAll: false,
      personFrom: spec.personFrom,
      labelFrom: spec.labelFrom,
      detector: spec.detector,
      minConfidence: null,
      engine: 'fastest',
      workers: Math.min(2, availableParallelism()),
      force: false,
    },
    {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind === 'failure') {
          recent.push({ file: e.source, kind: e.failure, message: e.message });
          save({ recentFailures: recent.slice(-RECENT_FAILURES) });
        } else if (e.kind === 'progress') {
          save({ done: e.done, total: e.total, faces: e.faces, failures: e.failures, imagesPerSecond: e.imagesPerSecond });
        }
      },
    },
  );
  const ended = { pid: null, recentFailures: recent.slice(-RECENT_FAILURES) };
  switch (result.status) {
    case 'written':
      // Every file is done now, also when this run had none left to do (and so no progress event to say so).
      return save({ ...ended, status: 'completed', report: result.report, done: state.total || result.images, faces: result.faces }, true);
    case 'exists':
      return save({ ...ended, status: 'completed', report: `the gallery already exists (${result.faces} faces)` }, true);
    case 'stopped':
      return save({ ...ended, status: 'stopped', report: result.report }, true);
    case 'no-faces':
      return save({ ...ended, status: 'failed', report: result.report, error: 'no faces were found in any photo: no gallery written' }, true);
  }
}

main().catch((err: unknown) => {
  save({ status: 'failed', pid: null, error: (err as Error).message ?? String(err) }, true);
  process.exitCode = 1;
});
