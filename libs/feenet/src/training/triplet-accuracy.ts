/**
 * Triplet prediction accuracy: a triplet is right when, of its three pairs, the one with the smallest
 * embedding distance is the pair the raters judged most similar (anchor, positive).
 */
import { TRIPLET_TYPES, type Triplet, type TripletType } from '@feenet/datasets';

export interface TripletAccuracy {
  overall: number;
  count: number;
  byType: Record<TripletType, { accuracy: number; count: number }>;
}

/** Squared L2 distance between rows i and j of a row-major [n, dim] matrix. */
export function rowDistance(embeddings: Float32Array, dim: number, i: number, j: number): number {
  let sum = 0;
  const a = i * dim;
  const b = j * dim;
  for (let k = 0; k < dim; k++) {
    const d = embeddings[a + k]! - embeddings[b + k]!;
    sum += d * d;
  }
  return sum;
}

/** True when (anchor, positive) is strictly the closest pair of the three. */
export function predictsTriplet(embeddings: Float32Array, dim: number, a: number, p: number, n: number): boolean {
  const ap = rowDistance(embeddings, dim, a, p);
  return ap < rowDistance(embeddings, dim, a, n) && ap < rowDistance(embeddings, dim, p, n);
}

/**
 * @param embeddings row-major [faces, dim]
 * @param rowOf maps a face id to its row in `embeddings`
 */
export function tripletAccuracy(
  embeddings: Float32Array,
  dim: number,
  triplets: readonly Pick<Triplet, 'anchor' | 'positive' | 'negative' | 'type'>[],
  rowOf: (faceId: string) => number,
): TripletAccuracy {
  const right = { ONE_CLASS: 0, TWO_CLASS: 0, THREE_CLASS: 0 } satisfies Record<TripletType, number>;
  const seen = { ONE_CLASS: 0, TWO_CLASS: 0, THREE_CLASS: 0 } satisfies Record<TripletType, number>;
  for (const t of triplets) {
    seen[t.type]++;
    if (predictsTriplet(embeddings, dim, rowOf(t.anchor), rowOf(t.positive), rowOf(t.negative))) right[t.type]++;
  }
  const count = triplets.length;
  const total = right.ONE_CLASS + right.TWO_CLASS + right.THREE_CLASS;
  const byType = Object.fromEntries(
    TRIPLET_TYPES.map((type) => [type, { accuracy: seen[type] ? right[type] / seen[type] : NaN, count: seen[type] }]),
  ) as TripletAccuracy['byType'];
  return { overall: count ? total / count : NaN, count, byType };
}

/** Mean pairwise L2 distance over (at most) the first `limit` rows: near 0 means the embedding collapsed. */
export function embeddingSpread(embeddings: Float32Array, dim: number, limit = 500): number {
  const n = Math.min(embeddings.length / dim, limit);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      sum += Math.sqrt(rowDistance(embeddings, dim, i, j));
      pairs++;
    }
  }
  return pairs ? sum / pairs : 0;
}
