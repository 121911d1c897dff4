import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddingSpread, selectBackend, tripletAccuracy, tripletLoss, type Triplet } from '../src/index';

describe('triplet loss', () => {
  beforeAll(async () => {
    await selectBackend();
  });

  it('matches a hand computation on 2-d embeddings', () => {
    // Triplet 1: a=(1,0), p=(0,1), n=(-1,0): d(a,p)=2, d(a,n)=4, d(p,n)=2
    //   max(0, 2-4+0.2)=0, max(0, 2-2+0.2)=0.2 → 0.2
    // Triplet 2: a=(1,0), p=(1,0), n=(0,1): d(a,p)=0, d(a,n)=2, d(p,n)=2 → 0 + 0 = 0
    // Triplet 3: a=(1,0), p=(-1,0), n=(0.6,0.8): d(a,p)=4, d(a,n)=0.8, d(p,n)=3.2
    //   max(0, 4-0.8+0.2)=3.4, max(0, 4-3.2+0.2)=1.0 → 4.4
    const a = tf.tensor2d([[1, 0], [1, 0], [1, 0]]);
    const p = tf.tensor2d([[0, 1], [1, 0], [-1, 0]]);
    const n = tf.tensor2d([[-1, 0], [0, 1], [0.6, 0.8]]);
    const loss = tripletLoss(a, p, n, 0.2);
    expect(loss.dataSync()[0]).toBeCloseTo((0.2 + 0 + 4.4) / 3, 5);
    expect(tripletLoss(a, p, n, 0.5).dataSync()[0]).toBeCloseTo((0.5 + 0 + (3.7 + 1.3)) / 3, 5);
    tf.dispose([a, p, n, loss]);
  });

  it('is 2 × margin when every embedding is the same point (the collapse signature)', () => {
    const same = tf.tensor2d([[0.6, 0.8], [0.6, 0.8]]);
    expect(tripletLoss(same, same, same, 0.2).dataSync()[0]).toBeCloseTo(0.4, 6);
    same.dispose();
  });
});

describe('triplet accuracy', () => {
  // Rows: 0=(0,0) 1=(0.1,0) 2=(1,0) 3=(0,1) 4=(0.5,0.5)
  const embeddings = new Float32Array([0, 0, 0.1, 0, 1, 0, 0, 1, 0.5, 0.5]);
  const row = (id: string) => Number(id);
  const t = (anchor: number, positive: number, negative: number, type: Triplet['type']) => ({ anchor: String(anchor), positive: String(positive), negative: String(negative), type });

  it('counts a triplet right only when (anchor, positive) is the closest pair', () => {
    const triplets = [
      t(0, 1, 2, 'ONE_CLASS'), // right: 0-1 closest
      t(1, 0, 3, 'TWO_CLASS'), // right
      t(0, 2, 1, 'TWO_CLASS'), // wrong: 0-1 is closer than 0-2
      t(2, 3, 4, 'THREE_CLASS'), // wrong: 2-4 (0.5) beats 2-3 (2)
    ];
    const acc = tripletAccuracy(embeddings, 2, triplets, row);
    expect(acc.overall).toBe(0.5);
    expect(acc.count).toBe(4);
    expect(acc.byType.ONE_CLASS).toEqual({ accuracy: 1, count: 1 });
    expect(acc.byType.TWO_CLASS).toEqual({ accuracy: 0.5, count: 2 });
    expect(acc.byType.THREE_CLASS).toEqual({ accuracy: 0, count: 1 });
  });

  it('reports NaN for a type with no triplets rather than a fake 0 or 100 %', () => {
    const acc = tripletAccuracy(embeddings, 2, [t(0, 1, 2, 'ONE_CLASS')], row);
    expect(acc.byType.TWO_CLASS.count).toBe(0);
    expect(Number.isNaN(acc.byType.TWO_CLASS.accuracy)).toBe(true);
  });

  it('measures spread: 0 for a collapsed embedding, large for spread points', () => {
    expect(embeddingSpread(new Float32Array(32).fill(0.25), 16)).toBe(0);
    expect(embeddingSpread(embeddings, 2)).toBeGreaterThan(0.5);
  });
});
