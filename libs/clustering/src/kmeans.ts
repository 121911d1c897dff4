import { type EmbeddingMatrix, squaredDistanceAt as sqDist } from './embeddings';
import { type RandomSource, seededRandom } from './prng';

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
   * Stop once the summed squared centre shift of an iteration is below
   * tolerance × (mean per-dimension variance of the data), as scikit-learn does. Default 1e-4.
   * Iteration also stops as soon as no point changes cluster.
   */
  readonly tolerance?: number;
  /**
   * Bounds used to skip distance computations; both give plain Lloyd's result. 'elkan' keeps
   * N × K bounds (fastest for K up to hundreds), 'hamerly' keeps 2 per point (small memory).
   * Default 'auto': Elkan unless N × K exceeds 16M.
   */
  readonly acceleration?: 'auto' | 'elkan' | 'hamerly';
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
 * K-Means with k-means++ seeding (the greedy variant used by ml-kmeans and scikit-learn)
 * and Hamerly-accelerated Lloyd iterations on flat Float32 data. ml-kmeans itself takes
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
  } = options;
  const { count } = matrix;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`K must be a positive integer, got ${k}`);
  if (k > count) throw new RangeError(`K (${k}) is larger than the number of points (${count})`);
  if (!Number.isInteger(restarts) || restarts < 1) throw new RangeError(`restarts must be >= 1, got ${restarts}`);
  const random = seededRandom(seed);
  const shiftLimit = tolerance * meanVariance(matrix);
  // Every start is screened for a few iterations; only the lowest-inertia one is run to
  // convergence. Inertia only falls under Lloyd, and the ranking after the warm-up rarely
  // changes later, so this keeps most of the benefit of restarts at a fraction of the cost.
  let best: { run: LloydRun; inertia: number } | undefined;
  for (let r = 0; r < restarts; r++) {
    const useElkan = acceleration === 'elkan' || (acceleration === 'auto' && matrix.count * k <= ELKAN_MAX_BOUNDS);
    const run = new LloydRun(matrix, k, kMeansPlusPlus(matrix, k, random), useElkan);
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

/**
 * Greedy k-means++: each new centre is the best of 2 + ln K candidates drawn ∝ D².
 * A point whose own centre is at least twice its current distance away from a candidate
 * cannot get closer to that candidate (triangle inequality), so its distance is skipped;
 * the result is identical to evaluating every point. This pays off on clustered data;
 * on uniform random 16-d data distances concentrate and it rarely triggers.
 */
function kMeansPlusPlus(matrix: EmbeddingMatrix, k: number, random: RandomSource): Float32Array {
  const { dim, count, data } = matrix;
  const centres = new Float32Array(k * dim);
  const trials = 2 + Math.floor(Math.log(k));
  const first = Math.floor(random() * count);
  centres.set(data.subarray(first * dim, (first + 1) * dim), 0);
  const closest = new Float64Array(count);
  const owner = new Uint32Array(count);
  for (let i = 0; i < count; i++) closest[i] = sqDist(data, i * dim, data, first * dim, dim);
  const cumulative = new Float64Array(count);
  const candidateD2 = new Float64Array(count);
  const candidateOwner = new Uint32Array(count);
  const bestD2 = new Float64Array(count);
  const bestOwner = new Uint32Array(count);
  const toCentre = new Float64Array(k);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < count; i++) cumulative[i] = total += closest[i]!;
    let bestRow = -1;
    let bestPot = Infinity;
    for (let t = 0; t < trials; t++) {
      // All points already coincide with a centre: any pick is as good as another.
      const row = total > 0 ? upperBound(cumulative, random() * total) : Math.floor(random() * count);
      const o = row * dim;
      for (let j = 0; j < c; j++) toCentre[j] = sqDist(data, o, centres, j * dim, dim);
      let pot = 0;
      for (let i = 0; i < count; i++) {
        let d = closest[i]!;
        let who = owner[i]!;
        if (toCentre[who]! < 4 * d) {
          const e = sqDist(data, i * dim, data, o, dim);
          if (e < d) {
            d = e;
            who = c;
          }
        }
        candidateD2[i] = d;
        candidateOwner[i] = who;
        pot += d;
      }
      if (pot < bestPot) {
        bestPot = pot;
        bestRow = row;
        bestD2.set(candidateD2);
        bestOwner.set(candidateOwner);
      }
    }
    centres.set(data.subarray(bestRow * dim, (bestRow + 1) * dim), c * dim);
    closest.set(bestD2);
    owner.set(bestOwner);
  }
  return centres;
}

function upperBound(cumulative: Float64Array, value: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}


/** Above this many point × centre bounds (8 bytes each), Elkan's memory cost is too high and Hamerly is used. */
const ELKAN_MAX_BOUNDS = 16_000_000;

/**
 * Lloyd's algorithm, accelerated with triangle-inequality bounds so that most points skip
 * most distance computations once clusters settle. Both variants give the same
 * assignments as plain Lloyd: Elkan (a lower bound per point and centre) prunes best and
 * suits K up to a few hundred; Hamerly (one lower bound per point) needs O(N) memory.
 */
class LloydRun {
  iterations = 0;
  converged = false;
  private readonly state: LloydState;
  private readonly step: () => number;

  constructor(
    private readonly matrix: EmbeddingMatrix,
    k: number,
    initial: Float32Array,
    useElkan: boolean,
  ) {
    this.state = new LloydState(matrix, k, initial);
    this.step = useElkan ? elkan(this.state) : hamerly(this.state);
  }

  get centres(): Float32Array {
    return this.state.centres;
  }

  get assignments(): Uint32Array {
    return this.state.assignments;
  }

  /** Runs until converged or `untilIteration` iterations have been done in total. */
  advance(untilIteration: number, shiftLimit: number): void {
    while (!this.converged && this.iterations < untilIteration) {
      this.iterations++;
      if (this.state.updateCentres() <= shiftLimit) {
        this.converged = true;
        break;
      }
      // Centres are the means of the current assignments, so no change means a fixed point.
      if (this.step() === 0) this.converged = true;
    }
  }

  inertia(): number {
    const { data, dim, count } = this.matrix;
    const { centres, assignments } = this.state;
    let inertia = 0;
    for (let i = 0; i < count; i++) inertia += sqDist(data, i * dim, centres, assignments[i]! * dim, dim);
    return inertia;
  }
}

class LloydState {
  readonly dim: number;
  readonly count: number;
  readonly data: Float32Array;
  readonly assignments: Uint32Array;
  /** Upper bound on each point's distance to its own centre. */
  readonly upper: Float64Array;
  /** How far each centre moved in the last update. */
  readonly moved: Float64Array;
  maxMove = 0;
  secondMove = 0;
  maxMover = -1;
  private readonly sums: Float64Array;
  private readonly sizes: Uint32Array;
  // Points already used to restart an empty cluster, so two empty clusters never share one.
  private readonly reseeded: Uint8Array;

  constructor(
    matrix: EmbeddingMatrix,
    readonly k: number,
    readonly centres: Float32Array,
  ) {
    this.dim = matrix.dim;
    this.count = matrix.count;
    this.data = matrix.data;
    this.assignments = new Uint32Array(this.count);
    this.upper = new Float64Array(this.count);
    this.moved = new Float64Array(k);
    this.sums = new Float64Array(k * this.dim);
    this.sizes = new Uint32Array(k);
    this.reseeded = new Uint8Array(this.count);
  }

  /** Moves every centre to the mean of its members; returns the summed squared shift. */
  updateCentres(): number {
    const { dim, count, data, k, centres, sums, sizes, assignments, upper } = this;
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < count; i++) {
      const c = assignments[i]!;
      sizes[c]!++;
      const o = i * dim;
      const so = c * dim;
      for (let d = 0; d < dim; d++) sums[so + d]! += data[o + d]!;
    }
    let totalShift = 0;
    this.maxMove = 0;
    this.secondMove = 0;
    this.maxMover = -1;
    for (let c = 0; c < k; c++) {
      const so = c * dim;
      let shift = 0;
      if (sizes[c]! > 0) {
        for (let d = 0; d < dim; d++) {
          const v = sums[so + d]! / sizes[c]!;
          const x = v - centres[so + d]!;
          shift += x * x;
          centres[so + d] = v;
        }
      } else {
        // Empty cluster: restart it at the point furthest from its own centre. The bounds
        // stay valid because the jump is accounted for as this centre's movement.
        let far = -1;
        for (let i = 0; i < count; i++) {
          if (!this.reseeded[i] && (far < 0 || upper[i]! > upper[far]!)) far = i;
        }
        if (far >= 0 && upper[far]! > 0) {
          this.reseeded[far] = 1;
          for (let d = 0; d < dim; d++) {
            const v = data[far * dim + d]!;
            const x = v - centres[so + d]!;
            shift += x * x;
            centres[so + d] = v;
          }
        }
      }
      totalShift += shift;
      const m = Math.sqrt(shift);
      this.moved[c] = m;
      if (m > this.maxMove) {
        this.secondMove = this.maxMove;
        this.maxMove = m;
        this.maxMover = c;
      } else if (m > this.secondMove) this.secondMove = m;
    }
    return totalShift;
  }

  /** Half the distance from each centre to its nearest other centre, and (optionally) all centre gaps. */
  centreGaps(halfGap: Float64Array, pairwise?: Float64Array): void {
    const { k, dim, centres } = this;
    halfGap.fill(Infinity);
    for (let c = 0; c < k; c++) {
      for (let c2 = c + 1; c2 < k; c2++) {
        const half = Math.sqrt(sqDist(centres, c * dim, centres, c2 * dim, dim)) / 2;
        if (pairwise) {
          pairwise[c * k + c2] = half;
          pairwise[c2 * k + c] = half;
        }
        if (half < halfGap[c]!) halfGap[c] = half;
        if (half < halfGap[c2]!) halfGap[c2] = half;
      }
    }
  }
}

/** Returns a step function: one bounded assignment pass, returning how many points changed cluster. */
function hamerly(state: LloydState): () => number {
  const { dim, count, data, k, centres, assignments, upper, moved } = state;
  const lower = new Float64Array(count);
  const halfGap = new Float64Array(k);
  const scan = (i: number): void => {
    let best = 0;
    let d1 = Infinity;
    let d2 = Infinity;
    const o = i * dim;
    for (let c = 0; c < k; c++) {
      const d = sqDist(data, o, centres, c * dim, dim);
      if (d < d1) {
        d2 = d1;
        d1 = d;
        best = c;
      } else if (d < d2) d2 = d;
    }
    assignments[i] = best;
    upper[i] = Math.sqrt(d1);
    lower[i] = Math.sqrt(d2);
  };
  for (let i = 0; i < count; i++) scan(i);
  return () => {
    for (let i = 0; i < count; i++) {
      const a = assignments[i]!;
      upper[i]! += moved[a]!;
      lower[i]! -= a === state.maxMover ? state.secondMove : state.maxMove;
    }
    state.centreGaps(halfGap);
    let changed = 0;
    for (let i = 0; i < count; i++) {
      const a = assignments[i]!;
      const bound = Math.max(halfGap[a]!, lower[i]!);
      if (upper[i]! <= bound) continue;
      upper[i] = Math.sqrt(sqDist(data, i * dim, centres, a * dim, dim));
      if (upper[i]! <= bound) continue;
      scan(i);
      if (assignments[i] !== a) changed++;
    }
    return changed;
  };
}

function elkan(state: LloydState): () => number {
  const { dim, count, data, k, centres, assignments, upper, moved } = state;
  // Lower bounds are stored as (bound + drift of that centre at the time), so decaying
  // them after a centre moves is a per-centre update instead of an N × K pass.
  const lowerStored = new Float64Array(count * k);
  const drift = new Float64Array(k);
  const halfGap = new Float64Array(k);
  const halfPair = new Float64Array(k * k);
  for (let i = 0; i < count; i++) {
    let best = 0;
    let d1 = Infinity;
    for (let c = 0; c < k; c++) {
      const d = Math.sqrt(sqDist(data, i * dim, centres, c * dim, dim));
      lowerStored[i * k + c] = d;
      if (d < d1) {
        d1 = d;
        best = c;
      }
    }
    assignments[i] = best;
    upper[i] = d1;
  }
  return () => {
    for (let c = 0; c < k; c++) drift[c]! += moved[c]!;
    for (let i = 0; i < count; i++) upper[i]! += moved[assignments[i]!]!;
    state.centreGaps(halfGap, halfPair);
    let changed = 0;
    for (let i = 0; i < count; i++) {
      const start = assignments[i]!;
      let a = start;
      let u = upper[i]!;
      if (u <= halfGap[a]!) continue;
      let stale = true;
      const lo = i * k;
      const o = i * dim;
      for (let c = 0; c < k; c++) {
        if (c === a) continue;
        const l = lowerStored[lo + c]! - drift[c]!;
        if (u <= l || u <= halfPair[a * k + c]!) continue;
        if (stale) {
          u = Math.sqrt(sqDist(data, o, centres, a * dim, dim));
          lowerStored[lo + a] = u + drift[a]!;
          stale = false;
          if (u <= l || u <= halfPair[a * k + c]!) continue;
        }
        const d = Math.sqrt(sqDist(data, o, centres, c * dim, dim));
        lowerStored[lo + c] = d + drift[c]!;
        if (d < u) {
          a = c;
          u = d;
        }
      }
      upper[i] = u;
      if (a !== start) {
        assignments[i] = a;
        changed++;
      }
    }
    return changed;
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
