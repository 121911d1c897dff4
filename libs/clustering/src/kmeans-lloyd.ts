import { type EmbeddingMatrix, squaredDistanceAt } from './embeddings';
import { squaredDistancesToCentres } from './kmeans-distances';
import type { Simd16 } from './kmeans-simd';
import { yinyang } from './kmeans-yinyang';

// A module-local binding for the hot kernel: under tsx (CommonJS output) every use of an
// imported binding is a property-getter call, which was over 10 % of a k-means profile.
const sqDist = squaredDistanceAt;

export type LloydBounds = 'elkan' | 'hamerly' | 'yinyang';

/**
 * Lloyd's algorithm, accelerated with triangle-inequality bounds so that most points skip
 * most distance computations once clusters settle. Every variant gives the assignments of
 * plain Lloyd: Elkan keeps a lower bound per point and centre, Hamerly one per point, and
 * Yinyang one per point and group of centres (see kmeans-yinyang.ts).
 */
export class LloydRun {
  iterations = 0;
  converged = false;
  private readonly state: LloydState;
  private readonly step: () => number;

  constructor(
    private readonly matrix: EmbeddingMatrix,
    k: number,
    initial: Float32Array,
    bounds: LloydBounds,
    /** WebAssembly kernels for 16-d rows (Yinyang only); see kmeans-simd.ts. */
    simd: Simd16 | null = null,
  ) {
    this.state = new LloydState(matrix, k, initial);
    this.step = bounds === 'yinyang' ? yinyang(this.state, simd) : bounds === 'elkan' ? elkan(this.state) : hamerly(this.state);
  }

  get centres(): Float32Array {
    return this.state.centres;
  }

  get assignments(): Uint32Array {
    return this.state.assignments;
  }

  /**
   * Runs until converged or `untilIteration` iterations have been done in total. An iteration
   * moves the centres to their members' means, then reassigns every point to its nearest centre.
   * It converges when no point changes cluster (a fixed point) or, as in scikit-learn, when the
   * summed squared centre shift is at most `shiftLimit`; either way the assignments returned
   * are those of the returned centres (scikit-learn's final assignment step).
   */
  advance(untilIteration: number, shiftLimit: number): void {
    while (!this.converged && this.iterations < untilIteration) {
      this.iterations++;
      const shift = this.state.updateCentres();
      if (this.step() === 0 || shift <= shiftLimit) this.converged = true;
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

export class LloydState {
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
    if (dim === 16) {
      // Unrolled for FEENet's 16-d rows (the generic loop was ~1 ms of every iteration at 22k);
      // same additions in the same order.
      for (let i = 0; i < count; i++) {
        const c = assignments[i]!;
        sizes[c]!++;
        const o = i * 16;
        const so = c * 16;
        sums[so + 0]! += data[o + 0]!;
        sums[so + 1]! += data[o + 1]!;
        sums[so + 2]! += data[o + 2]!;
        sums[so + 3]! += data[o + 3]!;
        sums[so + 4]! += data[o + 4]!;
        sums[so + 5]! += data[o + 5]!;
        sums[so + 6]! += data[o + 6]!;
        sums[so + 7]! += data[o + 7]!;
        sums[so + 8]! += data[o + 8]!;
        sums[so + 9]! += data[o + 9]!;
        sums[so + 10]! += data[o + 10]!;
        sums[so + 11]! += data[o + 11]!;
        sums[so + 12]! += data[o + 12]!;
        sums[so + 13]! += data[o + 13]!;
        sums[so + 14]! += data[o + 14]!;
        sums[so + 15]! += data[o + 15]!;
      }
    } else {
      for (let i = 0; i < count; i++) {
        const c = assignments[i]!;
        sizes[c]!++;
        const o = i * dim;
        const so = c * dim;
        for (let d = 0; d < dim; d++) sums[so + d]! += data[o + d]!;
      }
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
export function hamerly(state: LloydState): () => number {
  const { dim, count, data, k, centres, assignments, upper, moved } = state;
  const lower = new Float64Array(count);
  const halfGap = new Float64Array(k);
  const toCentres = new Float64Array(k);
  const scan = (i: number): void => {
    let best = 0;
    let d1 = Infinity;
    let d2 = Infinity;
    squaredDistancesToCentres(data, i * dim, dim, centres, k, toCentres);
    for (let c = 0; c < k; c++) {
      const d = toCentres[c]!;
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

export function elkan(state: LloydState): () => number {
  const { dim, count, data, k, centres, assignments, upper, moved } = state;
  // Lower bounds are stored as (bound + drift of that centre at the time), so decaying
  // them after a centre moves is a per-centre update instead of an N × K pass.
  const lowerStored = new Float64Array(count * k);
  const drift = new Float64Array(k);
  const halfGap = new Float64Array(k);
  const halfPair = new Float64Array(k * k);
  const toCentres = new Float64Array(k);
  for (let i = 0; i < count; i++) {
    let best = 0;
    let d1 = Infinity;
    squaredDistancesToCentres(data, i * dim, dim, centres, k, toCentres);
    for (let c = 0; c < k; c++) {
      const d = Math.sqrt(toCentres[c]!);
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
