import type { NeighbourGraph } from './search';

/**
 * Fraction of points whose cluster's majority label is their own label
 * (sum over clusters of the majority count, divided by N).
 */
export function clusterPurity(clusters: ArrayLike<number>, labels: readonly string[]): number {
  checkSameLength(clusters.length, labels.length);
  if (labels.length === 0) throw new RangeError('purity of an empty set is undefined');
  const table = contingency(Array.from(clusters), labels);
  let majoritySum = 0;
  for (const row of table.values()) majoritySum += Math.max(...row.values());
  return majoritySum / labels.length;
}

/**
 * Normalised mutual information with arithmetic-mean normalisation,
 * NMI = I(A;B) / ((H(A) + H(B)) / 2), as scikit-learn's default. 1 when both partitions
 * are a single group (identical by definition).
 */
export function normalisedMutualInformation(a: ArrayLike<number | string>, b: ArrayLike<number | string>): number {
  checkSameLength(a.length, b.length);
  const n = a.length;
  if (n === 0) throw new RangeError('NMI of an empty set is undefined');
  const table = contingency(Array.from(a), Array.from(b));
  const aTotals = new Map<number | string, number>();
  const bTotals = new Map<number | string, number>();
  for (const [x, row] of table) {
    for (const [y, c] of row) {
      aTotals.set(x, (aTotals.get(x) ?? 0) + c);
      bTotals.set(y, (bTotals.get(y) ?? 0) + c);
    }
  }
  const entropy = (totals: Map<number | string, number>): number => {
    let h = 0;
    for (const c of totals.values()) h -= (c / n) * Math.log(c / n);
    return h;
  };
  const hA = entropy(aTotals);
  const hB = entropy(bTotals);
  if (hA === 0 && hB === 0) return 1;
  let mi = 0;
  for (const [x, row] of table) {
    for (const [y, c] of row) mi += (c / n) * Math.log((c * n) / (aTotals.get(x)! * bTotals.get(y)!));
  }
  const denom = (hA + hB) / 2;
  return Math.min(1, Math.max(0, mi / denom));
}

/** Fraction of positions where predicted equals truth. */
export function labelAccuracy(predicted: readonly string[], truth: readonly string[]): number {
  checkSameLength(predicted.length, truth.length);
  if (truth.length === 0) throw new RangeError('accuracy of an empty set is undefined');
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) hits++;
  return hits / truth.length;
}

/**
 * Leave-one-out k-NN label prediction from a neighbour graph that excludes each point
 * itself: majority label among the k nearest, ties going to the label whose nearest
 * member is closest.
 */
export function knnLabelPredictions(graph: NeighbourGraph, labels: readonly string[], k: number): string[] {
  if (!Number.isInteger(k) || k < 1 || k > graph.k) {
    throw new RangeError(`k must be between 1 and the graph's k (${graph.k}), got ${k}`);
  }
  const count = graph.rows.length / graph.k;
  checkSameLength(count, labels.length);
  const predictions: string[] = [];
  for (let i = 0; i < count; i++) {
    // Neighbours come nearest first, so the map's insertion order is "nearest member first"
    // and taking the first label with the most votes breaks ties by proximity.
    const votes = new Map<string, number>();
    for (let j = 0; j < k; j++) {
      const label = labels[graph.rows[i * graph.k + j]!]!;
      votes.set(label, (votes.get(label) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = 0;
    for (const [label, v] of votes) {
      if (v > bestVotes) {
        bestVotes = v;
        best = label;
      }
    }
    predictions.push(best);
  }
  return predictions;
}

/** Leave-one-out k-NN label accuracy; see knnLabelPredictions. */
export function knnLabelAccuracy(graph: NeighbourGraph, labels: readonly string[], k: number): number {
  return labelAccuracy(knnLabelPredictions(graph, labels, k), labels);
}

function contingency<A, B>(a: readonly A[], b: readonly B[]): Map<A, Map<B, number>> {
  const table = new Map<A, Map<B, number>>();
  for (let i = 0; i < a.length; i++) {
    const row = table.get(a[i]!) ?? new Map<B, number>();
    row.set(b[i]!, (row.get(b[i]!) ?? 0) + 1);
    table.set(a[i]!, row);
  }
  return table;
}

function checkSameLength(a: number, b: number): void {
  if (a !== b) throw new RangeError(`length mismatch: ${a} vs ${b}`);
}
