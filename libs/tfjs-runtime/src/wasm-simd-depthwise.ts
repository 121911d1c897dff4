/**
 * The depthwise filter gradient as a WebAssembly SIMD loop over tfjs-wasm's own heap: four channels per f32x4
 * multiply-add. The typed-array loop it replaces ran at ~4 ns per multiply-add and was the largest single cost
 * of a B0 training step at 64 px (228 of ~1,900 ms); wasm's C++ has no such kernel to call.
 *
 * The module (a few hundred bytes) is assembled with @feenet/wasm-assembly and instantiated once per tfjs-wasm
 * memory, which it imports, so it reads and writes tensors in place: no copies in or out.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type * as tf from '@tensorflow/tfjs';
import {
  BLOCK, END, F32X4_ADD, F32X4_MUL, I32, I32_ADD, I32_GE_S, I32_GE_U, I32_MUL, I32_SUB, LOOP, V128_ZERO,
  br, brIf, get, i32, set, v128Load, v128Store, wasmModule, type WasmFunction,
} from '@feenet/wasm-assembly';

type TensorInfo = tf.TensorInfo;

/** What the kernel needs of `tf.backend_util.Conv2DInfo` (multiplier 1, no dilation). */
export interface DepthwiseFilterGradientShape {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  /** Channels of x, dy and the filter; a multiple of 4. */
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

type Kernel = (x: number, dy: number, dw: number, ...shape: number[]) => void;

const instances = new WeakMap<WebAssembly.Memory, Kernel | null>();
let compiled: WebAssembly.Module | null | undefined;

/**
 * dW[kh, kw, c] = Σ_{b, oh, ow} x[b, oh·sh + kh − top, ow·sw + kw − left, c] · dy[b, oh, ow, c] into `dw`
 * (shape [kh, kw, c, 1], already allocated). Returns false, leaving `dw` untouched, when this runtime has no
 * wasm SIMD or the backend's memory cannot be reached; the caller then uses its own loop.
 */
export function depthwiseFilterGradientSimd(wasm: BackendWasm, x: TensorInfo, dy: TensorInfo, dw: TensorInfo, s: DepthwiseFilterGradientShape): boolean {
  if (s.channels % 4 !== 0) return false;
  const kernel = kernelFor(wasm);
  if (!kernel) return false;
  const offset = (t: TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset;
  kernel(
    offset(x), offset(dy), offset(dw),
    s.batchSize, s.inHeight, s.inWidth, s.channels, s.outHeight, s.outWidth,
    s.filterHeight, s.filterWidth, s.strideHeight, s.strideWidth, s.padTop, s.padLeft,
  );
  return true;
}

function kernelFor(wasm: BackendWasm): Kernel | null {
  // tfjs-wasm 4.22 exposes its emscripten module as `wasm`, whose instance exports are `asm`.
  const memory = (wasm as unknown as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let kernel = instances.get(memory);
  if (kernel !== undefined) return kernel;
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(wasmModule([depthwiseFilterGradientFunction()]));
    } catch {
      compiled = null; // no wasm SIMD here
    }
  }
  kernel = compiled ? (new WebAssembly.Instance(compiled, { env: { memory } }).exports['depthwiseFilterGradient'] as Kernel) : null;
  instances.set(memory, kernel);
  return kernel;
}

// --- assembling the module -------------------------------------------------------------------------------------
// Structured loops over the instructions of @feenet/wasm-assembly.

const ONE = i32(1);

/** for (i = from; i < to; i += by) body — `to` and `by` are expressions re-evaluated each turn. */
function forLoop(i: number, from: number[], to: number[], by: number[], body: number[]): number[] {
  return [
    ...from, ...set(i),
    ...BLOCK, ...LOOP,
    ...get(i), ...to, ...I32_GE_S, ...brIf(1), // exit when i >= to
    ...body,
    ...get(i), ...by, ...I32_ADD, ...set(i),
    ...br(0), // continue
    ...END, ...END,
  ];
}

/** if (!(0 <= value < bound)) skip the rest of this body: one unsigned compare covers both sides. */
function skipUnlessWithin(value: number[], bound: number[], rest: number[]): number[] {
  return [...BLOCK, ...value, ...bound, ...I32_GE_U, ...brIf(0), ...rest, ...END];
}

function depthwiseFilterGradientFunction(): WasmFunction {
  // Parameters 0–14 (all i32; pointers are byte offsets into the imported memory), then 12 locals.
  const x = 0, dy = 1, dw = 2, batch = 3, inH = 4, inW = 5, channels = 6, outH = 7, outW = 8, kH = 9, kW = 10, strideH = 11, strideW = 12, top = 13, left = 14;
  const b = 15, oh = 16, kh = 17, ow = 18, kw = 19, ih = 20, iw = 21, xRow = 22, dyRow = 23, dwRow = 24, c = 25, rowBytes = 26;
  const body = [
    // rowBytes = channels · 4; zero dw (kH · kW · channels floats).
    ...get(channels), ...i32(4), ...I32_MUL, ...set(rowBytes),
    ...forLoop(c, i32(0), [...get(kH), ...get(kW), ...I32_MUL, ...get(rowBytes), ...I32_MUL], i32(16), [...get(dw), ...get(c), ...I32_ADD, ...V128_ZERO, ...v128Store()]),
    ...forLoop(b, i32(0), get(batch), ONE,
      forLoop(oh, i32(0), get(outH), ONE,
        forLoop(kh, i32(0), get(kH), ONE, [
          // ih = oh · strideH − top + kh
          ...get(oh), ...get(strideH), ...I32_MUL, ...get(top), ...I32_SUB, ...get(kh), ...I32_ADD, ...set(ih),
          ...skipUnlessWithin(get(ih), get(inH),
            forLoop(ow, i32(0), get(outW), ONE, [
              // dyRow = dy + ((b · outH + oh) · outW + ow) · rowBytes
              ...get(dy), ...get(b), ...get(outH), ...I32_MUL, ...get(oh), ...I32_ADD, ...get(outW), ...I32_MUL, ...get(ow), ...I32_ADD, ...get(rowBytes), ...I32_MUL, ...I32_ADD, ...set(dyRow),
              ...forLoop(kw, i32(0), get(kW), ONE, [
                ...get(ow), ...get(strideW), ...I32_MUL, ...get(left), ...I32_SUB, ...get(kw), ...I32_ADD, ...set(iw),
                ...skipUnlessWithin(get(iw), get(inW), [
                  // xRow = x + ((b · inH + ih) · inW + iw) · rowBytes; dwRow = dw + (kh · kW + kw) · rowBytes
                  ...get(x), ...get(b), ...get(inH), ...I32_MUL, ...get(ih), ...I32_ADD, ...get(inW), ...I32_MUL, ...get(iw), ...I32_ADD, ...get(rowBytes), ...I32_MUL, ...I32_ADD, ...set(xRow),
                  ...get(dw), ...get(kh), ...get(kW), ...I32_MUL, ...get(kw), ...I32_ADD, ...get(rowBytes), ...I32_MUL, ...I32_ADD, ...set(dwRow),
                  // dw[c..c+3] += x[c..c+3] · dy[c..c+3]
                  ...forLoop(c, i32(0), get(rowBytes), i32(16), [
                    ...get(dwRow), ...get(c), ...I32_ADD,
                    ...get(dwRow), ...get(c), ...I32_ADD, ...v128Load(),
                    ...get(xRow), ...get(c), ...I32_ADD, ...v128Load(),
                    ...get(dyRow), ...get(c), ...I32_ADD, ...v128Load(),
                    ...F32X4_MUL, ...F32X4_ADD, ...v128Store(),
                  ]),
                ]),
              ]),
            ]),
          ),
        ]),
      ),
    ),
  ];
  return { name: 'depthwiseFilterGradient', params: new Array<typeof I32>(15).fill(I32), results: [], locals: [[12, I32]], body };
}
