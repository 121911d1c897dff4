import { kmeans as mlKMeans } from 'ml-kmeans';
import { describe, expect, it } from 'vitest';
import { clusterPurity, kMeans, normalisedMutualInformation, rowOf } from '../src/index';
import { blobs, randomUnitVectors, referenceDistance } from './synthetic';

describe('kMeans', () => {
  const { matrix, labels } = blobs([120, 80, 60, 100, 40], 16, 11);

  it('recovers well-separated blobs exactly', () => {
    const result = kMeans(matrix, 5, { seed: 3 });
    expect(normalisedMutualInformation(result.assignments, labels)).toBe(1);
    expect(clusterPurity(result.assignments, labels.map(String))).toBe(1);
    expect(result.converged).toBe(true);
    expect(result.clusters.map((c) => c.members.length).sort((a, b) => a - b)).toEqual([40, 60, 80, 100, 120]);
  });

  it('is deterministic for a seed', () => {
    const data = randomUnitVectors(1500, 16, 5);
    const a = kMeans(data, 20, { seed: 42 });
    const b = kMeans(data, 20, { seed: 42 });
    expect(Array.from(a.assignments)).toEqual(Array.from(b.assignments));
    expect(Array.from(a.centres)).toEqual(Array.from(b.centres));
    expect(a.inertia).toBe(b.inertia);
  });

  it('lists each cluster’s members nearest-first with their true distances, and reports the true inertia', () => {
    const data = randomUnitVectors(800, 16, 6);
    const result = kMeans(data, 12, { seed: 1 });
    let inertia = 0;
    const seen = new Set<number>();
    for (const cluster of result.clusters) {
      const centre = result.centres.subarray(cluster.index * 16, cluster.index * 16 + 16);
      cluster.members.forEach((row, j) => {
        seen.add(row);
        expect(result.assignments[row]).toBe(cluster.index);
        const d = referenceDistance(rowOf(data, row), centre);
        expect(cluster.distances[j]).toBeCloseTo(d, 5);
        if (j > 0) expect(cluster.distances[j]!).toBeGreaterThanOrEqual(cluster.distances[j - 1]!);
        inertia += d * d;
      });
    }
    expect(seen.size).toBe(800);
    expect(result.inertia).toBeCloseTo(inertia, 6);
    // Lloyd's fixed point: every point is at its nearest centre.
    for (let i = 0; i < 800; i += 37) {
      const own = referenceDistance(rowOf(data, i), result.centres.subarray(result.assignments[i]! * 16, result.assignments[i]! * 16 + 16));
      for (let c = 0; c < 12; c++) {
        expect(own).toBeLessThanOrEqual(referenceDistance(rowOf(data, i), result.centres.subarray(c * 16, c * 16 + 16)) + 1e-6);
      }
    }
  });

  it('gives the same result with Elkan and Hamerly acceleration', () => {
    const data = randomUnitVectors(2000, 16, 9);
    const elkan = kMeans(data, 30, { seed: 4, acceleration: 'elkan' });
    const hamerly = kMeans(data, 30, { seed: 4, acceleration: 'hamerly' });
    expect(elkan.iterations).toBeGreaterThan(5);
    expect(Array.from(hamerly.assignments)).toEqual(Array.from(elkan.assignments));
    expect(hamerly.inertia).toBeCloseTo(elkan.inertia, 9);
  });

  it('agrees with ml-kmeans on blobs and is no worse on unstructured data', () => {
    const rows = Array.from({ length: matrix.count }, (_, i) => Array.from(rowOf(matrix, i)));
    const reference = mlKMeans(rows, 5, { seed: 3 });
    const ours = kMeans(matrix, 5, { seed: 3 });
    expect(normalisedMutualInformation(ours.assignments, reference.clusters)).toBe(1);

    const data = randomUnitVectors(1000, 16, 8);
    const dataRows = Array.from({ length: data.count }, (_, i) => Array.from(rowOf(data, i)));
    const ref = mlKMeans(dataRows, 10, { seed: 1 });
    const refInertia = dataRows.reduce((s, row, i) => s + referenceDistance(row, ref.centroids[ref.clusters[i]!]!) ** 2, 0);
    expect(kMeans(data, 10, { seed: 1 }).inertia).toBeLessThanOrEqual(refInertia * 1.01);
  });

  it('copes with fewer distinct points than K and rejects K larger than N', () => {
    const dim = 16;
    const data = new Float32Array(10 * dim);
    for (let i = 0; i < 10; i++) data[i * dim + (i < 6 ? 0 : 1)] = 1; // two distinct points
    const result = kMeans({ dim, count: 10, data }, 3, { seed: 1 });
    const sizes = result.clusters.map((c) => c.members.length).sort((a, b) => a - b);
    expect(sizes).toEqual([0, 4, 6]);
    expect(result.inertia).toBe(0);
    expect(() => kMeans({ dim, count: 10, data }, 11)).toThrow(/larger than the number of points/);
  });
});
