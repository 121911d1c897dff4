import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ProjectionProgress, createGallery, projectEmbeddings, projectGallery } from '../src/index';
import { blobs } from './synthetic';

const root = mkdtempSync(join(tmpdir(), 'feenet-projection-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const { matrix, labels } = blobs([100, 100, 100], 16, 31, 0.08);
const params = { seed: 5, nEpochs: 150 };

function blobGeometry(coords: Float32Array) {
  const centres = [0, 1, 2].map((b) => {
    const rows = labels.flatMap((l, i) => (l === b ? [i] : []));
    const x = rows.reduce((s, i) => s + coords[i * 2]!, 0) / rows.length;
    const y = rows.reduce((s, i) => s + coords[i * 2 + 1]!, 0) / rows.length;
    const spread = Math.max(...rows.map((i) => Math.hypot(coords[i * 2]! - x, coords[i * 2 + 1]! - y)));
    return { x, y, spread };
  });
  return centres;
}

describe('projectEmbeddings (UMAP)', () => {
  it('is deterministic for a seed, keeps blobs apart and reports progress', async () => {
    const progress: ProjectionProgress[] = [];
    const a = await projectEmbeddings(matrix, 'run-1', { ...params, onProgress: (p) => progress.push(p) });
    const b = await projectEmbeddings(matrix, 'run-1', params);
    expect(a.fromCache).toBe(false);
    expect(Array.from(a.coordinates)).toEqual(Array.from(b.coordinates));
    expect(a.coordinates.every(Number.isFinite)).toBe(true);

    const blobsIn2d = blobGeometry(a.coordinates);
    for (let i = 0; i < 3; i++) {
      for (let j = i + 1; j < 3; j++) {
        const gap = Math.hypot(blobsIn2d[i]!.x - blobsIn2d[j]!.x, blobsIn2d[i]!.y - blobsIn2d[j]!.y);
        expect(gap).toBeGreaterThan(blobsIn2d[i]!.spread + blobsIn2d[j]!.spread);
      }
    }

    expect(progress.some((p) => p.phase === 'neighbours')).toBe(true);
    const layout = progress.filter((p) => p.phase === 'layout');
    expect(layout.length).toBeGreaterThan(0);
    expect(layout.at(-1)).toMatchObject({ fraction: 1, epoch: 150, epochs: 150 });
    // The last snapshot is the finished layout; an earlier one is a different, unfinished layout of the same points.
    const last = layout.at(-1)! as Extract<ProjectionProgress, { phase: 'layout' }>;
    expect(Array.from(last.snapshot())).toEqual(Array.from(a.coordinates));
  });

  it('stops when aborted mid-layout', async () => {
    const controller = new AbortController();
    let lastEpoch = 0;
    const run = projectEmbeddings(matrix, null, {
      ...params,
      nEpochs: 5000,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'layout') {
          lastEpoch = p.epoch;
          controller.abort();
        }
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(lastEpoch).toBeGreaterThan(0);
    expect(lastEpoch).toBeLessThan(5000);
  });

  it('returns a cached projection for the same gallery, model and parameters without recomputing', async () => {
    const cacheDir = join(root, 'cache');
    const faces = labels.map((_, i) => ({ id: `f${i}`, image: `${i}.png` }));
    const gallery = createGallery(faces, matrix, { runId: 'run-9' });
    const first = await projectGallery(gallery, { ...params, cacheDir });
    expect(first.fromCache).toBe(false);
    expect(readdirSync(cacheDir)).toEqual([`projection-${first.key}.f32`]);

    let calls = 0;
    const second = await projectGallery(gallery, { ...params, cacheDir, onProgress: () => calls++ });
    expect(second.fromCache).toBe(true);
    expect(calls).toBe(0);
    expect(Array.from(second.coordinates)).toEqual(Array.from(first.coordinates));

    // A different model, different parameters or different embeddings miss the cache.
    const otherModel = createGallery(faces, matrix, { runId: 'run-10' });
    const keys = [
      (await projectGallery(otherModel, { ...params, nEpochs: 10, cacheDir })).key,
      (await projectGallery(gallery, { ...params, nEpochs: 10, cacheDir })).key,
    ];
    expect(new Set([first.key, ...keys]).size).toBe(3);

    // A damaged cache file is recomputed, not trusted.
    writeFileSync(join(cacheDir, `projection-${first.key}.f32`), Buffer.alloc(12));
    const repaired = await projectGallery(gallery, { ...params, cacheDir });
    expect(repaired.fromCache).toBe(false);
    expect(Array.from(repaired.coordinates)).toEqual(Array.from(first.coordinates));
  });
});
