import { describe, expect, it } from 'vitest';
import { BLOCK, END, F32X4_ADD, F32X4_MUL, I32, I32_ADD, I32_GE_U, I32_MUL, LOOP, br, brIf, get, i32, set, sleb, uleb, v128Load, v128Store, wasmModule } from '../src/index';

describe('LEB128', () => {
  it('encodes the specification examples and the edges of one byte', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});

describe('wasmModule', () => {
  it('assembles a SIMD loop that runs on memory the caller owns', () => {
    // out[i..i+3] += a[i..i+3] · b[i..i+3] for i < n (byte offsets; n a multiple of 4 floats).
    const [a, b, out, n, i] = [0, 1, 2, 3, 4];
    const body = [
      ...BLOCK, ...LOOP, ...get(i), ...get(n), ...i32(4), ...I32_MUL, ...I32_GE_U, ...brIf(1),
      ...get(out), ...get(i), ...I32_ADD,
      ...get(out), ...get(i), ...I32_ADD, ...v128Load(),
      ...get(a), ...get(i), ...I32_ADD, ...v128Load(),
      ...get(b), ...get(i), ...I32_ADD, ...v128Load(),
      ...F32X4_MUL, ...F32X4_ADD, ...v128Store(),
      ...get(i), ...i32(16), ...I32_ADD, ...set(i), ...br(0), ...END, ...END,
    ];
    const bytes = wasmModule([{ name: 'fma', params: [I32, I32, I32, I32], results: [], locals: [[1, I32]], body }]);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const fma = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports['fma'] as (...args: number[]) => void;
    const floats = new Float32Array(memory.buffer);
    floats.set([1, 2, 3, 4, 5, 6, 7, 8], 0); // a at byte 0
    floats.set([2, 2, 2, 2, -1, -1, -1, -1], 8); // b at byte 32
    floats.set([10, 10, 10, 10, 10, 10, 10, 10], 16); // out at byte 64
    fma(0, 32, 64, 8);
    expect(Array.from(floats.subarray(16, 24))).toEqual([12, 14, 16, 18, 5, 4, 3, 2]);
  });
});
