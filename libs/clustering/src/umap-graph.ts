import type { UMAP } from 'umap-js';
import { SparseMatrix } from 'umap-js/dist/matrix';

// The parts of umap-js 1.4.0's UMAP class (private in its typings) that are replaced here.
interface UmapInternals {
  knnIndices?: number[][];
  knnDistances?: number[][];
  localConnectivity: number;
  smoothKNNDistance(distances: number[][], k: number, localConnectivity: number): { sigmas: number[]; rhos: number[] };
  computeMembershipStrengths(
    indices: number[][],
    distances: number[][],
    sigmas: number[],
    rhos: number[],
  ): { rows: number[]; cols: number[]; vals: number[] };
  fuzzySimplicialSet(X: number[][], nNeighbors: number, setOpMixRatio: number): SparseMatrix;
  makeSearchGraph(X: number[][]): SparseMatrix;
}

/**
 * umap-js builds its fuzzy graph with string-keyed sparse-matrix algebra, which takes
 * ~15 s for 22k points; the layout itself is fine. This swaps in a typed-array union
 * P + Pᵀ − P∘Pᵀ with the same entries and values (so the same layout for a seed; a test
 * checks this against umap-js), and skips the search graph that only `transform` uses.
 * Tied to umap-js 1.4.0, which package.json pins exactly.
 */
export function useFastFuzzyGraph(umap: UMAP): void {
  const u = umap as unknown as UmapInternals;
  u.fuzzySimplicialSet = (X, nNeighbors, setOpMixRatio = 1) => {
    const indices = u.knnIndices ?? [];
    const distances = u.knnDistances ?? [];
    const { sigmas, rhos } = u.smoothKNNDistance(distances, nNeighbors, u.localConnectivity);
    const { rows, cols, vals } = u.computeMembershipStrengths(indices, distances, sigmas, rhos);
    return symmetricFuzzyUnion(X.length, rows, cols, vals, setOpMixRatio);
  };
  u.makeSearchGraph = (X) => new SparseMatrix([], [], [], [X.length, X.length]);
}

/** mix·(P + Pᵀ − P∘Pᵀ) + (1 − mix)·(P∘Pᵀ) over the union of P's and Pᵀ's entries, as umap-js computes it. */
export function symmetricFuzzyUnion(
  count: number,
  rows: readonly number[],
  cols: readonly number[],
  vals: readonly number[],
  mix: number,
): SparseMatrix {
  const position = new Map<number, number>();
  for (let e = 0; e < rows.length; e++) position.set(rows[e]! * count + cols[e]!, e);
  const outRows: number[] = [];
  const outCols: number[] = [];
  const outVals: number[] = [];
  const emit = (r: number, c: number, p: number, q: number): void => {
    const product = p * q;
    outRows.push(r);
    outCols.push(c);
    outVals.push((p + q - product) * mix + product * (1 - mix));
  };
  for (let e = 0; e < rows.length; e++) {
    const r = rows[e]!;
    const c = cols[e]!;
    const mirror = position.get(c * count + r);
    emit(r, c, vals[e]!, mirror === undefined ? 0 : vals[mirror]!);
    // Entries only present in Pᵀ.
    if (mirror === undefined) emit(c, r, 0, vals[e]!);
  }
  return new SparseMatrix(outRows, outCols, outVals, [count, count]);
}
