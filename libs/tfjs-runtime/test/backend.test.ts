import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeBackend, selectBackend } from '../src/index';

describe('backend selection', () => {
  it('falls back to wasm when the native packages are absent, and says why', async () => {
    const report = await selectBackend({ unavailable: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] });
    expect(report.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.description).toMatch(/^wasm \((SIMD|no SIMD), \d+ threads?\)$/);
    expect(report.skipped.map((s) => s.split(':')[0])).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(report.skipped.join('\n')).toMatch(/tfjs-node-gpu.*not installed/);
    expect(describeBackend(report)).toContain('skipped tensorflow-gpu, tensorflow');
  });

  it('falls back to cpu when wasm is absent too', async () => {
    const report = await selectBackend({
      unavailable: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm'],
    });
    expect(report.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(report.skipped).toHaveLength(3);
  });

  it('uses the native package when it is installed, else reports it missing', async () => {
    const report = await selectBackend();
    let nativeInstalled = true;
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    } catch {
      nativeInstalled = false;
    }
    if (nativeInstalled) expect(report.name).toMatch(/^tensorflow/);
    else expect(report.skipped.some((s) => s.startsWith('tensorflow:'))).toBe(true);
    expect(tf.getBackend()).toBe(report.name === 'tensorflow-gpu' ? 'tensorflow' : report.name);
  });
});
