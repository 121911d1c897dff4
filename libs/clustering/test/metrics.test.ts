import { describe, expect, it } from 'vitest';
import { type NeighbourGraph, clusterPurity, knnLabelAccuracy, knnLabelPredictions, labelAccuracy, normalisedMutualInformation } from '../src/index';

describe('clusterPurity', () => {
  it('sums each cluster’s majority label count over N', () => {
    // clusters {0,1,2} {3,4,5}; labels a a b | b c c → majorities 2 + 2 of 6.
    expect(clusterPurity([0, 0, 0, 1, 1, 1], ['a', 'a', 'b', 'b', 'c', 'c'])).toBeCloseTo(4 / 6, 12);
    // clusters {0,1} {2,3} {4,5}; labels x x | x y | y y → 2 + 1 + 2 of 6.
    expect(clusterPurity([0, 0, 1, 1, 2, 2], ['x', 'x', 'x', 'y', 'y', 'y'])).toBeCloseTo(5 / 6, 12);
    expect(clusterPurity([3, 3, 1, 1], ['a', 'a', 'b', 'b'])).toBe(1);
  });
});

describe('normalisedMutualInformation', () => {
  it('matches a hand computation', () => {
    // H(A) = ln 2, H(B) = ln 3, I = (2/3) ln 2 → NMI = (2/3) ln 2 / ((ln 2 + ln 3) / 2) ≈ 0.515804.
    const nmi = normalisedMutualInformation([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]);
    expect(nmi).toBeCloseTo(((2 / 3) * Math.LN2) / ((Math.LN2 + Math.log(3)) / 2), 12);
    expect(nmi).toBeCloseTo(0.515804, 6);
  });

  it('is 1 for the same partition under renaming, 0 for independent ones', () => {
    expect(normalisedMutualInformation([0, 0, 1, 1, 2], ['c', 'c', 'a', 'a', 'b'])).toBeCloseTo(1, 12);
    expect(normalisedMutualInformation([0, 0, 1, 1], ['x', 'y', 'x', 'y'])).toBeCloseTo(0, 12);
    expect(normalisedMutualInformation([0, 0, 0], ['a', 'a', 'a'])).toBe(1);
  });
});

describe('k-NN label accuracy', () => {
  // 4 points, labels a a b b; each row lists its 3 neighbours nearest-first.
  const graph: NeighbourGraph = {
    k: 3,
    rows: Uint32Array.from([1, 2, 3, /* 1: */ 2, 0, 3, /* 2: */ 3, 0, 1, /* 3: */ 0, 1, 2]),
    distances: new Float32Array(12),
  };
  const labels = ['a', 'a', 'b', 'b'];

  it('predicts the nearest neighbour’s label for k = 1', () => {
    expect(knnLabelPredictions(graph, labels, 1)).toEqual(['a', 'b', 'b', 'a']);
    expect(knnLabelAccuracy(graph, labels, 1)).toBe(0.5);
  });

  it('takes the majority for k = 3 and breaks a tie by the nearer label for k = 2', () => {
    expect(knnLabelPredictions(graph, labels, 3)).toEqual(['b', 'b', 'a', 'a']);
    // Row 1: neighbours b (nearer) then a → tie 1:1 goes to b.
    expect(knnLabelPredictions(graph, labels, 2)).toEqual(['a', 'b', 'b', 'a']);
  });

  it('labelAccuracy counts matches', () => {
    expect(labelAccuracy(['a', 'b', 'c'], ['a', 'x', 'c'])).toBeCloseTo(2 / 3, 12);
    expect(() => knnLabelAccuracy(graph, labels, 4)).toThrow(/k must be/);
  });
});
