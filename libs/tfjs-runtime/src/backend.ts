import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { registerBatchNormGradient } from './batch-norm-gradient';
import { registerWasmGradientKernels } from './wasm-gradients';
import { registerWasmLeanKernels } from './wasm-lean-kernels';

/** The TensorFlow.js backends FEENet can run on, fastest first. */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** What ran: recorded in every experiment's summary and printed by every command. */
export interface BackendReport {
  name: BackendName;
  /** e.g. "wasm (SIMD, 1 thread)" or "tensorflow (libtensorflow, CUDA)". */
  description: string;
  /** Why faster backends were passed over, one line each. */
  skipped: string[];
}

const require = createRequire(import.meta.url);

/** Native packages are optionalDependencies: absent on most machines, so a failed require is expected. */
function tryRequire(pkg: string): { ok: true } | { ok: false; reason: string } {
  try {
    require(pkg);
    return { ok: true };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, reason: message ?? 'unknown error' };
  }
}

let selected: BackendReport | undefined;

export interface BackendOptions {
  /** Force one backend (e.g. `cpu` in gradient tests); default: the fastest present. */
  prefer?: BackendName;
  /** Test hook: pretend these native packages are missing. */
  unavailable?: readonly string[];
}

/**
 * Picks the fastest backend present: tfjs-node-gpu, tfjs-node, wasm (SIMD), cpu.
 * Without options it decides once per process; later plain calls return the same report.
 */
export async function selectBackend(options: BackendOptions = {}): Promise<BackendReport> {
  const plain = !options.prefer && !options.unavailable;
  if (plain && selected) return selected;
  if (options.prefer && selected?.name === options.prefer && tf.getBackend() === backendRegistryName(options.prefer)) return selected;
  registerBatchNormGradient();
  const skipped: string[] = [];
  const order = options.prefer ? [options.prefer] : BACKENDS;
  for (const name of order) {
    const outcome = await tryBackend(name, options.unavailable ?? []);
    if (outcome.ok) {
      selected = { name, description: outcome.description, skipped };
      return selected;
    }
    skipped.push(`${name}: ${outcome.reason}`);
  }
  throw new Error(`No TensorFlow.js backend could start:\n  ${skipped.join('\n  ')}`);
}

/** The name tfjs registers each backend under (both native packages use "tensorflow"). */
function backendRegistryName(name: BackendName): string {
  return name === 'tensorflow-gpu' ? 'tensorflow' : name;
}

type Attempt = { ok: true; description: string } | { ok: false; reason: string };

async function tryBackend(name: BackendName, unavailable: readonly string[]): Promise<Attempt> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      if (unavailable.includes(pkg)) return { ok: false, reason: `${pkg} not installed` };
      const loaded = tryRequire(pkg);
      if (!loaded.ok) return { ok: false, reason: `${pkg} not usable (${loaded.reason})` };
      // Both packages register their backend under the name "tensorflow".
      if (!(await tf.setBackend('tensorflow'))) return { ok: false, reason: `${pkg} loaded but its backend did not start` };
      await tf.ready();
      return { ok: true, description: `tensorflow (${pkg}, libtensorflow)` };
    }
    case 'wasm': {
      if (unavailable.includes('@tensorflow/tfjs-backend-wasm')) return { ok: false, reason: '@tensorflow/tfjs-backend-wasm not installed' };
      try {
        const wasm = wasmBackend;
        const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
        wasm.setWasmPaths(`${dist}/`);
        registerWasmGradientKernels();
        registerWasmLeanKernels();
        if (!(await tf.setBackend('wasm'))) return { ok: false, reason: 'wasm backend did not start' };
        await tf.ready();
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const threads = wasm.getThreadsCount();
        return { ok: true, description: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})` };
      } catch (err) {
        return { ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
    }
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'cpu backend did not start' };
      await tf.ready();
      return { ok: true, description: 'cpu (plain JavaScript: slow, a last resort)' };
    }
  }
}

/** Formats the report as one line for logs. */
export function describeBackend(report: BackendReport): string {
  return report.skipped.length === 0
    ? `backend: ${report.description}`
    : `backend: ${report.description} (skipped ${report.skipped.map((s) => s.split(':')[0]).join(', ')})`;
}
