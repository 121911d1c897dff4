/**
 * Data-parallel steps on worker threads against steps in this thread.
 *
 * - Without batch norm in the path (the faceapi head: standardisation → FC 512 → FC 16 → L2), averaging the
 *   replicas' triplet-weighted gradients is the whole batch's gradient, so after a few Adam steps the weights
 *   equal those of whole-batch steps in this thread (float tolerance).
 * - With batch norm (B0), each replica normalises with its own share's statistics, so a two-replica step is NOT
 *   compared with a whole-batch step. It is compared with the same shares computed one after the other in this
 *   thread (`shareGradients` on each share, averaged by triplets, the same Adam step; moving statistics the
 *   triplet-weighted average of the shares'): that checks the threading, transfers and weight publishing exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFeenet, type FaceInputs } from '../src/index';
import { type Triplet } from '@feenet/datasets';
import { selectBackend } from '@feenet/tfjs-runtime';
import { ReplicaPool, splitBatch } from '../src/training/data-parallel';
import { shareGradients, WeightLayout } from '../src/training/replica-step';
import { tripletLoss } from '../src/training/triplet-loss';

const MARGIN = 0.2;

function faceInputs(count: number, shape: number[], seed: number): FaceInputs {
  const per = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(count * per);
  let s = seed;
  for (let i = 0; i < values.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    values[i] = (s / 2147483648) * (shape.length === 1 ? 4 : 255) - (shape.length === 1 ? 2 : 0);
  }
  return { kind: shape.length === 1 ? 'features' : 'images', shape, count, rowOf: new Map(Array.from({ length: count }, (_, i) => [`f${i}`, i])), values };
}

function triplets(n: number, faces: number): Triplet[] {
  return Array.from({ length: n }, (_, i) => ({
    anchor: `f${(3 * i) % faces}`,
    positive: `f${(3 * i + 1) % faces}`,
    negative: `f${(3 * i + 2) % faces}`,
    type: 'ONE_CLASS',
    agreement: 1,
    split: 'train',
  }) as Triplet);
}

function ids(batch: readonly Triplet[]): string[] {
  return [...batch.map((t) => t.anchor), ...batch.map((t) => t.positive), ...batch.map((t) => t.negative)];
}

function gather(inputs: FaceInputs, faceIds: string[]): tf.Tensor {
  const per = inputs.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(faceIds.length * per);
  faceIds.forEach((id, i) => out.set((inputs.values as Float32Array).subarray(inputs.rowOf.get(id)! * per, (inputs.rowOf.get(id)! + 1) * per), i * per));
  return tf.tensor(out, [faceIds.length, ...inputs.shape]);
}

function allWeights(model: tf.LayersModel): Float32Array {
  const layout = new WeightLayout(model);
  const out = new Float32Array(layout.size);
  layout.write(out);
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('data-parallel training steps', () => {
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm' });
  });

  it('splits a batch into contiguous shares differing by at most one', () => {
    expect(splitBatch([1, 2, 3, 4, 5], 2)).toEqual([[1, 2, 3], [4, 5]]);
    expect(splitBatch([1, 2, 3, 4], 2)).toEqual([[1, 2], [3, 4]]);
    expect(splitBatch([1], 3)).toEqual([[1]]);
  });

  it('without batch norm: two replicas give the weights of whole-batch steps (3 Adam steps, uneven shares)', async () => {
    const dim = 24;
    const spec = { backbone: 'faceapi' as const, featureDim: dim, featureMean: Array(dim).fill(0.1), featureVariance: Array(dim).fill(1.5) };
    const single = buildFeenet(spec, { seed: 5 });
    const parallel = buildFeenet(spec, { seed: 5 });
    expect(maxAbsDiff(allWeights(single), allWeights(parallel))).toBe(0);
    const inputs = faceInputs(40, [dim], 9);
    const batches = [triplets(11, 40), triplets(11, 40).reverse(), triplets(13, 40).slice(2)];

    const optSingle = tf.train.adam(1e-2);
    for (const batch of batches) {
      const x = gather(inputs, ids(batch));
      optSingle.minimize(() => {
        const [a, p, n] = tf.split(single.apply(x, { training: true }) as tf.Tensor2D, 3) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        return tripletLoss(a, p, n, MARGIN);
      }, false, single.trainableWeights.map((w) => w.read() as tf.Variable));
      x.dispose();
    }

    const pool = await ReplicaPool.start(parallel, { workers: 2, backend: 'wasm', objective: { margin: MARGIN, batchNegatives: 0, labelContrast: 0 } });
    try {
      expect(pool.description).toMatch(/^2 workers × wasm/);
      const optParallel = tf.train.adam(1e-2);
      for (const batch of batches) await pool.step(optParallel, inputs, batch);
    } finally {
      await pool.dispose();
    }
    const moved = maxAbsDiff(allWeights(single), allWeights(buildFeenet(spec, { seed: 5 })));
    expect(moved).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(allWeights(single), allWeights(parallel))).toBeLessThan(1e-5);
  });

  it('with batch norm (B0 at 32 px): replica steps equal the same shares computed in this thread', async () => {
    const spec = { backbone: 'efficientnet-b0' as const, inputSize: 32, dropConnectRate: 0, batchNormMomentum: 0.5 };
    const reference = buildFeenet(spec, { seed: 3 });
    const parallel = buildFeenet(spec, { seed: 3 });
    const inputs = faceInputs(18, [32, 32, 3], 4);
    const batches = [triplets(6, 18), triplets(5, 18).reverse()];

    const layout = new WeightLayout(reference);
    const optReference = tf.train.adam(1e-3);
    const losses: number[] = [];
    for (const batch of batches) {
      const before = allWeights(reference);
      const shares = splitBatch(batch, 2);
      const results = shares.map((share) => {
        layout.read(before); // each replica starts from the same weights
        const x = gather(inputs, ids(share));
        const r = shareGradients(reference, layout, x, { margin: MARGIN, batchNegatives: 0, labelContrast: 0 });
        x.dispose();
        return r;
      });
      layout.read(before);
      const grads = new Float32Array(layout.trainableSize);
      const state = new Float32Array(layout.size - layout.trainableSize);
      let loss = 0;
      results.forEach((r, i) => {
        const w = shares[i]!.length / batch.length;
        loss += w * r.loss;
        grads.forEach((_, k) => (grads[k]! += w * r.gradients[k]!));
        state.forEach((_, k) => (state[k]! += w * r.state[k]!));
      });
      losses.push(loss);
      let offset = 0;
      const named: { name: string; tensor: tf.Tensor }[] = [];
      for (const w of reference.trainableWeights) {
        const n = tf.util.sizeFromShape(w.shape as number[]);
        named.push({ name: (w.read() as tf.Variable).name, tensor: tf.tensor(grads.subarray(offset, offset + n), w.shape as number[]) });
        offset += n;
      }
      optReference.applyGradients(named);
      tf.dispose(named.map((g) => g.tensor));
      layout.setState(state);
    }

    const pool = await ReplicaPool.start(parallel, { workers: 2, backend: 'wasm', objective: { margin: MARGIN, batchNegatives: 0, labelContrast: 0 } });
    const parallelLosses: number[] = [];
    try {
      const optParallel = tf.train.adam(1e-3);
      for (const batch of batches) parallelLosses.push(await pool.step(optParallel, inputs, batch));
    } finally {
      await pool.dispose();
    }
    parallelLosses.forEach((l, i) => expect(Math.abs(l - losses[i]!)).toBeLessThan(1e-6));
    expect(maxAbsDiff(allWeights(reference), allWeights(parallel))).toBeLessThan(1e-5);
  });
});
