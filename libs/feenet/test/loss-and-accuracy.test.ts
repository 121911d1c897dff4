import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNegativeLoss, embeddingSpread, labelContrastLoss, tripletAccuracy, tripletLoss, tripletObjective } from '../src/index';
import { type Triplet } from '@feenet/datasets';
import { selectBackend } from '@feenet/tfjs-runtime';

/** `rows` seeded random unit vectors in `dim` dimensions. */
function unitRows(rows: number, dim: number, seed: number): number[][] {
  const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return Array.from({ length: rows }, () => {
    const v = Array.from({ length: dim }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

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

describe('in-batch semi-hard negatives', () => {
  beforeAll(async () => {
    await selectBackend();
  });

  /** The same loss written out with loops: every other triplet's face x as a negative for a and for p. */
  function byHand(a: number[][], p: number[][], n: number[][], margin: number): number {
    const d = (x: number[], y: number[]) => x.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0);
    const all = [a, p, n];
    let sum = 0;
    let active = 0;
    for (let i = 0; i < a.length; i++) {
      const ap = d(a[i]!, p[i]!);
      for (const row of [a[i]!, p[i]!]) {
        for (const faces of all) {
          faces.forEach((x, j) => {
            if (j === i) return; // its own triplet
            const dx = d(row, x);
            if (!(dx > ap)) return; // harder than the positive: maybe not a negative at all
            const term = Math.max(0, ap - dx + margin);
            sum += term;
            if (term > 0) active++;
          });
        }
      }
    }
    return sum / Math.max(1, active);
  }


  it('matches a loop over every other face in the batch, skipping faces closer than the positive', () => {
    const [a, p, n] = [7, 8, 9].map((seed) => unitRows(5, 4, seed)) as [number[][], number[][], number[][]];
    const loss = batchNegativeLoss(tf.tensor2d(a), tf.tensor2d(p), tf.tensor2d(n), 0.5);
    expect(byHand(a, p, n, 0.5)).toBeGreaterThan(0);
    expect(loss.dataSync()[0]).toBeCloseTo(byHand(a, p, n, 0.5), 5);
    loss.dispose();
  });

  it('is 0 when every other face is farther than the positive by the margin; faces closer than the positive are left alone', () => {
    // Two triplets at opposite sides of the circle: across triplets every distance is at least 2 - √2 + … ≥ 0.58.
    const a = tf.tensor2d([[1, 0], [-1, 0]]);
    const p = tf.tensor2d([[1, 0], [-1, 0]]);
    const n = tf.tensor2d([[0, 1], [0, -1]]);
    expect(batchNegativeLoss(a, p, n, 0.2).dataSync()[0]).toBe(0);
    // The second positive moved to (0, -1): d(a, p) = 2, and every face of the first triplet is closer than that
    // to the second anchor, so none of them counts (pushing them away could push away a similar face).
    const p2 = tf.tensor2d([[1, 0], [0, -1]]);
    expect(batchNegativeLoss(a, p2, n, 0.2).dataSync()[0]).toBeCloseTo(byHand([[1, 0], [-1, 0]], [[1, 0], [0, -1]], [[0, 1], [0, -1]], 0.2), 6);
    tf.dispose([a, p, n, p2]);
  });

  it("adds to the rated triplets' loss with its weight, and has gradients", () => {
    const e = tf.tensor2d(unitRows(12, 4, 11));
    const [a, p, n] = tf.split(e, 3) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const rated = tripletLoss(a, p, n, 0.2).dataSync()[0]!;
    const extra = batchNegativeLoss(a, p, n, 0.2).dataSync()[0]!;
    expect(extra).toBeGreaterThan(0);
    expect(tripletObjective(e, { margin: 0.2, batchNegatives: 0, labelContrast: 0 }).dataSync()[0]).toBeCloseTo(rated, 6);
    expect(tripletObjective(e, { margin: 0.2, batchNegatives: 0.5, labelContrast: 0 }).dataSync()[0]).toBeCloseTo(rated + 0.5 * extra, 6);
    const withExtra = tf.grad((x: tf.Tensor) => tripletObjective(x as tf.Tensor2D, { margin: 0.2, batchNegatives: 1, labelContrast: 0 }))(e);
    const ratedOnly = tf.grad((x: tf.Tensor) => tripletObjective(x as tf.Tensor2D, { margin: 0.2, batchNegatives: 0, labelContrast: 0 }))(e);
    expect(Math.max(...Array.from(tf.sub(withExtra, ratedOnly).dataSync()).map(Math.abs))).toBeGreaterThan(1e-3);
    tf.dispose([e, a, p, n, withExtra, ratedOnly]);
  });
});

describe('label contrast', () => {
  /** Supervised contrastive loss by hand: for each face with a same-label partner, −mean log softmax over the others. */
  function contrastByHand(rows: number[][], labels: number[], t: number): number {
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    let total = 0;
    let faces = 0;
    rows.forEach((ri, i) => {
      const others = rows.map((rk, k) => (k === i ? null : Math.exp(dot(ri, rk) / t)));
      const denominator = others.reduce<number>((s, v) => s + (v ?? 0), 0);
      const logs = rows.flatMap((rj, j) => (j !== i && labels[j] === labels[i] ? [Math.log(Math.exp(dot(ri, rj) / t) / denominator)] : []));
      if (logs.length) {
        total += -logs.reduce((s, v) => s + v, 0) / logs.length;
        faces++;
      }
    });
    return total / faces;
  }

  it('matches the formula, and is lower when classes sit apart than when they are mixed', () => {
    const rows = unitRows(9, 3, 5);
    const labels = [0, 1, 2, 0, 1, 2, 0, 0, 3];
    const e = tf.tensor2d(rows);
    expect(labelContrastLoss(e, Int32Array.from(labels), 0.5).dataSync()[0]).toBeCloseTo(contrastByHand(rows, labels, 0.5), 4);
    const apart = tf.tensor2d([[1, 0], [1, 0], [0, 1], [0, 1], [-1, 0], [-1, 0]]);
    const mixed = tf.tensor2d([[1, 0], [0, 1], [0, 1], [-1, 0], [-1, 0], [1, 0]]);
    const sixLabels = Int32Array.from([0, 0, 1, 1, 2, 2]);
    expect(labelContrastLoss(apart, sixLabels).dataSync()[0]!).toBeLessThan(labelContrastLoss(mixed, sixLabels).dataSync()[0]! - 1);
    tf.dispose([e, apart, mixed]);
  });

  it('joins the objective with its weight and pulls faces of one label together', () => {
    const e = tf.tensor2d(unitRows(12, 4, 3));
    const labels = Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3, 1, 2, 3, 0]);
    const base = { margin: 0.2, batchNegatives: 0, labelContrast: 0 };
    const rated = tripletObjective(e, base).dataSync()[0]!;
    const extra = labelContrastLoss(e, labels).dataSync()[0]!;
    expect(extra).toBeGreaterThan(0);
    expect(tripletObjective(e, { ...base, labelContrast: 2 }, labels).dataSync()[0]).toBeCloseTo(rated + 2 * extra, 4);
    expect(() => tripletObjective(e, { ...base, labelContrast: 1 })).toThrow(/without them/);
    // A gradient step on the label term alone brings same-label faces closer than other-label faces, on average.
    const meanGap = (x: tf.Tensor2D) => {
      const v = x.arraySync();
      let same = 0, sameN = 0, other = 0, otherN = 0;
      v.forEach((a, i) => v.forEach((b, j) => {
        if (i === j) return;
        const dist = a.reduce((s, q, k) => s + (q - b[k]!) ** 2, 0);
        if (labels[i] === labels[j]) {
          same += dist;
          sameN++;
        } else {
          other += dist;
          otherN++;
        }
      }));
      return other / otherN - same / sameN;
    };
    const g = tf.grad((x: tf.Tensor) => labelContrastLoss(x as tf.Tensor2D, labels))(e);
    const stepped = tf.sub(e, tf.mul(g, 0.01)) as tf.Tensor2D;
    expect(meanGap(stepped)).toBeGreaterThan(meanGap(e));
    tf.dispose([e, g, stepped]);
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
