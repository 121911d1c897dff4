/**
 * The memory- and time-saving replacements: wasm's Identity/Cast sharing buffers, Sum/Mean as
 * whole-image average pooling, BatchMatMul with its transposes done first (all against the cpu backend), and the lean backward pass against
 * tf.variableGrads (same gradients, released activations).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFeenet } from '../src/index';
import { selectBackend } from '@feenet/tfjs-runtime';
import { leanVariableGrads } from '../src/training/lean-backprop';
import { tripletLoss } from '../src/training/triplet-loss';

function maxRelDiff(a: Float32Array | Int32Array, b: Float32Array | Int32Array): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return err / (1 + scale);
}

describe('lean wasm kernels', () => {
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm' });
  });

  it('Identity (tf.clone) and same-dtype Cast share the buffer; values survive disposing the source', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([64, 64, 8], 0, 1, 'float32', 1);
    const values = (x.dataSync() as Float32Array).slice();
    const buffers = () => tf.engine().backend.numDataIds();
    const before = buffers();
    const clone = tf.clone(x);
    const cast = tf.cast(x, 'float32');
    expect(buffers()).toBe(before);
    x.dispose();
    expect(maxRelDiff(values, clone.dataSync() as Float32Array)).toBe(0);
    expect(maxRelDiff(values, cast.dataSync() as Float32Array)).toBe(0);
    const toInt = tf.cast(clone, 'int32');
    expect(toInt.dtype).toBe('int32');
    expect(Array.from(toInt.dataSync().slice(0, 4))).toEqual(Array.from(values.slice(0, 4), (v) => Math.trunc(v) + 0));
    tf.dispose([clone, cast, toInt]);
  });

  const reductions: { shape: number[]; axes: number[]; keepDims: boolean }[] = [
    { shape: [3, 9, 7, 5], axes: [0, 1, 2], keepDims: false },
    { shape: [3, 9, 7, 5], axes: [0, 1, 2], keepDims: true },
    { shape: [4, 6, 6, 11], axes: [1, 2], keepDims: false },
    { shape: [4, 6, 6, 11], axes: [1, 2], keepDims: true },
    { shape: [2, 1, 1, 7], axes: [0, 1, 2], keepDims: false },
    // Left to the built-in kernels:
    { shape: [4, 6, 6, 11], axes: [3], keepDims: false },
    { shape: [4, 6, 6, 11], axes: [0, 3], keepDims: false },
    { shape: [5, 12], axes: [0], keepDims: false },
  ];
  for (const { shape, axes, keepDims } of reductions) {
    it(`sum and mean over [${axes}] of [${shape}]${keepDims ? ', keepDims' : ''} match cpu`, async () => {
      for (const op of ['sum', 'mean'] as const) {
        const run = () => tf.tidy(() => tf[op](tf.randomNormal(shape, 0.5, 2, 'float32', 7), axes, keepDims));
        await tf.setBackend('cpu');
        const cpu = run();
        await tf.setBackend('wasm');
        const wasm = run();
        expect(wasm.shape).toEqual(cpu.shape);
        expect(maxRelDiff(cpu.dataSync() as Float32Array, wasm.dataSync() as Float32Array)).toBeLessThan(1e-5);
        tf.dispose([cpu, wasm]);
      }
    });
  }

  const products: { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }[] = [
    { a: [9, 13], b: [9, 6], transposeA: true, transposeB: false }, // a dense layer's weight gradient, xᵀ·dy
    { a: [9, 6], b: [13, 6], transposeA: false, transposeB: true }, // its input gradient, dy·Wᵀ
    { a: [3, 5, 4], b: [3, 7, 5], transposeA: true, transposeB: true },
    { a: [2, 4, 5], b: [1, 5, 3], transposeA: false, transposeB: false }, // left to the built-in kernel
  ];
  for (const { a, b, transposeA, transposeB } of products) {
    it(`matMul of [${a}]${transposeA ? 'ᵀ' : ''} and [${b}]${transposeB ? 'ᵀ' : ''} matches cpu and leaves no buffer behind`, async () => {
      const run = () => tf.tidy(() => tf.matMul(tf.randomNormal(a, 0, 1, 'float32', 3), tf.randomNormal(b, 0, 1, 'float32', 4), transposeA, transposeB));
      await tf.setBackend('cpu');
      const cpu = run();
      await tf.setBackend('wasm');
      const buffers = tf.engine().backend.numDataIds();
      const wasm = run();
      expect(wasm.shape).toEqual(cpu.shape);
      expect(tf.engine().backend.numDataIds()).toBe(buffers + 1);
      expect(maxRelDiff(cpu.dataSync() as Float32Array, wasm.dataSync() as Float32Array)).toBeLessThan(1e-5);
      tf.dispose([cpu, wasm]);
    });
  }
});

describe('lean backward pass', () => {
  it('gives tf.variableGrads gradients for B0 (32 px, training mode) and leaves no tensor behind', async () => {
    await selectBackend({ prefer: 'wasm' });
    const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: 32, dropConnectRate: 0 }, { seed: 2 });
    const x = tf.randomUniform([6, 32, 32, 3], 0, 255, 'float32', 5);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = () => {
      const [a, p, n] = tf.split(model.apply(x, { training: true }) as tf.Tensor2D, 3) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      return tripletLoss(a, p, n, 0.2);
    };
    const reference = tf.variableGrads(loss, vars);
    const tensors = tf.memory().numTensors;
    const lean = leanVariableGrads(loss, vars);
    // The new value and gradients, and nothing else.
    expect(tf.memory().numTensors).toBe(tensors + 1 + Object.keys(lean.grads).length);
    expect(Object.keys(lean.grads).sort()).toEqual(Object.keys(reference.grads).sort());
    expect(lean.value.dataSync()[0]).toBe(reference.value.dataSync()[0]);
    for (const name of Object.keys(reference.grads)) {
      expect({ name, err: maxRelDiff(reference.grads[name]!.dataSync() as Float32Array, lean.grads[name]!.dataSync() as Float32Array) < 1e-6 }).toEqual({ name, err: true });
    }
    tf.dispose([reference.value, lean.value, ...Object.values(reference.grads), ...Object.values(lean.grads), x]);
  });
});
