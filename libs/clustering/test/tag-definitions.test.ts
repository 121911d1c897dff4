import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaxonomyStore, createGallery, kMeans, tagFromCluster, tagFromFaces } from '../src/index';
import { blobs } from './synthetic';

const root = mkdtempSync(join(tmpdir(), 'feenet-tagdefs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const { matrix, labels } = blobs([40, 30, 20], 16, 41);
const gallery = createGallery(
  labels.map((blob, i) => ({ id: `f${i}`, image: `img/${i}.png`, label: ['happy', 'sad', 'angry'][blob]! })),
  matrix,
  { runId: 'run-3' },
);
const result = kMeans(matrix, 3, { seed: 2 });

describe('tags from clusters and example faces', () => {
  it('a tag named from a cluster centre covers 90% of that cluster by default and records its provenance', () => {
    const store = TaxonomyStore.open(join(root, 'centre.db'));
    const cluster = result.clusters.find((c) => c.members.length === 30)!;
    const tag = store.create({ name: 'sad', ...tagFromCluster(gallery, result, cluster.index, { mode: 'centre', seed: 2 }) });
    expect(tag.provenance).toEqual({ runId: 'run-3', k: 3, seed: 2, clusterIndex: cluster.index, mode: 'centre' });
    const covered = store.assign(matrix).byFace.flatMap((m, row) => (m.length > 0 ? [row] : []));
    expect(covered).toHaveLength(27);
    expect(covered.every((row) => result.assignments[row] === cluster.index)).toBe(true);
    store.close();
  });

  it('a tag named from a cluster’s members keeps every member as an example', () => {
    const cluster = result.clusters.find((c) => c.members.length === 20)!;
    const { definition } = tagFromCluster(gallery, result, cluster.index, { mode: 'members', radius: 0.05, seed: 2 });
    expect(definition.kind).toBe('examples');
    if (definition.kind !== 'examples') return;
    expect(definition.examples.map((e) => e.faceId).sort()).toEqual(Array.from(cluster.members, (r) => `f${r}`).sort());
  });

  it('a new tag from a single example face finds that face’s expression', () => {
    const store = TaxonomyStore.open(join(root, 'one.db'));
    const tag = store.create({ name: 'angry', definition: tagFromFaces(gallery, ['f75'], 0.5) });
    expect(tag.examples).toEqual([expect.objectContaining({ faceId: 'f75', image: 'img/75.png' })]);
    const { byFace } = store.assign(matrix);
    const covered = byFace.flatMap((m, row) => (m.length > 0 ? [row] : []));
    expect(covered.map((row) => labels[row])).toEqual(Array(20).fill(2));
    expect(() => tagFromFaces(gallery, ['nope'], 0.5)).toThrow(/not in the gallery/);
    store.close();
  });
});
