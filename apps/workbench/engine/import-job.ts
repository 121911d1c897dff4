/**
 * One import job, as its own process: `node --import tsx engine/import-job.ts <job folder>`. Runs
 * @feenet/inference's `buildPhotoGallery` — the same code as `trainer:embed` — on the job's folder and keeps
 * `state.json` current. SIGTERM stops it after the images in flight; a rerun resumes from the gallery folder's
 * embed log, so a cancelled job or one a server restart interrupted loses no finished image.
 */
import { renameSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { buildPhotoGallery } from '@feenet/inference';
import { type ImportFailure, type ImportSpec, type ImportState, RECENT_FAILURES } from '../src/import-protocol';

const jobDir = process.argv[2];
if (!jobDir) throw new Error('usage: import-job.ts <job folder>');
const spec = JSON.parse(readFileSync(path.join(jobDir, 'job.json'), 'utf8')) as ImportSpec;
const previous = JSON.parse(readFileSync(path.join(jobDir, 'state.json'), 'utf8')) as ImportState;

let state: ImportState = { ...previous, status: 'running', pid: process.pid, error: null, report: null, updatedAt: new Date().toISOString() };
let lastWrite = 0;
/** Written to a temporary file and renamed, so the server never reads half a state. */
function save(next: Partial<ImportState>, force = false): void {
  state = { ...state, ...next, updatedAt: new Date().toISOString() };
  const now = Date.now();
  if (!force && now - lastWrite < 300) return;
  lastWrite = now;
  const tmp = path.join(jobDir!, `state.json.${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, path.join(jobDir!, 'state.json'));
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
      // Jobs written before the detector was a choice have none: the default detector.
      detector: spec.detector ?? null,
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
