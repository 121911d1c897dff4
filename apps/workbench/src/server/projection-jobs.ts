/**
 * UMAP projections run in the engine as background jobs: the map cell starts one and polls its progress.
 * The library caches finished projections on disk (under the data root), so a job for a gallery already
 * projected returns at once; a failed job can be started again.
 */
import path from 'node:path';
import type { ProjectionView } from '../engine-protocol';
import { engine } from './engine-client';
import { galleryDir } from './galleries';
import { type WorkbenchRoots } from './roots';

/** The layout of a projection still running, as of one epoch. */
export interface LayoutPreview {
  readonly epoch: number;
  readonly coordinates: Float32Array;
}

export type ProjectionJob =
  | { readonly status: 'running'; readonly phase: string; readonly fraction: number; readonly startedAt: number; readonly preview: LayoutPreview | null }
  | { readonly status: 'done'; readonly view: ProjectionView }
  | { readonly status: 'failed'; readonly error: string };

const key = Symbol.for('feenet.workbench.projections');
type WithJobs = typeof globalThis & { [key]?: Map<string, ProjectionJob> };

function jobs(): Map<string, ProjectionJob> {
  const g = globalThis as WithJobs;
  g[key] ??= new Map();
  return g[key];
}

export function projectionJob(galleryId: string): ProjectionJob | null {
  return jobs().get(galleryId) ?? null;
}

/** Starts a projection unless one is running or done; returns the job's current state. */
export function startProjection(roots: WorkbenchRoots, galleryId: string): ProjectionJob {
  const existing = jobs().get(galleryId);
  if (existing && existing.status !== 'failed') return existing;
  const dir = galleryDir(roots, galleryId);
  const startedAt = Date.now();
  const running: ProjectionJob = { status: 'running', phase: 'starting', fraction: 0, startedAt, preview: null };
  jobs().set(galleryId, running);
  engine()
    .request({ op: 'project', gallery: dir, cacheDir: path.join(roots.data, 'projections') }, (p) => {
      // Progress without a layout keeps the last one, so a poll between previews still has something to draw.
      const previous = jobs().get(galleryId);
      const preview = p.layout ?? (previous?.status === 'running' ? previous.preview : null);
      jobs().set(galleryId, { status: 'running', phase: p.phase, fraction: p.fraction, startedAt, preview });
    })
    .then((view) => jobs().set(galleryId, { status: 'done', view }))
    .catch((err: Error) => jobs().set(galleryId, { status: 'failed', error: err.message }));
  return running;
}
