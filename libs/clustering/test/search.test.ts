import { describe, expect, it } from 'vitest';
import { ExactIndex, createGallery, findSimilarFaces, neighbourGraph, rowOf, rowsWhere } from '../src/index';
import { randomUnitVectors, referenceDistance } from './synthetic';

const matrix = randomUnitVectors(3000, 16, 7);
const index = new ExactIndex(matrix);

function bruteForce(query: Float32Array, k: number, candidates: number[], exclude = -1) {
  return candidates
    .filter((r) => r !== exclude)
    .map((row) => ({ row, distance: referenceDistance(query, rowOf(matrix, row)) }))
    .sort((a, b) => a.distance - b.distance || a.row - b.row)
    .slice(0, k);
}

describe('ExactIndex', () => {
  const all = Array.from({ length: matrix.count }, (_, i) => i);
  const queries = randomUnitVectors(25, 16, 99);

  it('returns the same k nearest rows and distances as a brute-force sort', () => {
    for (let q = 0; q < queries.count; q++) {
      const query = rowOf(queries, q);
      const found = index.search(query, { k: 10 });
      const expected = bruteForce(query, 10, all);
      expect(Array.from(found.rows)).toEqual(expected.map((e) => e.row));
      expected.forEach((e, i) => expect(found.distances[i]).toBeCloseTo(e.distance, 5));
    }
  });

  it('only returns rows from the subset when one is given', () => {
    const subset = Uint32Array.from(all.filter((r) => r % 7 === 3));
    for (let q = 0; q < 10; q++) {
      const query = rowOf(queries, q);
      const found = index.search(query, { k: 5, subset });
      expect(Array.from(found.rows)).toEqual(bruteForce(query, 5, Array.from(subset)).map((e) => e.row));
    }
  });

  it('returns fewer than k when the subset is smaller, and skips the excluded row', () => {
    const subset = Uint32Array.from([5, 9, 12]);
    const found = index.search(rowOf(matrix, 9), { k: 10, subset, exclude: 9 });
    expect(Array.from(found.rows).sort((a, b) => a - b)).toEqual([5, 12]);
    expect(found.distances[0]).toBeLessThanOrEqual(found.distances[1]!);
  });

  it('rejects a query of the wrong dimension', () => {
    expect(() => index.search(new Float32Array(8), { k: 3 })).toThrow(/dim/);
  });
});

describe('findSimilarFaces', () => {
  const faces = Array.from({ length: matrix.count }, (_, i) => ({
    id: `f${i}`,
    image: `img/${i}.png`,
    person: i % 2 === 0 ? 'ana' : 'ben',
  }));
  const gallery = createGallery(faces, matrix);

  it('finds neighbours of a face by id, never the face itself, restricted to one person', () => {
    const subset = rowsWhere(gallery, (f) => f.person === 'ben');
    const found = findSimilarFaces(gallery, index, { faceId: 'f11' }, { k: 5, subset });
    expect(found).toHaveLength(5);
    for (const f of found) {
      expect(f.id).not.toBe('f11');
      expect(gallery.faces[f.row]!.person).toBe('ben');
      expect(f.id).toBe(`f${f.row}`);
    }
    const expected = bruteForce(rowOf(matrix, 11), 5, Array.from(subset), 11);
    expect(found.map((f) => f.row)).toEqual(expected.map((e) => e.row));
  });
});

describe('neighbourGraph', () => {
  it('matches per-row exact search and can be aborted', async () => {
    const small = randomUnitVectors(400, 16, 3);
    const graph = await neighbourGraph(small, 4);
    const smallIndex = new ExactIndex(small);
    for (const row of [0, 57, 399]) {
      const expected = smallIndex.search(rowOf(small, row), { k: 4, exclude: row });
      expect(Array.from(graph.rows.subarray(row * 4, row * 4 + 4))).toEqual(Array.from(expected.rows));
    }
    const controller = new AbortController();
    controller.abort();
    await expect(neighbourGraph(small, 4, { signal: controller.signal })).rejects.toThrow(/abort/i);
  });
});
