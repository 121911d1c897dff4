import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * An import job's two files, shared by the server (src/server/import-jobs.ts) and the job process
 * (engine/import-job.ts): `job.json`, what to import (written once), and `state.json`, how far it got (rewritten
 * by the job process as it goes, atomically). Both live in `<data root>/imports/<name>/`; the gallery is written
 * to `<data root>/galleries/<name>/`, where every cell finds it once it is complete.
 */

export interface ImportSpec {
  readonly name: string;
  /** The photo folder, relative to the data root. */
  readonly folder: string;
  readonly runId: string;
  /** Absolute paths, resolved and checked against the roots by the server. */
  readonly imagesDir: string;
  readonly runDir: string;
  readonly galleryDir: string;
  readonly personFrom: 'folder' | 'none';
  readonly labelFrom: 'folder' | 'none';
  /** face-api's detector: ssd-mobilenet-v1 (default, finds more faces) or tiny-face-detector (about 3× faster). */
  readonly detector: ImportDetector;
  readonly createdAt: string;
}

export const IMPORT_DETECTORS = ['ssd-mobilenet-v1', 'tiny-face-detector'] as const;
export type ImportDetector = (typeof IMPORT_DETECTORS)[number];

export const IMPORT_STATUSES = ['queued', 'running', 'stopped', 'failed', 'completed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export interface ImportFailure {
  readonly file: string;
  readonly kind: string;
  readonly message: string;
}

export interface ImportState {
  readonly status: ImportStatus;
  /** The job process while it runs (to cancel it, and to tell a live job from one a restart interrupted). */
  readonly pid: number | null;
  readonly done: number;
  readonly total: number;
  readonly faces: number;
  readonly failures: number;
  readonly imagesPerSecond: number | null;
  /** The most recent failures, newest last (all of them are in the gallery folder's embed-log.jsonl). */
  readonly recentFailures: readonly ImportFailure[];
  /** The summary when it ended: images, faces kept and dropped, failures by kind. */
  readonly report: string | null;
  readonly error: string | null;
  readonly updatedAt: string;
}

export const RECENT_FAILURES = 50;

/** Writes `state.json` through a temporary file and a rename, so a reader never sees half a state. */
export function writeImportState(jobDir: string, state: ImportState): void {
  const tmp = path.join(jobDir, `state.json.${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, path.join(jobDir, 'state.json'));
}
