/**
 * Just enough of the WebAssembly binary format (webassembly.github.io/spec/core/binary) to hand-assemble small
 * SIMD kernels at load time: LEB128 integers, one module shape (functions over an imported `env.memory`, each
 * exported under its name), and the instructions the kernels of @feenet/clustering and @feenet/feenet use.
 * Instructions are byte arrays, spread into a function body: `[...get(i), ...i32(1), ...I32_ADD, ...set(i)]`.
 */

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F64 | typeof V128;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/** A vector: its length, then its items. */
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (text: string): number[] => [...uleb(text.length), ...Array.from(text, (ch) => ch.charCodeAt(0))];

export interface WasmFunction {
  /** Its export name. */
  name: string;
  params: ValueType[];
  results: ValueType[];
  /** Local declarations after the parameters: [count, type] runs, numbered on from the last parameter. */
  locals: [number, ValueType][];
  /** Instructions, without the final `end`. */
  body: number[];
}

/** A module that imports `env.memory` (any size) and exports each function under its name. */
export function wasmModule(functions: readonly WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const code = functions.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, ...END];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(code)),
  ]);
}

// --- instructions ------------------------------------------------------------------------------------------------

export const get = (local: number): number[] => [0x20, ...uleb(local)];
export const set = (local: number): number[] => [0x21, ...uleb(local)];
export const tee = (local: number): number[] => [0x22, ...uleb(local)];
export const i32 = (value: number): number[] => [0x41, ...sleb(value)];
export const f64 = (value: number): number[] => {
  const bytes = new DataView(new ArrayBuffer(8));
  bytes.setFloat64(0, value, true);
  return [0x44, ...new Uint8Array(bytes.buffer)];
};

export const I32_ADD = [0x6a];
export const I32_SUB = [0x6b];
export const I32_MUL = [0x6c];
export const I32_SHL = [0x74];
export const I32_GE_S = [0x4e];
export const I32_GE_U = [0x4f];
export const F64_ADD = [0xa0];
export const F64_MUL = [0xa2];
export const F64_LT = [0x63];
export const SELECT = [0x1b];

export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const IF = [0x04, 0x40];
export const END = [0x0b];
export const br = (depth: number): number[] => [0x0c, ...uleb(depth)];
export const brIf = (depth: number): number[] => [0x0d, ...uleb(depth)];

export const i32Load = (offset = 0): number[] => [0x28, 2, ...uleb(offset)];
export const f64Load = (offset = 0): number[] => [0x2b, 3, ...uleb(offset)];
export const f64Store = (offset = 0): number[] => [0x39, 3, ...uleb(offset)];

const simd = (opcode: number): number[] => [0xfd, ...uleb(opcode)];
/** v128 load and store (alignment hint 4 bytes: right for float32 tensors and float64 rows alike). */
export const v128Load = (offset = 0): number[] => [...simd(0), 2, ...uleb(offset)];
export const v128Store = (offset = 0): number[] => [...simd(11), 2, ...uleb(offset)];
export const V128_ZERO = [...simd(12), ...new Array<number>(16).fill(0)];
export const f64x2ExtractLane = (index: number): number[] => [...simd(33), index];
export const F32X4_ADD = simd(228);
export const F32X4_MUL = simd(230);
export const F64X2_ADD = simd(240);
export const F64X2_SUB = simd(241);
export const F64X2_MUL = simd(242);
