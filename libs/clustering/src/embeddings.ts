import { endianness } from 'node:os';

/**
 * A dense row-major matrix of float32 embeddings. All hot paths (search, k-means,
 * assignment) work on this flat layout instead of per-face objects.
 */
export interface EmbeddingMatrix {
  readonly dim: number;
  readonly count: number;
  /** count × dim values, row-major. */
  readonly data: Float32Array;
}

export function embeddingMatrix(data: Float32Array, dim: number): EmbeddingMatrix {
  if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (data.length % dim !== 0) {
    throw new RangeError(`embedding data length ${data.length} is not a multiple of dim ${dim}`);
  }
  return { dim, count: data.length / dim, data };
}

/** A view (no copy) of one row. */
export function rowOf(matrix: EmbeddingMatrix, row: number): Float32Array {
  if (!Number.isInteger(row) || row < 0 || row >= matrix.count) {
    throw new RangeError(`row ${row} out of range 0..${matrix.count - 1}`);
  }
  return matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim);
}

/** A new matrix holding copies of the given rows, in the given order. */
export function selectRows(matrix: EmbeddingMatrix, rows: ArrayLike<number>): EmbeddingMatrix {
  const { dim } = matrix;
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r < 0 || r >= matrix.count) throw new RangeError(`row ${r} out of range 0..${matrix.count - 1}`);
    out.set(matrix.data.subarray(r * dim, (r + 1) * dim), i * dim);
  }
  return { dim, count: rows.length, data: out };
}

/** Squared L2 norm of every row; used to turn dot products into distances. */
export function squaredNorms(matrix: EmbeddingMatrix): Float64Array {
  const { dim, count, data } = matrix;
  const norms = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    const o = i * dim;
    for (let d = 0; d < dim; d++) {
      const v = data[o + d]!;
      s += v * v;
    }
    norms[i] = s;
  }
  return norms;
}

/** Euclidean distance between two vectors of equal length, in float64. */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`dimension mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let d = 0; d < a.length; d++) {
    const x = a[d]! - b[d]!;
    s += x * x;
  }
  return Math.sqrt(s);
}

/**
 * Squared Euclidean distance between a[ao..ao+dim) and b[bo..bo+dim). This is the hot
 * kernel of search and k-means; four accumulators let V8 pipeline the work (~30% faster
 * than the plain loop for dim 16).
 */
export function squaredDistanceAt(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  if ((dim & 3) !== 0) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const x = a[ao + d]! - b[bo + d]!;
      s += x * x;
    }
    return s;
  }
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let d = 0; d < dim; d += 4) {
    const x0 = a[ao + d]! - b[bo + d]!;
    const x1 = a[ao + d + 1]! - b[bo + d + 1]!;
    const x2 = a[ao + d + 2]! - b[bo + d + 2]!;
    const x3 = a[ao + d + 3]! - b[bo + d + 3]!;
    s0 += x0 * x0;
    s1 += x1 * x1;
    s2 += x2 * x2;
    s3 += x3 * x3;
  }
  return s0 + s1 + (s2 + s3);
}

/** Little-endian float32 bytes (the on-disk and in-database format) to a Float32Array. */
export function decodeFloat32LE(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  if (endianness() === 'LE') {
    // Copy through a Uint8Array view: the Buffer may not be 4-byte aligned.
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

export function encodeFloat32LE(data: Float32Array): Buffer {
  if (endianness() === 'LE') return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i]!, i * 4);
  return out;
}
