import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../src/index';
import { depthwiseFilterGradientSimd } from '../src/wasm-simd-depthwise';

/** Runs `f` on a backend and returns its outputs as plain arrays. */
async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = f();
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return values;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Deterministic inputs, created fresh on whichever backend is active. */
function inputs(xShape: number[], wShape: number[], seed: number) {
  return {
    x: tf.randomNormal(xShape as [number, number, number, number], 0, 1, "float32", seed) as tf.Tensor4D,
    w: tf.randomNormal(wShape as [number, number, number, number], 0, 0.5, 'float32', seed + 1) as tf.Tensor4D,
  };
}

const cases = [
  { name: '3x3 stride 1 same', x: [2, 9, 9, 5], k: 3, stride: 1, pad: 'same' as const },
  { name: '3x3 stride 2 same, odd size', x: [2, 11, 7, 4], k: 3, stride: 2, pad: 'same' as const },
  { name: '5x5 stride 2 same, even size', x: [1, 12, 12, 3], k: 5, stride: 2, pad: 'same' as const },
  { name: '5x5 stride 1 valid', x: [3, 10, 9, 6], k: 5, stride: 1, pad: 'valid' as const },
  { name: '1x1 stride 1', x: [2, 6, 6, 8], k: 1, stride: 1, pad: 'same' as const },
  // Channels in fours: the depthwise filter gradient's SIMD kernel (multiplier 1).
  { name: '5x5 stride 2 same, odd size, 12 channels', x: [2, 13, 10, 12], k: 5, stride: 2, pad: 'same' as const },
  { name: '3x3 stride 1 valid, 16 channels', x: [3, 8, 9, 16], k: 3, stride: 1, pad: 'valid' as const },
];

describe('wasm gradient kernels match the cpu backend', () => {
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm' });
  });

  for (const c of cases) {
    it(`conv2d filter and input gradients: ${c.name}`, async () => {
      const outChannels = 7;
      const run = () =>
        tf.tidy(() => {
          const { x, w } = inputs(c.x, [c.k, c.k, c.x[3]!, outChannels], 42);
          const loss = (xx: tf.Tensor4D, ww: tf.Tensor4D) => tf.conv2d(xx, ww, c.stride, c.pad).square().sum();
          const [dx, dw] = tf.grads(loss as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
          return [dx!, dw!];
        });
      const cpu = await on('cpu', run);
      const wasm = await on('wasm', run);
      for (let i = 0; i < 2; i++) expect({ output: i, err: maxAbsDiff(cpu[i]!, wasm[i]!) / (1 + Math.max(...cpu[i]!.map(Math.abs))) < 1e-4 }).toEqual({ output: i, err: true });
    });

    it(`depthwise filter and input gradients: ${c.name}`, async () => {
      for (const multiplier of [1, 2]) {
        const run = () =>
          tf.tidy(() => {
            const { x, w } = inputs(c.x, [c.k, c.k, c.x[3]!, multiplier], 7);
            const loss = (xx: tf.Tensor4D, ww: tf.Tensor4D) =>
              tf.depthwiseConv2d(xx, ww, c.stride, c.pad).square().sum();
            const [dx, dw] = tf.grads(loss as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
            return [dx!, dw!];
          });
        const cpu = await on('cpu', run);
        const wasm = await on('wasm', run);
        for (let i = 0; i < 2; i++) expect({ output: i, err: maxAbsDiff(cpu[i]!, wasm[i]!) / (1 + Math.max(...cpu[i]!.map(Math.abs))) < 1e-4 }).toEqual({ output: i, err: true });
      }
    });
  }

  it('the depthwise filter gradient reaches its SIMD kernel on the wasm heap (not the slow loop)', async () => {
    await tf.setBackend('wasm');
    const wasm = tf.backend() as BackendWasm;
    const x = tf.randomNormal([1, 4, 4, 4], 0, 1, 'float32', 1);
    const dy = tf.ones([1, 4, 4, 4]);
    const dw = wasm.makeOutput([1, 1, 4, 1], 'float32');
    const shape = { batchSize: 1, inHeight: 4, inWidth: 4, channels: 4, outHeight: 4, outWidth: 4, filterHeight: 1, filterWidth: 1, strideHeight: 1, strideWidth: 1, padTop: 0, padLeft: 0 };
    expect(depthwiseFilterGradientSimd(wasm, x, dy, dw, shape)).toBe(true);
    // A 1×1 tap with dy = 1 sums x over the image, per channel.
    const sums = tf.sum(x, [0, 1, 2]).dataSync();
    const got = wasm.typedArrayFromHeap(dw);
    for (let c = 0; c < 4; c++) expect(got[c]).toBeCloseTo(sums[c]!, 4);
    wasm.disposeData(dw.dataId);
    tf.dispose([x, dy]);
  });

  it('explicit padding, stride 2 (the patch-matrix filter gradient) matches', async () => {
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 2], [0, 1], [0, 0]];
    const run = () =>
      tf.tidy(() => {
        const { x, w } = inputs([2, 8, 8, 3], [3, 3, 3, 4], 3);
        const loss = (ww: tf.Tensor4D) => tf.conv2d(x, ww, 2, pad).square().sum();
        return [tf.grad(loss as (a: tf.Tensor) => tf.Tensor)(w)];
      });
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    expect(maxAbsDiff(cpu[0]!, wasm[0]!) / (1 + Math.max(...cpu[0]!.map(Math.abs)))).toBeLessThan(1e-4);
  });
});

describe('batch-norm gradient', () => {
  it('equals autodiff through plain ops for x, mean, variance, scale and offset', async () => {
    const { registerBatchNormGradient } = await import('../src/index');
    registerBatchNormGradient();
    await tf.setBackend('cpu');
    const weights = () => tf.linspace(0, 1, 6);
    const grads = (bn: (a: tf.Tensor4D, m: tf.Tensor1D, v: tf.Tensor1D, o: tf.Tensor1D, s: tf.Tensor1D) => tf.Tensor) =>
      tf.tidy(() => {
        const x = tf.randomNormal([3, 5, 4, 6], 0.5, 2, 'float32', 11) as tf.Tensor4D;
        const mean = tf.randomNormal([6], 0, 1, 'float32', 12) as tf.Tensor1D;
        const variance = tf.randomUniform([6], 0.5, 2, 'float32', 13) as tf.Tensor1D;
        const offset = tf.randomNormal([6], 0, 1, 'float32', 14) as tf.Tensor1D;
        const scale = tf.randomNormal([6], 1, 0.3, 'float32', 15) as tf.Tensor1D;
        const f = (a: tf.Tensor4D, m: tf.Tensor1D, v: tf.Tensor1D, o: tf.Tensor1D, s: tf.Tensor1D) => bn(a, m, v, o, s).square().mul(weights()).sum();
        return tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, mean, variance, offset, scale]);
      });
    // The fused op (our registered gradient) against the same formula written in elementary ops (their own gradients).
    const fused = await Promise.all(grads((a, m, v, o, s) => tf.batchNorm4d(a, m, v, o, s, 1e-3)).map((t) => t.data()));
    const plain = await Promise.all(
      grads((a, m, v, o, s) => tf.add(tf.mul(tf.mul(tf.sub(a, m), tf.rsqrt(tf.add(v, 1e-3))), s), o)).map((t) => t.data()),
    );
    for (let i = 0; i < 5; i++) {
      const a = plain[i] as Float32Array;
      const b = fused[i] as Float32Array;
      expect(maxAbsDiff(a, b) / (1 + Math.max(...a.map(Math.abs)))).toBeLessThan(1e-5);
    }
  });
});
