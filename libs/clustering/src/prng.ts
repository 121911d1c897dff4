/**
 * Seeded pseudo-random numbers (mulberry32). Every randomised step in this library
 * (k-means++ seeding, UMAP, example picking) takes a seed so results are reproducible.
 */
export type RandomSource = () => number;

export function seededRandom(seed: number): RandomSource {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
