// Synthetic embeddings for tests: seeded, so every run sees the same data.
import type { EmbeddingMatrix } from '../src/embeddings';
import { type RandomSource, seededRandom } from '../src/prng';

export function gaussian(random: RandomSource): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** `count` random unit vectors, uniformly distributed on the sphere. */
export function randomUnitVectors(count: number, dim: number, seed: number): EmbeddingMatrix {
  const random = seededRandom(seed);
  const data = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const g = gaussian(random);
      data[i * dim + d] = g;
      norm += g * g;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) data[i * dim + d]! /= norm;
  }
  return { dim, count, data };
}

/** Unit vectors in tight blobs around well-separated random centres; labels[i] is the blob of row i. */
export function blobs(
  sizes: readonly number[],
  dim: number,
  seed: number,
  spread = 0.05,
): { matrix: EmbeddingMatrix; labels: number[] } {
  const random = seededRandom(seed);
  const centres = randomUnitVectors(sizes.length, dim, seed + 1000);
  const count = sizes.reduce((a, b) => a + b, 0);
  const data = new Float32Array(count * dim);
  const labels: number[] = [];
  let row = 0;
  sizes.forEach((size, b) => {
    for (let j = 0; j < size; j++, row++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        const v = centres.data[b * dim + d]! + spread * gaussian(random);
        data[row * dim + d] = v;
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      for (let d = 0; d < dim; d++) data[row * dim + d]! /= norm;
      labels.push(b);
    }
  });
  return { matrix: { dim, count, data }, labels };
}

/** Squared distance with a plain loop, the reference the optimised kernels are checked against. */
export function referenceDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let d = 0; d < a.length; d++) s += (a[d]! - b[d]!) ** 2;
  return Math.sqrt(s);
}
