import { type EmbeddingMatrix, squaredDistanceAt as sqDist } from './embeddings';
import { LloydRun } from './kmeans-lloyd';
import { kMeansPlusPlus, seedingBuffers, seedingScratchBytes } from './kmeans-seeding';
import { createSimd16 } from './kmeans-simd';
import { yinyangScratchBytes } from './kmeans-yinyang';
import { seededRandom } from './prng';

export interface KMeansOptions {
  /** Seed for k-means++ seeding; the same seed gives the same result. Default 1. */
  readonly seed?: number;
  /** Independent k-means++ starts; the one with the lowest inertia is kept. Default 3. */
  readonly restarts?: number;
  /**
   * Lloyd iterations each start gets before all but the lowest-inertia start are dropped.
   * Default 10; Infinity runs every start to convergence.
   */
  readonly screenIterations?: number;
  /** Lloyd iterations of the final run. Default 300. */
  readonly maxIterations?: number;
  /**
   * Stop once the summed squared centre shift of an iteration is at most
   * tolerance × (mean per-dimension variance of the data), as scikit-learn does, after a last
   * assignment to the moved centres (so assignments and centres agree, also as in
   * scikit-learn). Default 1e-4. Iteration also stops as soon as no point changes cluster.
   */
  readonly tolerance?: number;
  /**
   * Bounds used to skip distance computations; all give plain Lloyd's result. 'yinyang' keeps
   * a bound per point and group of ~10 centres (fastest measured, K = 8 to 100), 'elkan' N × K
   * bounds, 'hamerly' 2 per point. Default 'auto': Yinyang.
   */
  readonly acceleration?: 'auto' | 'elkan' | 'hamerly' | 'yinyang';
  /**
   * For 16-d rows, compute distances with WebAssembly SIMD kernels when the runtime has them
   * (same results, about twice as fast). Default true; false uses only the JavaScript loops.
   */
  readonly simd?: boolean;
}

export interface KMeansCluster {
  readonly index: number;
  /** Member rows, nearest to the centre first. Empty only when there were fewer distinct points than K. */
  readonly members: Uint32Array;
  /** Distance of each member to the centre, ascending. */
  readonly distances: Float32Array;
}

export interface KMeansResult {
  readonly k: number;
  readonly dim: number;
  /** k × dim, row-major. */
  readonly centres: Float32Array;
  /** Cluster index of every input row. */
  readonly assignments: Uint32Array;
  /** Sum of squared distances of rows to their centre. */
  readonly inertia: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly clusters: readonly KMeansCluster[];
}

/**
 * K-Means with k-means++ seeding (the greedy variant used by ml-kmeans and scikit-learn;
 * kmeans-seeding.ts) and exact Lloyd iterations accelerated by Yinyang, Elkan or Hamerly
 * bounds (kmeans-lloyd.ts, kmeans-yinyang.ts) on flat Float32 data. ml-kmeans itself takes
 * ~4 s just to seed K=100 on 22k points here (number[][] rows, a Matrix allocation per
 * distance), so the hot loops are written out; ml-kmeans is kept as a test reference.
 */
export function kMeans(matrix: EmbeddingMatrix, k: number, options: KMeansOptions = {}): KMeansResult {
  const {
    seed = 1,
    restarts = 3,
    maxIterations = 300,
    tolerance = 1e-4,
    screenIterations = 10,
    acceleration = 'auto',
    simd: useSimd = true,
  } = options;
  const { count } = matrix;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`K must be a positive integer, got ${k}`);
  if (k > count) throw new RangeError(`K (${k}) is larger than the number of points (${count})`);
  if (!Number.isInteger(restarts) || restarts < 1) throw new RangeError(`restarts must be >= 1, got ${restarts}`);
  const random = seededRandom(seed);
  const shiftLimit = tolerance * meanVariance(matrix);
  const bounds = acceleration === 'auto' ? 'yinyang' : acceleration;
  // One wasm memory for the whole call (null: JS kernels), holding the rows, the seeding's
  // arrays shared by all starts, and each start's Yinyang scratch.
  const simd =
    useSimd && matrix.dim === 16 ? createSimd16(matrix.data, count, seedingScratchBytes(count, k) + restarts * yinyangScratchBytes(k)) : null;
  const seeding = seedingBuffers(count, k, simd);
  // Every start is screened for a few iterations; only the lowest-inertia one is run to
  // convergence. Inertia only falls under Lloyd, and the ranking after the warm-up rarely
  // changes later, so this keeps most of the benefit of restarts at a fraction of the cost.
  let best: { run: LloydRun; inertia: number } | undefined;
  for (let r = 0; r < restarts; r++) {
    const run = new LloydRun(matrix, k, kMeansPlusPlus(matrix, k, random, seeding), bounds, simd);
    run.advance(restarts === 1 ? maxIterations : Math.min(screenIterations, maxIterations), shiftLimit);
    const inertia = run.inertia();
    if (!best || inertia < best.inertia) best = { run, inertia };
  }
  const { run } = best!;
  run.advance(maxIterations, shiftLimit);
  return {
    k,
    dim: matrix.dim,
    centres: run.centres,
    assignments: run.assignments,
    inertia: run.inertia(),
    iterations: run.iterations,
    converged: run.converged,
    clusters: clusterMembers(matrix, k, run.centres, run.assignments),
  };
}

function meanVariance(matrix: EmbeddingMatrix): number {
  const { dim, count, data } = matrix;
  let total = 0;
  for (let d = 0; d < dim; d++) {
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < count; i++) {
      const v = data[i * dim + d]!;
      sum += v;
      sumSq += v * v;
    }
    const mean = sum / count;
    total += Math.max(0, sumSq / count - mean * mean);
  }
  return total / dim;
}

function clusterMembers(
  matrix: EmbeddingMatrix,
  k: number,
  centres: Float32Array,
  assignments: Uint32Array,
): KMeansCluster[] {
  const { dim, data } = matrix;
  const byCluster: number[][] = Array.from({ length: k }, () => []);
  assignments.forEach((c, i) => byCluster[c]!.push(i));
  return byCluster.map((rows, index) => {
    const dist = rows.map((i) => Math.sqrt(sqDist(data, i * dim, centres, index * dim, dim)));
    const order = rows.map((_, j) => j).sort((a, b) => dist[a]! - dist[b]! || rows[a]! - rows[b]!);
    return {
      index,
      members: Uint32Array.from(order, (j) => rows[j]!),
      distances: Float32Array.from(order, (j) => dist[j]!),
    };
  });
}
