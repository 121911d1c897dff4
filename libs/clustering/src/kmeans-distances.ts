import { squaredDistanceAt } from './embeddings';

// Module-local binding for the kernel (see kmeans-lloyd.ts).
const sqDist = squaredDistanceAt;

/**
 * Squared distances from the row at data[o..o+dim) to all k centres, into out[0..k). For 16-d
 * rows see squaredDistances16; the arithmetic is that of squaredDistanceAt either way, so every
 * acceleration sees the same numbers.
 */
export function squaredDistancesToCentres(
  data: Float32Array,
  o: number,
  dim: number,
  centres: Float32Array,
  k: number,
  out: Float64Array,
): void {
  if (dim === 16) squaredDistances16(data, o, centres, null, 0, k, out);
  else for (let c = 0; c < k; c++) out[c] = sqDist(data, o, centres, c * dim, dim);
}

/**
 * out[j] = squared distance from the 16-d row at data[o..o+16) to centre `rows[j]` (or centre j
 * when `rows` is null), for j in [first, end). The row is held in locals, half the loads per
 * distance; the accumulation order (four accumulators) is squaredDistanceAt's, to the last bit.
 */
export function squaredDistances16(
  data: Float32Array,
  o: number,
  centres: Float32Array,
  rows: Uint32Array | null,
  first: number,
  end: number,
  out: Float64Array,
): void {
  const x0 = data[o]!, x1 = data[o + 1]!, x2 = data[o + 2]!, x3 = data[o + 3]!;
  const x4 = data[o + 4]!, x5 = data[o + 5]!, x6 = data[o + 6]!, x7 = data[o + 7]!;
  const x8 = data[o + 8]!, x9 = data[o + 9]!, x10 = data[o + 10]!, x11 = data[o + 11]!;
  const x12 = data[o + 12]!, x13 = data[o + 13]!, x14 = data[o + 14]!, x15 = data[o + 15]!;
  for (let j = first; j < end; j++) {
    const q = (rows === null ? j : rows[j]!) * 16;
    let e = x0 - centres[q]!;
    let s0 = e * e;
    e = x1 - centres[q + 1]!;
    let s1 = e * e;
    e = x2 - centres[q + 2]!;
    let s2 = e * e;
    e = x3 - centres[q + 3]!;
    let s3 = e * e;
    e = x4 - centres[q + 4]!;
    s0 += e * e;
    e = x5 - centres[q + 5]!;
    s1 += e * e;
    e = x6 - centres[q + 6]!;
    s2 += e * e;
    e = x7 - centres[q + 7]!;
    s3 += e * e;
    e = x8 - centres[q + 8]!;
    s0 += e * e;
    e = x9 - centres[q + 9]!;
    s1 += e * e;
    e = x10 - centres[q + 10]!;
    s2 += e * e;
    e = x11 - centres[q + 11]!;
    s3 += e * e;
    e = x12 - centres[q + 12]!;
    s0 += e * e;
    e = x13 - centres[q + 13]!;
    s1 += e * e;
    e = x14 - centres[q + 14]!;
    s2 += e * e;
    e = x15 - centres[q + 15]!;
    s3 += e * e;
    out[j] = s0 + s1 + (s2 + s3);
  }
}
