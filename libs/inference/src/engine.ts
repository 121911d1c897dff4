/**
 * Embedding engines: one interface over onnxruntime-node (the exported `model.onnx`, native CPU kernels) and
 * tfjs (the run's `model/`, on the backend `selectBackend` picks). onnxruntime-node is an optional dependency,
 * loaded with `require` at run time, so machines without it still embed with tfjs.
 *
 *   prefer 'auto' (default)  onnxruntime when `<run>/model.onnx` exists, is not older than the tfjs weights and
 *                            onnxruntime-node loads; tfjs otherwise
 *   prefer 'fastest'         onnxruntime whenever onnxruntime-node loads (exporting the tfjs model in memory
 *                            if no fresh model.onnx exists: ~1-2 s); tfjs otherwise
 *   prefer 'onnxruntime'     onnxruntime or an error saying why not
 *   prefer 'tfjs'            tfjs
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { describeBackend, selectBackend } from '@feenet/tfjs-runtime';
import { embed as tfjsEmbed, loadLayersModel } from '@feenet/feenet';
import { onnxExportState, onnxModelPath, tfjsModelDir } from './export-run';
import { modelToOnnx } from './onnx/model-to-onnx';

export const ENGINES = ['onnxruntime', 'tfjs'] as const;
export type EngineName = (typeof ENGINES)[number];
export type EnginePreference = EngineName | 'auto' | 'fastest';

export interface EmbeddingEngine {
  name: EngineName;
  /** e.g. "onnxruntime-node 1.30.0 (CPU, 2 threads, batch 4, model.onnx)". */
  description: string;
  /** Why a faster engine was passed over, one line each (empty when none was). */
  skipped: string[];
  /** Input shape without the batch dimension: [size, size, 3] for images, [512] for faceapi features. */
  inputShape: number[];
  dim: number;
  batchSize: number;
  /** Row-major [count, ...inputShape] (images: RGB in [0, 255]) → [count, dim] L2-normalised embeddings. */
  embed(inputs: Float32Array | Uint8Array, count: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface EngineOptions {
  /** The run folder, `experiments/<run-id>`: holds `model/` and, once exported, `model.onnx`. */
  runDir: string;
  prefer?: EnginePreference;
  /** onnxruntime intra-op threads; default: the machine's cores (2 here). */
  threads?: number;
  /** Faces per inference call; default: measured best per engine and input size (see README). */
  batchSize?: number;
  /** Test hook: pretend these packages are missing (e.g. ['onnxruntime-node']). */
  unavailable?: readonly string[];
}

const require = createRequire(import.meta.url);

/**
 * The part of onnxruntime-node's API used here, declared locally so that type checking does not depend on the
 * optional package being installed.
 */
type OrtTensorMeta = { isTensor: true; shape: readonly (number | string)[] } | { isTensor: false };
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly OrtTensorMeta[];
  readonly outputMetadata: readonly OrtTensorMeta[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dispose?(): void }>>;
  release(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => { dispose?(): void };
  env: { versions?: { node?: string } };
}

/** onnxruntime-node, or why it cannot be used. */
export function loadOnnxRuntime(unavailable: readonly string[] = []): { ok: true; ort: OrtModule } | { ok: false; reason: string } {
  if (unavailable.includes('onnxruntime-node')) return { ok: false, reason: 'onnxruntime-node is not installed' };
  try {
    return { ok: true, ort: require('onnxruntime-node') as OrtModule };
  } catch (err) {
    const first = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const missing = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String(first).includes("'onnxruntime-node'");
    return {
      ok: false,
      reason: missing
        ? 'onnxruntime-node is not installed (it is an optional dependency: `npm install` adds it on linux/macOS/windows x64 and arm64)'
        : `onnxruntime-node did not load: ${first}`,
    };
  }
}

/**
 * Measured on this 2-core machine (README, "ONNX export and inference engines"; 2 threads, no spinning): at
 * 112 px throughput peaks at batch 8 (216 faces/s, vs 114 at batch 1 and 114 at batch 32); at 224 px at batch
 * 1-2 (48 faces/s, vs 28 at batch 32): larger batches spill the activations out of cache.
 */
export function defaultOnnxBatchSize(inputShape: readonly number[]): number {
  return inputShape.length === 1 ? 256 : inputShape[0]! >= 160 ? 2 : 8;
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 8));
}

function toFloat32(x: Float32Array | Uint8Array): Float32Array {
  return x instanceof Float32Array ? x : Float32Array.from(x);
}

function checkInputs(inputs: Float32Array | Uint8Array, count: number, inputShape: readonly number[]): number {
  const perItem = inputShape.reduce((a, b) => a * b, 1);
  if (inputs.length !== count * perItem) {
    throw new Error(`embed: expected ${count} × [${inputShape.join(', ')}] = ${count * perItem} values, got ${inputs.length}`);
  }
  return perItem;
}

export interface OnnxSessionOptions {
  threads?: number;
  /**
   * Let idle intra-op threads spin (onnxruntime's default). Off by default: on this 2-core machine, shared with
   * other jobs, spinning threads halved throughput (97 vs 160 faces/s at 112 px), and without contention it
   * gains little for batched inference.
   */
  spin?: boolean;
  batchSize?: number;
  /** Where the bytes came from, for the description. */
  source?: string;
}

/** An onnxruntime engine over ONNX bytes (an exported FEENet: one input, output `embedding`). */
export async function createOnnxEngine(ort: OrtModule, bytes: Uint8Array, options: OnnxSessionOptions = {}): Promise<EmbeddingEngine> {
  const threads = options.threads ?? defaultThreads();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: options.spin ? '1' : '0' } } },
  });
  const meta = session.inputMetadata[0];
  if (!meta || !meta.isTensor) throw new Error('ONNX model: expected one tensor input');
  const inputShape = meta.shape.slice(1).map((d) => {
    if (typeof d !== 'number') throw new Error(`ONNX model: input dimension "${d}" must be fixed (only the batch may vary)`);
    return d;
  });
  const outMeta = session.outputMetadata[0];
  const dim = outMeta && outMeta.isTensor ? Number(outMeta.shape[1]) : NaN;
  if (!Number.isFinite(dim)) throw new Error('ONNX model: expected a [batch, dim] output');
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const batchSize = options.batchSize ?? defaultOnnxBatchSize(inputShape);

  return {
    name: 'onnxruntime',
    description: `onnxruntime-node ${ort.env.versions?.node ?? ''} (CPU, ${threads} thread${threads === 1 ? '' : 's'}, batch ${batchSize}${options.source ? `, ${options.source}` : ''})`.replace('  ', ' '),
    skipped: [],
    inputShape,
    dim,
    batchSize,
    async embed(inputs, count) {
      const perItem = checkInputs(inputs, count, inputShape);
      const out = new Float32Array(count * dim);
      for (let start = 0; start < count; start += batchSize) {
        const n = Math.min(batchSize, count - start);
        const data = toFloat32(inputs.subarray(start * perItem, (start + n) * perItem));
        const result = await session.run({ [inputName]: new ort.Tensor('float32', data, [n, ...inputShape]) });
        out.set(result[outputName]!.data as Float32Array, start * dim);
      }
      return out;
    },
    async dispose() {
      await session.release();
    },
  };
}

/** A tfjs engine over a loaded LayersModel (on whatever backend is active; call `selectBackend` first). */
export function createTfjsEngine(model: tf.LayersModel, options: { batchSize?: number; backend?: string; ownsModel?: boolean } = {}): EmbeddingEngine {
  const inputShape = (model.inputs[0]!.shape as (number | null)[]).slice(1) as number[];
  const dim = (model.outputs[0]!.shape as number[])[1]!;
  const batchSize = options.batchSize ?? (inputShape.length === 1 ? 256 : 32);
  return {
    name: 'tfjs',
    description: `tfjs ${options.backend ?? ''} (batch ${batchSize})`.replace('  ', ' '),
    skipped: [],
    inputShape,
    dim,
    batchSize,
    embed: (inputs, count) => tfjsEmbed(model, inputs, count, batchSize),
    async dispose() {
      if (options.ownsModel !== false) model.dispose();
    },
  };
}

async function tfjsForRun(runDir: string, batchSize: number | undefined, skipped: string[]): Promise<EmbeddingEngine> {
  const backend = await selectBackend();
  const model = await loadLayersModel(tfjsModelDir(runDir));
  const engine = createTfjsEngine(model, { batchSize, backend: describeBackend(backend).replace(/^backend: /, '') });
  return { ...engine, skipped };
}

/**
 * Opens the engine `prefer` asks for over a run's model. The choice and the reasons for passing over faster
 * engines are in `description` and `skipped`, for commands to print.
 */
export async function createEmbeddingEngine(options: EngineOptions): Promise<EmbeddingEngine> {
  const { runDir, prefer = 'auto', threads, batchSize } = options;
  if (!existsSync(path.join(tfjsModelDir(runDir), 'model.json')) && !existsSync(onnxModelPath(runDir))) {
    throw new Error(`no model in ${runDir}: expected model/model.json (a trained run) or model.onnx`);
  }
  if (prefer === 'tfjs') return tfjsForRun(runDir, batchSize, []);

  const skipped: string[] = [];
  const loaded = loadOnnxRuntime(options.unavailable);
  const state = onnxExportState(runDir);
  const exportHint = `run \`nx run trainer:export --run ${path.basename(path.resolve(runDir))} --format onnx\``;
  if (!loaded.ok) {
    if (prefer === 'onnxruntime') throw new Error(`onnxruntime engine unavailable: ${loaded.reason}`);
    skipped.push(`onnxruntime: ${loaded.reason}`);
    return tfjsForRun(runDir, batchSize, skipped);
  }
  if (state === 'fresh') {
    const bytes = await readFile(onnxModelPath(runDir));
    return createOnnxEngine(loaded.ort, bytes, { threads, batchSize, source: 'model.onnx' });
  }
  const why = state === 'missing' ? `no model.onnx (${exportHint})` : `model.onnx is older than model/weights.bin (${exportHint} again)`;
  if (prefer === 'auto') {
    skipped.push(`onnxruntime: ${why}`);
    return tfjsForRun(runDir, batchSize, skipped);
  }
  // 'fastest' or 'onnxruntime': export in memory.
  if (!existsSync(path.join(tfjsModelDir(runDir), 'model.json'))) throw new Error(`${why}, and no model/ to export from`);
  await selectBackend();
  const model = await loadLayersModel(tfjsModelDir(runDir));
  try {
    const { bytes } = modelToOnnx(model);
    return createOnnxEngine(loaded.ort, bytes, { threads, batchSize, source: `exported in memory: ${why}` });
  } finally {
    model.dispose();
  }
}
