import { type EmbeddingMatrix, rowOf, squaredDistanceAt } from './embeddings';
import type { Gallery } from './gallery';

/** The k nearest rows, nearest first. Parallel typed arrays: no per-face objects. */
export interface Neighbours {
  readonly rows: Uint32Array;
  /** Euclidean distances, ascending. */
  readonly distances: Float32Array;
}

export interface NeighbourQuery {
  readonly k: number;
  /** Only consider these rows (e.g. one person, one album, one tag). */
  readonly subset?: Uint32Array;
  /** Skip this row (the query face itself). */
  readonly exclude?: number;
}

/**
 * Anything that answers k-nearest-neighbour queries over a fixed embedding matrix.
 * ExactIndex scans every row; an approximate index (HNSW, IVF) can implement the same
 * interface for very large galleries without callers changing.
 */
export interface NeighbourIndex {
  readonly dim: number;
  readonly count: number;
  search(query: ArrayLike<number>, options: NeighbourQuery): Neighbours;
}

/** Brute-force exact search. ~16 multiply-adds per row; 1M rows is a single fast scan. */
export class ExactIndex implements NeighbourIndex {
  readonly dim: number;
  readonly count: number;
  private readonly data: Float32Array;

  constructor(matrix: EmbeddingMatrix) {
    this.dim = matrix.dim;
    this.count = matrix.count;
    this.data = matrix.data;
  }

  search(query: ArrayLike<number>, options: NeighbourQuery): Neighbours {
    const { k, subset, exclude = -1 } = options;
    if (query.length !== this.dim) throw new RangeError(`query has dim ${query.length}, index has dim ${this.dim}`);
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
    const q = Float32Array.from(query);
    const top = new TopK(k);
    const { data, dim } = this;
    if (subset) {
      for (let s = 0; s < subset.length; s++) {
        const row = subset[s]!;
        if (row >= this.count) throw new RangeError(`subset row ${row} out of range`);
        if (row === exclude) continue;
        const d2 = squaredDistanceAt(q, 0, data, row * dim, dim);
        if (d2 < top.worst) top.push(row, d2);
      }
    } else {
      for (let row = 0, o = 0; row < this.count; row++, o += dim) {
        if (row === exclude) continue;
        const d2 = squaredDistanceAt(q, 0, data, o, dim);
        if (d2 < top.worst) top.push(row, d2);
      }
    }
    return top.result();
  }
}

/** Keeps the k smallest (row, squared distance) pairs in a sorted array; k is small. */
class TopK {
  private readonly rows: Uint32Array;
  private readonly d2: Float64Array;
  private size = 0;
  worst = Infinity;

  constructor(private readonly k: number) {
    this.rows = new Uint32Array(k);
    this.d2 = new Float64Array(k);
  }

  push(row: number, d2: number): void {
    let i = this.size < this.k ? this.size++ : this.k - 1;
    // Insertion: shift larger entries right; ties keep the lower row first (scan order).
    while (i > 0 && this.d2[i - 1]! > d2) {
      this.d2[i] = this.d2[i - 1]!;
      this.rows[i] = this.rows[i - 1]!;
      i--;
    }
    this.d2[i] = d2;
    this.rows[i] = row;
    if (this.size === this.k) this.worst = this.d2[this.k - 1]!;
  }

  result(): Neighbours {
    const distances = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) distances[i] = Math.sqrt(this.d2[i]!);
    return { rows: this.rows.slice(0, this.size), distances };
  }
}

export interface NeighbourGraph {
  readonly k: number;
  /** count × k neighbour rows (self excluded), nearest first. */
  readonly rows: Uint32Array;
  /** count × k Euclidean distances. */
  readonly distances: Float32Array;
}

export interface NeighbourGraphOptions {
  readonly signal?: AbortSignal;
  /** Called with the fraction of rows done, between blocks. */
  readonly onProgress?: (fraction: number) => void;
}

/**
 * Exact k nearest neighbours of every row (excluding itself), e.g. for leave-one-out
 * evaluation or as UMAP's kNN graph. O(N²/2): each pair's distance is computed once and
 * offered to both rows' lists. Yields to the event loop between blocks so it can report
 * progress and be cancelled.
 */
export async function neighbourGraph(
  matrix: EmbeddingMatrix,
  k: number,
  options: NeighbourGraphOptions = {},
): Promise<NeighbourGraph> {
  const { count, dim, data } = matrix;
  if (!Number.isInteger(k) || k < 1 || k >= count) {
    throw new RangeError(`k must be between 1 and count - 1 (${count - 1}), got ${k}`);
  }
  const lists = new NeighbourLists(count, k);
  const totalPairs = (count * (count - 1)) / 2;
  let donePairs = 0;
  let lastYield = performance.now();
  for (let i = 0; i < count; i++) {
    const io = i * dim;
    for (let j = i + 1, jo = (i + 1) * dim; j < count; j++, jo += dim) {
      const d2 = squaredDistanceAt(data, io, data, jo, dim);
      if (d2 < lists.worst[i]!) lists.push(i, j, d2);
      if (d2 < lists.worst[j]!) lists.push(j, i, d2);
    }
    donePairs += count - 1 - i;
    if (performance.now() - lastYield > 50) {
      options.onProgress?.(donePairs / totalPairs);
      await new Promise<void>((r) => setImmediate(r));
      lastYield = performance.now();
      options.signal?.throwIfAborted();
    }
  }
  options.signal?.throwIfAborted();
  options.onProgress?.(1);
  const distances = new Float32Array(count * k);
  for (let i = 0; i < distances.length; i++) distances[i] = Math.sqrt(lists.d2[i]!);
  return { k, rows: lists.rows, distances };
}

/** k-nearest lists for every row in flat arrays, each kept sorted by insertion. */
class NeighbourLists {
  readonly rows: Uint32Array;
  readonly d2: Float64Array;
  readonly worst: Float64Array;
  private readonly sizes: Uint32Array;

  constructor(
    count: number,
    private readonly k: number,
  ) {
    this.rows = new Uint32Array(count * k);
    this.d2 = new Float64Array(count * k);
    this.worst = new Float64Array(count).fill(Infinity);
    this.sizes = new Uint32Array(count);
  }

  push(owner: number, row: number, d2: number): void {
    const { k } = this;
    const base = owner * k;
    const size = this.sizes[owner]!;
    let i = size < k ? size : k - 1;
    if (size < k) this.sizes[owner] = size + 1;
    // Ties keep the earlier-offered (lower) row first, matching ExactIndex's scan order.
    while (i > 0 && this.d2[base + i - 1]! > d2) {
      this.d2[base + i] = this.d2[base + i - 1]!;
      this.rows[base + i] = this.rows[base + i - 1]!;
      i--;
    }
    this.d2[base + i] = d2;
    this.rows[base + i] = row;
    if (this.sizes[owner] === k) this.worst[owner] = this.d2[base + k - 1]!;
  }
}

export interface SimilarFace {
  readonly id: string;
  readonly row: number;
  readonly distance: number;
}

/**
 * The faces most similar in expression to a query face (by id) or vector, optionally
 * within a subset. The query face itself is never returned.
 */
export function findSimilarFaces(
  gallery: Gallery,
  index: NeighbourIndex,
  query: { readonly faceId: string } | { readonly vector: ArrayLike<number> },
  options: NeighbourQuery,
): SimilarFace[] {
  let vector: ArrayLike<number>;
  let exclude = options.exclude;
  if ('faceId' in query) {
    const row = gallery.faces.findIndex((f) => f.id === query.faceId);
    if (row < 0) throw new RangeError(`face "${query.faceId}" is not in the gallery`);
    vector = rowOf(gallery.embeddings, row);
    exclude = row;
  } else {
    vector = query.vector;
  }
  const found = index.search(vector, { ...options, exclude });
  return Array.from(found.rows, (row, i) => ({ id: gallery.faces[row]!.id, row, distance: found.distances[i]! }));
}
