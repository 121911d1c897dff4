/**
 * Gradient kernels the tfjs `wasm` backend lacks (4.22), registered so that EfficientNet-B0 can train on it:
 * Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput.
 *
 * Correct first (checked against the `cpu` backend in wasm-gradients.test.ts).
 * - Conv2DBackpropFilter (stride 1) reuses wasm's own C++ Conv3DBackpropFilterV2 by viewing NHWC as NDHWC with
 *   depth 1: no copies, since a TensorInfo is only a (dataId, shape) view of the wasm heap. Other strides (B0's
 *   stem) are one matrix product over a patch matrix when that fits in 256 MB, else a JS loop.
 * - The depthwise input gradient (multiplier 1, B0's) is a forward depthwise convolution in XNNPACK of dy spread
 *   on a zero canvas (`depthwiseInputGradientByConvolution`): 6× faster than the loop it replaced.
 * - The depthwise filter gradient (and the input gradient for other multipliers) are typed-array loops over the
 *   wasm heap, channels innermost (contiguous in NHWC). The two loops walk the same filter taps; they stay plain
 *   loops rather than one walker with a callback so the innermost loop remains a straight typed-array loop.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { depthwiseFilterGradientSimd } from './wasm-simd-depthwise';

type TensorInfo = tf.TensorInfo;
type Conv2DInfo = tf.backend_util.Conv2DInfo;

let registered = false;

export function registerWasmGradientKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of [conv2DBackpropFilterConfig, depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig]) {
    // A future tfjs may ship its own kernel: prefer it.
    if (!tf.getKernel(config.kernelName, 'wasm')) tf.registerKernel(config);
  }
  // wasm's own Conv2DBackpropInput is a plain loop; 1×1 convolutions (most of B0's) are a matmul instead.
  const builtIn = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (builtIn) {
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel({ ...builtIn, kernelFunc: (args) => pointwiseInputGradient(args) ?? builtIn.kernelFunc(args) });
  }
}

/** dX = dY·Wᵀ for a 1×1, stride-1 convolution; undefined for any other shape (the built-in kernel handles it). */
function pointwiseInputGradient({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): TensorInfo | undefined {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, inputShape } = attrs as unknown as { strides: number | [number, number]; pad: unknown; dataFormat: string; inputShape: number[] };
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  if (kh !== 1 || kw !== 1 || sh !== 1 || sw !== 1 || dataFormat !== 'NHWC' || (pad !== 'same' && pad !== 'valid')) return undefined;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  const wasm = backend as BackendWasm;
  const positions = dy.shape.reduce((a, b) => a * b, 1) / co;
  const transpose = tf.getKernel('Transpose', 'wasm')!;
  const matMul = tf.getKernel('BatchMatMul', 'wasm')!;
  const wT = transpose.kernelFunc({ inputs: { x: { ...filter, shape: [ci, co] } }, attrs: { perm: [1, 0] }, backend }) as TensorInfo;
  const dx = matMul.kernelFunc({
    inputs: { a: { ...dy, shape: [1, positions, co] }, b: { ...wT, shape: [1, co, ci] } },
    attrs: { transposeA: false, transposeB: false },
    backend,
  }) as TensorInfo;
  wasm.disposeData(wT.dataId);
  return { dataId: dx.dataId, shape: [...inputShape], dtype: 'float32' };
}

function requireFloat32(info: TensorInfo, what: string): void {
  if (info.dtype !== 'float32') throw new Error(`${what} must be float32, got ${info.dtype}`);
}

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
    requireFloat32(x, 'x');
    requireFloat32(dy, 'dy');
    if (dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
    const wasm = backend as BackendWasm;
    const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
    const [kh, kw, ci, co] = filterShape;
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && (pad === 'same' || pad === 'valid')) {
      return pointwiseFilterGradient(wasm, x, dy, ci, co);
    }
    const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm');
    // wasm's Conv3DBackpropFilterV2 disagrees with cpu for strides > 1 (seen in 4.22), so only stride 1 uses it.
    if (conv3d && sh === 1 && sw === 1 && (pad === 'same' || pad === 'valid')) {
      const [b, h, w, c] = x.shape as [number, number, number, number];
      const [, oh, ow, co] = dy.shape as [number, number, number, number];
      const dw = conv3d.kernelFunc({
        inputs: { x: { ...x, shape: [b, 1, h, w, c] }, dy: { ...dy, shape: [b, 1, oh, ow, co] } },
        attrs: { strides: [1, sh, sw], pad, filterShape: [1, ...filterShape] },
        backend,
      }) as TensorInfo;
      return { dataId: dw.dataId, shape: [...filterShape], dtype: 'float32' };
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], filterShape, [sh, sw], 1, pad, dimRoundingMode, false, 'channelsLast',
    );
    // Patches as rows of a matrix cost kh·kw·ci floats per output position: fine for a stem (ci = 3), not in general.
    const patchFloats = info.filterHeight * info.filterWidth * info.inChannels * info.batchSize * info.outHeight * info.outWidth;
    if (patchFloats <= MAX_PATCH_FLOATS) return conv2DBackpropFilterByPatches(wasm, x, dy, info);
    return conv2DBackpropFilterLoops(wasm, x, dy, info);
  },
};

/** 64 M floats (256 MB): B0's stem at 224 px with 24 faces needs 8 M. */
const MAX_PATCH_FLOATS = 64 * 1024 * 1024;

/**
 * dW = Pᵀ·dY, where row p of P holds the kh·kw·ci input values under output position p (zero where the window
 * overhangs the padding): one wasm matrix product instead of a JS loop per tap. Pᵀ is written directly, since
 * wasm's matmul is several times slower with a transposed operand.
 */
function conv2DBackpropFilterByPatches(wasm: BackendWasm, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const positions = batchSize * outHeight * outWidth;
  const taps = filterHeight * filterWidth * inChannels;
  const patchesT = wasm.makeOutput([taps, positions], 'float32');
  const pv = wasm.typedArrayFromHeap(patchesT) as Float32Array;
  const xv = wasm.typedArrayFromHeap(x) as Float32Array;
  pv.fill(0);
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      for (let ci = 0; ci < inChannels; ci++) {
        const row = ((kh * filterWidth + kw) * inChannels + ci) * positions;
        let p = 0;
        for (let b = 0; b < batchSize; b++) {
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * strideHeight - top + kh;
            if (ih < 0 || ih >= inHeight) {
              p += outWidth;
              continue;
            }
            const xRow = (b * inHeight + ih) * inWidth;
            for (let ow = 0; ow < outWidth; ow++, p++) {
              const iw = ow * strideWidth - left + kw;
              if (iw >= 0 && iw < inWidth) pv[row + p] = xv[(xRow + iw) * inChannels + ci]!;
            }
          }
        }
      }
    }
  }
  const matMul = tf.getKernel('BatchMatMul', 'wasm')!;
  const dw = matMul.kernelFunc({
    inputs: { a: { ...patchesT, shape: [1, taps, positions] }, b: { ...dy, shape: [1, positions, outChannels] } },
    attrs: { transposeA: false, transposeB: false },
    backend: wasm,
  }) as TensorInfo;
  wasm.disposeData(patchesT.dataId);
  return { dataId: dw.dataId, shape: [...info.filterShape], dtype: 'float32' };
}

/**
 * A 1×1 convolution's filter gradient is one matrix product, dW = Xᵀ·dY over all B·H·W positions. wasm's
 * matmul is several times slower with a transposed operand, so X is transposed once first.
 */
function pointwiseFilterGradient(wasm: BackendWasm, x: TensorInfo, dy: TensorInfo, ci: number, co: number): TensorInfo {
  const positions = x.shape.reduce((a, b) => a * b, 1) / ci;
  const transpose = tf.getKernel('Transpose', 'wasm')!;
  const matMul = tf.getKernel('BatchMatMul', 'wasm')!;
  const xT = transpose.kernelFunc({ inputs: { x: { ...x, shape: [positions, ci] } }, attrs: { perm: [1, 0] }, backend: wasm }) as TensorInfo;
  const dw = matMul.kernelFunc({
    inputs: { a: { ...xT, shape: [1, ci, positions] }, b: { ...dy, shape: [1, positions, co] } },
    attrs: { transposeA: false, transposeB: false },
    backend: wasm,
  }) as TensorInfo;
  wasm.disposeData(xT.dataId);
  return { dataId: dw.dataId, shape: [1, 1, ci, co], dtype: 'float32' };
}

/** Fallback for explicit padding: dW[kh,kw,ci,co] = Σ x[b, oh·s+kh−pad, ow·s+kw−pad, ci] · dy[b,oh,ow,co]. */
function conv2DBackpropFilterLoops(wasm: BackendWasm, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const out = wasm.makeOutput(info.filterShape, 'float32');
  const xv = wasm.typedArrayFromHeap(x) as Float32Array;
  const dyv = wasm.typedArrayFromHeap(dy) as Float32Array;
  const dwv = wasm.typedArrayFromHeap(out) as Float32Array;
  dwv.fill(0);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      for (let b = 0; b < batchSize; b++) {
        for (let oh = 0; oh < outHeight; oh++) {
          const ih = oh * strideHeight - top + kh;
          if (ih < 0 || ih >= inHeight) continue;
          for (let ow = 0; ow < outWidth; ow++) {
            const iw = ow * strideWidth - left + kw;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
            for (let ci = 0; ci < inChannels; ci++) {
              const xval = xv[xBase + ci]!;
              if (xval === 0) continue;
              const dwBase = ((kh * filterWidth + kw) * inChannels + ci) * outChannels;
              for (let co = 0; co < outChannels; co++) dwv[dwBase + co]! += xval * dyv[dyBase + co]!;
            }
          }
        }
      }
    }
  }
  return out;
}

interface DepthwiseAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as DepthwiseAttrs;
    requireFloat32(x, 'x');
    requireFloat32(dy, 'dy');
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], filterShape!, strides, dilations, pad, dimRoundingMode, true,
    );
    const wasm = backend as BackendWasm;
    const out = wasm.makeOutput(info.filterShape, 'float32');
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
    const multiplier = outChannels / inChannels;
    const { top, left } = info.padInfo;
    if (multiplier === 1 && dilationHeight === 1 && dilationWidth === 1) {
      const shape = { batchSize, inHeight, inWidth, channels: inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padTop: top, padLeft: left };
      if (depthwiseFilterGradientSimd(wasm, x, dy, out, shape)) return out; // it zeroes `out` itself
    }
    // Views are taken after makeOutput: allocating may grow the heap and detach older views.
    const xv = wasm.typedArrayFromHeap(x) as Float32Array;
    const dyv = wasm.typedArrayFromHeap(dy) as Float32Array;
    const dwv = wasm.typedArrayFromHeap(out) as Float32Array;
    dwv.fill(0);
    for (let b = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight - top + kh * dilationHeight;
          if (ih < 0 || ih >= inHeight) continue;
          for (let ow = 0; ow < outWidth; ow++) {
            const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
            for (let kw = 0; kw < filterWidth; kw++) {
              const iw = ow * strideWidth - left + kw * dilationWidth;
              if (iw < 0 || iw >= inWidth) continue;
              const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
              const dwBase = (kh * filterWidth + kw) * outChannels;
              if (multiplier === 1) {
                let c = 0;
                // Four channels per iteration: fewer loop tests and index updates for V8 (B0's depthwise widths are multiples of 4).
                for (; c + 4 <= inChannels; c += 4) {
                  const d = dwBase + c;
                  const xi = xBase + c;
                  const yi = dyBase + c;
                  dwv[d]! += xv[xi]! * dyv[yi]!;
                  dwv[d + 1]! += xv[xi + 1]! * dyv[yi + 1]!;
                  dwv[d + 2]! += xv[xi + 2]! * dyv[yi + 2]!;
                  dwv[d + 3]! += xv[xi + 3]! * dyv[yi + 3]!;
                }
                for (; c < inChannels; c++) dwv[dwBase + c]! += xv[xBase + c]! * dyv[dyBase + c]!;
              } else {
                for (let c = 0; c < inChannels; c++) {
                  const xval = xv[xBase + c]!;
                  for (let m = 0; m < multiplier; m++) {
                    const o = c * multiplier + m;
                    dwv[dwBase + o]! += xval * dyv[dyBase + o]!;
                  }
                }
              }
            }
          }
        }
      }
    }
    return out;
  },
};

const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as DepthwiseAttrs;
    requireFloat32(dy, 'dy');
    requireFloat32(filter, 'filter');
    const info = tf.backend_util.computeConv2DInfo(
      inputShape!, filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, true,
    );
    const wasm = backend as BackendWasm;
    if (info.outChannels === info.inChannels && info.dilationHeight === 1 && info.dilationWidth === 1) {
      return depthwiseInputGradientByConvolution(wasm, dy, filter, info);
    }
    const out = wasm.makeOutput(info.inShape, 'float32');
    const dyv = wasm.typedArrayFromHeap(dy) as Float32Array;
    const wv = wasm.typedArrayFromHeap(filter) as Float32Array;
    const dxv = wasm.typedArrayFromHeap(out) as Float32Array;
    dxv.fill(0);
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
    const multiplier = outChannels / inChannels;
    const { top, left } = info.padInfo;
    // Scatter form of the transposed convolution: each dy element adds into the inputs it was computed from.
    for (let b = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight - top + kh * dilationHeight;
          if (ih < 0 || ih >= inHeight) continue;
          for (let ow = 0; ow < outWidth; ow++) {
            const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
            for (let kw = 0; kw < filterWidth; kw++) {
              const iw = ow * strideWidth - left + kw * dilationWidth;
              if (iw < 0 || iw >= inWidth) continue;
              const dxBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
              const wBase = (kh * filterWidth + kw) * outChannels;
              if (multiplier === 1) {
                for (let c = 0; c < inChannels; c++) dxv[dxBase + c]! += dyv[dyBase + c]! * wv[wBase + c]!;
              } else {
                for (let c = 0; c < inChannels; c++) {
                  let sum = 0;
                  for (let m = 0; m < multiplier; m++) {
                    const o = c * multiplier + m;
                    sum += dyv[dyBase + o]! * wv[wBase + o]!;
                  }
                  dxv[dxBase + c]! += sum;
                }
              }
            }
          }
        }
      }
    }
    return out;
  },
};

/**
 * dX of a depthwise convolution (multiplier 1) as a forward depthwise convolution, which wasm runs in XNNPACK:
 * dy is spread onto a zero canvas at stride s (its full padding, k−1−pad, on the leading sides) and correlated
 * with the spatially flipped filter, 'valid'. dx[i] = Σ_t dy[(i + pad − t)/s]·w[t] over the t where that is a
 * whole output index, which is exactly the canvas correlation.
 */
function depthwiseInputGradientByConvolution(wasm: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  const canvasHeight = inHeight + kh - 1;
  const canvasWidth = inWidth + kw - 1;
  const canvas = wasm.makeOutput([batchSize, canvasHeight, canvasWidth, c], 'float32');
  const flipped = wasm.makeOutput([kh, kw, c, 1], 'float32');
  // Views after every makeOutput: allocating may grow the heap and detach older views.
  const canvasValues = wasm.typedArrayFromHeap(canvas) as Float32Array;
  const dyValues = wasm.typedArrayFromHeap(dy) as Float32Array;
  canvasValues.fill(0);
  const rowTop = kh - 1 - top;
  const colLeft = kw - 1 - left;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const canvasRow = ((b * canvasHeight + rowTop + oh * strideHeight) * canvasWidth + colLeft) * c;
      const dyRow = (b * outHeight + oh) * outWidth * c;
      if (strideWidth === 1) {
        canvasValues.set(dyValues.subarray(dyRow, dyRow + outWidth * c), canvasRow);
      } else {
        for (let ow = 0; ow < outWidth; ow++) canvasValues.set(dyValues.subarray(dyRow + ow * c, dyRow + (ow + 1) * c), canvasRow + ow * strideWidth * c);
      }
    }
  }
  const w = wasm.typedArrayFromHeap(filter) as Float32Array;
  const wf = wasm.typedArrayFromHeap(flipped) as Float32Array;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) wf.set(w.subarray((i * kw + j) * c, (i * kw + j + 1) * c), ((kh - 1 - i) * kw + (kw - 1 - j)) * c);
  }
  const depthwise = tf.getKernel('DepthwiseConv2dNative', 'wasm')!;
  const dx = depthwise.kernelFunc({
    inputs: { x: canvas, filter: flipped },
    attrs: { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC' },
    backend: wasm,
  }) as TensorInfo;
  wasm.disposeData(canvas.dataId);
  wasm.disposeData(flipped.dataId);
  return dx;
}
