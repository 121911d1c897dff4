import { UMAP } from 'umap-js';
import { describe, expect, it } from 'vitest';
import { neighbourGraph, seededRandom } from '../src/index';
import { useFastFuzzyGraph } from '../src/umap-graph';
import { blobs } from './synthetic';

describe('useFastFuzzyGraph', () => {
  it('gives exactly the layout stock umap-js gives for the same kNN graph and seed', async () => {
    const { matrix } = blobs([80, 70, 50], 16, 51, 0.1);
    const k = 9;
    const graph = await neighbourGraph(matrix, k);
    const X = Array.from({ length: matrix.count }, (_, i) => Array.from(matrix.data.subarray(i * 16, i * 16 + 16)));
    const layout = (fast: boolean) => {
      const umap = new UMAP({ nNeighbors: k + 1, nEpochs: 40, random: seededRandom(4) });
      if (fast) useFastFuzzyGraph(umap);
      umap.setPrecomputedKNN(
        X.map((_, i) => [i, ...graph.rows.subarray(i * k, (i + 1) * k)]),
        X.map((_, i) => [0, ...graph.distances.subarray(i * k, (i + 1) * k)]),
      );
      const epochs = umap.initializeFit(X);
      for (let e = 0; e < epochs; e++) umap.step();
      return umap.getEmbedding();
    };
    const stock = layout(false);
    const fast = layout(true);
    expect(fast).toEqual(stock);
  });
});
