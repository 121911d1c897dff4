/**
 * Replacements for tfjs-wasm 4.22 kernels that cost a B0 training step memory or time, registered
 * over the built-in ones; each falls back to the built-in kernel outside the shapes it handles.
 *
 * - Identity and same-dtype Cast share their input's buffer (a reference count, as the cpu backend does)
 *   instead of copying it. tfjs saves every tensor a gradient needs through Identity (`engine.clone`), so on
 *   wasm each saved activation was a full copy: B0 at 112 px with 24 images outgrew wasm's 4 GB heap.
 * - Sum and Mean of NHWC tensors over the spatial axes, with or without the batch (batch-norm statistics and
 *   gradients, squeeze-and-excitation pooling and its gradient), run as XNNPACK's average pooling over the
 *   whole image instead of wasm's transpose-then-reduce: 3–5× faster at B0's shapes. (A product with a row of
 *   ones is not: wasm caches a packed copy of the matrix operand per tensor, so a fresh activation each time
 *   costs a repack and its memory.)
 * - BatchMatMul with a transposed operand transposes it first: wasm's product reads a transposed operand about
 *   10× slower than a plain one, and every dense layer's gradient asks for one (xᵀ·dy, dy·Wᵀ). For FEENet's
 *   1280→512 layer with 48 faces, 63 and 40 ms became 6 and 8 ms.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;

let registered = false;
/** The kernels `override` replaced, for replacements that end in the built-in kernel. */
const builtInKernels = new Map<string, tf.KernelFunc>();

export function registerWasmLeanKernels(): void {
  if (registered) return;
  registered = true;
  override('Identity', ({ inputs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    return x.dtype === 'string' ? undefined : share(backend as BackendWasm, x);
  });
  override('Cast', ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    return x.dtype === (attrs as unknown as { dtype: string }).dtype && x.dtype !== 'string' ? share(backend as BackendWasm, x) : undefined;
  });
  override('Sum', (args) => reduceByPooling(args, false));
  override('Mean', (args) => reduceByPooling(args, true));
  override('BatchMatMul', matMulWithoutTransposes);
}

/** Wraps a built-in wasm kernel: `replacement` returns undefined for inputs it leaves to the built-in one. */
function override(kernelName: string, replacement: (args: Parameters<tf.KernelFunc>[0]) => TensorInfo | undefined): void {
  const builtIn = tf.getKernel(kernelName, 'wasm');
  if (!builtIn) return;
  builtInKernels.set(kernelName, builtIn.kernelFunc);
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...builtIn, kernelFunc: (args) => replacement(args) ?? builtIn.kernelFunc(args) });
}

function share(wasm: BackendWasm, x: TensorInfo): TensorInfo {
  wasm.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** Σ or mean of a [B, H, W, C] tensor over axes (1, 2) or (0, 1, 2): a whole-image average pool, then (over B) a small loop. */
function reduceByPooling({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0], mean: boolean): TensorInfo | undefined {
  const { x } = inputs as { x: TensorInfo };
  const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
  if (x.dtype !== 'float32' || x.shape.length !== 4) return undefined;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b).join();
  if (axes !== '1,2' && axes !== '0,1,2') return undefined;
  const [b, h, w, c] = x.shape as [number, number, number, number];
  if (b * h * w * c === 0) return undefined;
  const wasm = backend as BackendWasm;
  const avgPool = tf.getKernel('AvgPool', 'wasm')!;
  const pooled = avgPool.kernelFunc({ inputs: { x }, attrs: { filterSize: [h, w], strides: [h, w], pad: 'valid' }, backend }) as TensorInfo;
  const withBatch = axes === '0,1,2';
  const outShape = withBatch ? (keepDims ? [1, 1, 1, c] : [c]) : keepDims ? [b, 1, 1, c] : [b, c];
  if (!withBatch && mean) return { dataId: pooled.dataId, shape: outShape, dtype: 'float32' };
  // Scale (Σ over H·W) and/or fold the batch, in place or into a [C] output: at most B·C values.
  const out = withBatch ? wasm.makeOutput(outShape, 'float32') : pooled;
  const values = wasm.typedArrayFromHeap(pooled) as Float32Array;
  const result = wasm.typedArrayFromHeap(out) as Float32Array;
  const scale = withBatch ? (mean ? 1 / b : h * w) : h * w;
  if (withBatch) {
    result.fill(0);
    for (let i = 0; i < b; i++) for (let k = 0; k < c; k++) result[k]! += values[i * c + k]!;
  }
  for (let k = 0; k < result.length; k++) result[k]! *= scale;
  if (withBatch) wasm.disposeData(pooled.dataId);
  return { dataId: out.dataId, shape: outShape, dtype: 'float32' };
}

/** a·b with any requested transposes done by the Transpose kernel first, so the product itself reads plain operands. */
function matMulWithoutTransposes({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): TensorInfo | undefined {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if (!transposeA && !transposeB) return undefined;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const wasm = backend as BackendWasm;
  const transpose = tf.getKernel('Transpose', 'wasm')!;
  const swapLastTwo = (x: TensorInfo): TensorInfo => {
    const r = x.shape.length;
    const perm = [...Array(r - 2).keys(), r - 1, r - 2];
    return transpose.kernelFunc({ inputs: { x }, attrs: { perm }, backend }) as TensorInfo;
  };
  const plainA = transposeA ? swapLastTwo(a) : a;
  const plainB = transposeB ? swapLastTwo(b) : b;
  const builtIn = builtInKernels.get('BatchMatMul')!;
  const out = builtIn({ inputs: { a: plainA, b: plainB }, attrs: { ...attrs, transposeA: false, transposeB: false }, backend }) as TensorInfo;
  if (transposeA) wasm.disposeData(plainA.dataId);
  if (transposeB) wasm.disposeData(plainB.dataId);
  return out;
}
