import { kmeans as mlKMeans } from 'ml-kmeans';
import { describe, expect, it } from 'vitest';
import { type EmbeddingMatrix, squaredDistanceAt } from '../src/embeddings';
import { clusterPurity, kMeans, normalisedMutualInformation, rowOf, seededRandom } from '../src/index';
import { kMeansPlusPlus, seedingBuffers, seedingScratchBytes } from '../src/kmeans-seeding';
import { createSimd16 } from '../src/kmeans-simd';
import type { RandomSource } from '../src/prng';
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

  // 16-d takes the unrolled Yinyang pass, other dims the generic one; K = 8 makes one group.
  it.each([
    ['uniform', 16, 30],
    ['uniform', 16, 100],
    ['uniform', 16, 8],
    ['uniform', 7, 25],
    ['blobs', 16, 40],
  ] as const)('gives the same result with Yinyang, Elkan and Hamerly acceleration (%s, dim %i, K %i)', (kind, dim, k) => {
    const data = kind === 'uniform' ? randomUnitVectors(2000, dim, 9) : blobs([300, 500, 200, 400, 600], dim, 9, 0.3).matrix;
    const [yinyang, ...others] = (['yinyang', 'elkan', 'hamerly'] as const).map((acceleration) => kMeans(data, k, { seed: 4, acceleration }));
    expect(yinyang!.iterations).toBeGreaterThan(5);
    for (const other of others) {
      expect(other.iterations).toBe(yinyang!.iterations);
      expect(Array.from(other.assignments)).toEqual(Array.from(yinyang!.assignments));
      expect(other.inertia).toBeCloseTo(yinyang!.inertia, 9);
    }
  });

  it.each([
    ['uniform', 30],
    ['uniform', 100],
    ['blobs', 40],
  ] as const)('gives the same result with and without the WebAssembly SIMD kernels (%s, K %i)', (kind, k) => {
    const data = kind === 'uniform' ? randomUnitVectors(3000, 16, 31) : blobs([300, 500, 200, 400, 600], 16, 31, 0.3).matrix;
    const withSimd = kMeans(data, k, { seed: 6 });
    const withoutSimd = kMeans(data, k, { seed: 6, simd: false });
    expect(withSimd.iterations).toBe(withoutSimd.iterations);
    expect(withSimd.inertia).toBe(withoutSimd.inertia);
    expect(Array.from(withSimd.assignments)).toEqual(Array.from(withoutSimd.assignments));
    expect(Array.from(withSimd.centres)).toEqual(Array.from(withoutSimd.centres));
  });

  it('leaves inputs too large for one wasm memory to the JS kernels', () => {
    expect(createSimd16(new Float32Array(16), 10_000_000, 0)).toBeNull();
  });

  it('stops on the centre shift as scikit-learn does, with every point at its nearest returned centre', () => {
    const data = randomUnitVectors(3000, 16, 12);
    const early = kMeans(data, 20, { seed: 2, tolerance: 1e-2 });
    const fixedPoint = kMeans(data, 20, { seed: 2, tolerance: 0 });
    expect(early.converged).toBe(true);
    expect(early.iterations).toBeLessThan(fixedPoint.iterations);
    // Before the last assignment to the moved centres, 14 points here were nearer another centre.
    for (let i = 0; i < data.count; i++) {
      const own = referenceDistance(rowOf(data, i), early.centres.subarray(early.assignments[i]! * 16, early.assignments[i]! * 16 + 16));
      for (let c = 0; c < 20; c++) {
        expect(own).toBeLessThanOrEqual(referenceDistance(rowOf(data, i), early.centres.subarray(c * 16, c * 16 + 16)) + 1e-6);
      }
    }
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

describe('kMeansPlusPlus', () => {
  /** Greedy k-means++ scored one candidate at a time over every point, as first written. */
  function referenceSeeding(matrix: EmbeddingMatrix, k: number, random: RandomSource): Float32Array {
    const { dim, count, data } = matrix;
    const centres = new Float32Array(k * dim);
    const trials = 2 + Math.floor(Math.log(k));
    const first = Math.floor(random() * count);
    centres.set(rowOf(matrix, first), 0);
    let closest = Array.from({ length: count }, (_, i) => squaredDistanceAt(data, i * dim, data, first * dim, dim));
    for (let c = 1; c < k; c++) {
      const cumulative: number[] = [];
      let total = 0;
      for (const d of closest) cumulative.push((total += d));
      let best: { row: number; potential: number; closest: number[] } | undefined;
      for (let t = 0; t < trials; t++) {
        let row: number;
        if (total > 0) {
          const target = random() * total;
          row = cumulative.findIndex((v) => v > target);
          if (row < 0) row = count - 1;
        } else row = Math.floor(random() * count);
        const candidate = closest.map((d, i) => Math.min(d, squaredDistanceAt(data, i * dim, data, row * dim, dim)));
        const potential = candidate.reduce((a, b) => a + b, 0);
        if (!best || potential < best.potential) best = { row, potential, closest: candidate };
      }
      centres.set(rowOf(matrix, best!.row), c * dim);
      closest = best!.closest;
    }
    return centres;
  }

  it.each([
    ['uniform 16-d', randomUnitVectors(1500, 16, 21), 40],
    ['uniform 5-d', randomUnitVectors(1500, 5, 22), 40],
    ['blobs 16-d', blobs([200, 300, 100], 16, 23).matrix, 12],
  ] as const)('picks the same centres as scoring one candidate at a time (%s)', (_, data, k) => {
    // For 16-d rows also with the wasm kernel, its buffers reused across seeds as kMeans does.
    const simd = data.dim === 16 ? createSimd16(data.data, data.count, seedingScratchBytes(data.count, k)) : null;
    if (data.dim === 16) expect(simd).not.toBeNull();
    const simdBuffers = seedingBuffers(data.count, k, simd);
    for (const seed of [1, 2, 3]) {
      const expected = Array.from(referenceSeeding(data, k, seededRandom(seed)));
      expect(Array.from(kMeansPlusPlus(data, k, seededRandom(seed)))).toEqual(expected);
      expect(Array.from(kMeansPlusPlus(data, k, seededRandom(seed), simdBuffers))).toEqual(expected);
    }
  });

  it('copes with every point already coinciding with a centre', () => {
    const dim = 16;
    const data = new Float32Array(10 * dim);
    for (let i = 0; i < 10; i++) data[i * dim + (i < 6 ? 0 : 1)] = 1;
    const matrix = { dim, count: 10, data };
    expect(Array.from(kMeansPlusPlus(matrix, 4, seededRandom(5)))).toEqual(Array.from(referenceSeeding(matrix, 4, seededRandom(5))));
  });
});
