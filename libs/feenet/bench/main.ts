/**
 * FEENet bench: `nx run feenet:bench [-- --quick] [-- --tune] [-- --only onnxruntime,tfjs,tfjs-cpu,pytorch] [-- --kind training,inference] [-- --json out.json]`
 *
 * A table of rows, each produced by a small row function run in its own child process (so that its peak RSS is
 * its own, worker threads included). EfficientNet-B0 FEENet with random weights (speed does not depend on them).
 *
 *   training   B0 steps on batches of 8 triplets (24 faces through the network together, no chunking): the
 *              trainer's own step code, in this thread (1 worker) or data-parallel over worker replicas
 *              (training/data-parallel.ts) → triplets/s
 *   inference  engine × input size → faces/s; tfjs with 2 workers runs one engine per worker thread
 *
 *   onnxruntime  onnxruntime-node, the exported graph (BN folded), CPU, tuned batch and threads (inference)
 *   tfjs         tfjs wasm (SIMD, one core per instance), 1 or 2 workers
 *   tfjs-cpu     tfjs' plain-JavaScript cpu backend: one short measurement (seconds per face)
 *   pytorch      Debian's python3-torch under /usr/bin/python3, eager; skipped when torch is absent
 *
 * Besides wall-clock rates, each row reports the process's CPU time per item (all threads): on the shared
 * machine other jobs slow the wall clock, CPU time much less.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, selectBackend, startWorkerThread } from '@feenet/tfjs-runtime';
import type { Triplet } from '@feenet/datasets';
import { modelToOnnx } from '../src/export/onnx-graph';
import { createOnnxEngine, createTfjsEngine, defaultOnnxBatchSize, loadOnnxRuntime, type EmbeddingEngine } from '../src/inference/engine';
import { buildFeenet } from '../src/model/feenet';
import { ReplicaPool } from '../src/training/data-parallel';
import type { FaceInputs } from '../src/training/face-inputs';
import { trainStep } from '../src/training/step-runner';
import { PAPER_OBJECTIVE } from '../src/training/triplet-loss';
import type { InferenceWorkerReply, InferenceWorkerRequest } from './tfjs-inference-worker';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

/** Targets: onnxruntime faces/s at 224 and 112 px on the 2-core machine. */
const TARGETS: Record<number, number> = { 224: 50, 112: 200 };
/** Target: B0 training on wasm at 112 px using both cores, triplets/s and peak memory. */
const TRAINING_TARGET = { size: 112, tripletsPerSecond: 2, peakRssMB: 4096 };
/** Triplets per training step: 24 faces in one batch. */
const TRAINING_TRIPLETS = 8;

type Engine = 'onnxruntime' | 'tfjs' | 'tfjs-cpu' | 'pytorch';

interface InferenceSpec {
  kind: 'inference';
  engine: Engine;
  size: number;
  batch: number;
  /** onnxruntime and PyTorch: intra-op threads; tfjs: worker threads, each with its own engine (one core each). */
  threads: number;
  /** Measure for at least this long (after one warm-up batch). */
  minSeconds: number;
}
interface TrainingSpec {
  kind: 'training';
  engine: Exclude<Engine, 'onnxruntime'>;
  size: number;
  /** Triplets per step (3× as many faces in one batch). */
  batch: number;
  /** tfjs: worker replicas (1 = steps in the process's own thread); PyTorch: intra-op threads. */
  threads: number;
  minSeconds: number;
  /** Skip the warm-up step and time exactly one (the cpu backend: minutes per step). */
  singleStep?: boolean;
}
type RowSpec = InferenceSpec | TrainingSpec;

interface RowResult {
  /** items/s: faces/s for inference rows, triplets/s for training rows. */
  throughput?: number;
  msPerItem?: number;
  /** Process CPU time (all threads) per item. */
  cpuMsPerItem?: number;
  peakRssMB?: number;
  items?: number;
  detail?: string;
  skipped?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Row functions (run in the child process)

function randomFaces(count: number, size: number): Float32Array {
  const x = new Float32Array(count * size * size * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.random() * 255;
  return x;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function timeEngine(engine: EmbeddingEngine, spec: InferenceSpec): Promise<RowResult> {
  const inputs = randomFaces(spec.batch, spec.size);
  await engine.embed(inputs, spec.batch); // warm-up: allocations, kernel selection
  let items = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  do {
    await engine.embed(inputs, spec.batch);
    items += spec.batch;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < spec.minSeconds || items < 2 * spec.batch);
  return { throughput: items / elapsed, msPerItem: (1000 * elapsed) / items, cpuMsPerItem: cpuMs(cpu) / items, items, detail: engine.description };
}

async function onnxInferenceRow(spec: InferenceSpec, modelFile: string): Promise<RowResult> {
  const loaded = loadOnnxRuntime();
  if (!loaded.ok) return { skipped: loaded.reason };
  const engine = await createOnnxEngine(loaded.ort, readFileSync(modelFile), { threads: spec.threads, batchSize: spec.batch, source: 'exported B0' });
  try {
    return await timeEngine(engine, spec);
  } finally {
    await engine.dispose();
  }
}

async function tfjsInferenceRow(spec: InferenceSpec): Promise<RowResult> {
  if (spec.threads > 1) return tfjsWorkersInferenceRow(spec);
  const backend = await selectBackend({ prefer: spec.engine === 'tfjs-cpu' ? 'cpu' : 'wasm' });
  const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: spec.size });
  const engine = createTfjsEngine(model, { batchSize: spec.batch, backend: describeBackend(backend).replace(/^backend: /, '') });
  try {
    return await timeEngine(engine, spec);
  } finally {
    await engine.dispose();
  }
}

/** One engine per worker thread, warmed up, then all timed together; throughput is their sum. */
async function tfjsWorkersInferenceRow(spec: InferenceSpec): Promise<RowResult> {
  const workers = Array.from({ length: spec.threads }, () => startWorkerThread(new URL('./tfjs-inference-worker.ts', import.meta.url)));
  const ask = (worker: (typeof workers)[number], m: InferenceWorkerRequest) =>
    new Promise<InferenceWorkerReply>((resolve, reject) => {
      worker.once('message', (reply: InferenceWorkerReply) => (reply.type === 'error' ? reject(new Error(reply.message)) : resolve(reply)));
      worker.once('error', reject);
      worker.postMessage(m);
    });
  try {
    const ready = await Promise.all(workers.map((w) => ask(w, { type: 'start', size: spec.size, batch: spec.batch, minSeconds: spec.minSeconds })));
    const cpu = process.cpuUsage();
    const done = await Promise.all(workers.map((w) => ask(w, { type: 'go' })));
    let items = 0;
    let seconds = 0;
    for (const d of done) {
      if (d.type !== 'done') continue;
      items += d.items;
      seconds = Math.max(seconds, d.seconds);
    }
    const backend = ready[0]?.type === 'ready' ? ready[0].backend : '';
    return { throughput: items / seconds, msPerItem: (1000 * seconds) / items, cpuMsPerItem: cpuMs(cpu) / items, items, detail: `${spec.threads} workers × tfjs ${backend} (batch ${spec.batch})` };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Random faces and triplets over them: each step sees the same 3·batch faces (speed does not depend on them). */
function trainingBatch(size: number, triplets: number): { inputs: FaceInputs; batch: Triplet[] } {
  const count = 3 * triplets;
  const inputs: FaceInputs = {
    kind: 'images',
    shape: [size, size, 3],
    count,
    rowOf: new Map(Array.from({ length: count }, (_, i) => [`face${i}`, i])),
    values: randomFaces(count, size),
  };
  const batch = Array.from({ length: triplets }, (_, i) => ({
    anchor: `face${i}`,
    positive: `face${triplets + i}`,
    negative: `face${2 * triplets + i}`,
    type: 'ONE_CLASS' as const,
    agreement: 1,
    split: 'train' as const,
  }));
  return { inputs, batch };
}

/** The trainer's own steps (train.ts, data-parallel.ts): Adam, margin 0.2, batch norm in training mode. */
async function tfjsTrainingRow(spec: TrainingSpec): Promise<RowResult> {
  const backend = await selectBackend({ prefer: spec.engine === 'tfjs-cpu' ? 'cpu' : 'wasm' });
  const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: spec.size });
  const optimizer = tf.train.adam(1e-3);
  const { inputs, batch } = trainingBatch(spec.size, spec.batch);
  const pool = spec.threads > 1 ? await ReplicaPool.start(model, { workers: spec.threads, backend: backend.name, objective: PAPER_OBJECTIVE }) : undefined;
  const step = async () => (pool ? pool.step(optimizer, inputs, batch) : trainStep(model, optimizer, inputs, batch, PAPER_OBJECTIVE));
  try {
    if (!spec.singleStep) await step(); // warm-up: allocations, kernel selection
    let steps = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    let elapsed = 0;
    do {
      await step();
      steps++;
      elapsed = (performance.now() - start) / 1000;
    } while (!spec.singleStep && (elapsed < spec.minSeconds || steps < 2));
    const items = steps * spec.batch;
    const where = pool ? `data-parallel, ${pool.description}` : `1 thread, ${describeBackend(backend).replace(/^backend: /, '')}`;
    return { throughput: items / elapsed, msPerItem: (1000 * elapsed) / items, cpuMsPerItem: cpuMs(cpu) / items, items, detail: `${where}; ${steps} step${steps === 1 ? '' : 's'} of ${3 * spec.batch} faces` };
  } finally {
    await pool?.dispose();
    model.dispose();
  }
}

function pytorchRow(spec: RowSpec): RowResult {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const args = [path.join(HERE, 'torch_b0.py'), '--size', `${spec.size}`, '--batch', `${spec.batch}`, '--threads', `${spec.threads}`, '--min-seconds', `${spec.minSeconds}`];
  if (spec.kind === 'training') args.push('--train');
  const out = spawnSync(PYTHON, args, { encoding: 'utf8' });
  const line = out.stdout.trim().split('\n').pop() ?? '';
  if (out.status !== 0 || !line.startsWith('{')) return { skipped: `torch_b0.py failed: ${(out.stderr || line).trim().split('\n').pop()}` };
  const r = JSON.parse(line) as { skipped?: string; facesPerSecond: number; tripletsPerSecond?: number; msPerFace: number; cpuSeconds: number; peakRssMB: number; faces: number; torch: string };
  if (r.skipped) return { skipped: r.skipped };
  const detail = `torch ${r.torch} eager, ${spec.threads} threads, batch ${spec.kind === 'training' ? `${spec.batch} triplets (${3 * spec.batch} faces), Adam` : spec.batch}`;
  if (spec.kind === 'training') {
    const items = r.faces / 3;
    return { throughput: r.tripletsPerSecond, msPerItem: 1000 / r.tripletsPerSecond!, cpuMsPerItem: (1000 * r.cpuSeconds) / items, peakRssMB: r.peakRssMB, items, detail };
  }
  return { throughput: r.facesPerSecond, msPerItem: r.msPerFace, cpuMsPerItem: (1000 * r.cpuSeconds) / r.faces, peakRssMB: r.peakRssMB, items: r.faces, detail };
}

async function runRowHere(spec: RowSpec, modelFile: string): Promise<RowResult> {
  if (spec.engine === 'pytorch') return pytorchRow(spec);
  if (spec.kind === 'training') return tfjsTrainingRow(spec);
  return spec.engine === 'onnxruntime' ? onnxInferenceRow(spec, modelFile) : tfjsInferenceRow(spec);
}

// ---------------------------------------------------------------------------------------------------------------
// The parent: model files, child processes, the table

// node:util's parser, as every bench and script uses: unknown flags are refused, not ignored.
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    tune: { type: 'boolean' },
    only: { type: 'string' },
    kind: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'string' },
    // A child process measuring one row (the parent passes them).
    row: { type: 'string' },
    model: { type: 'string' },
  },
});
const flag = (name: 'only' | 'kind' | 'threads' | 'json' | 'row' | 'model'): string | undefined => args[name];
const has = (name: 'quick' | 'tune'): boolean => args[name] === true;

function rows(quick: boolean, tune: boolean, threads: number): RowSpec[] {
  const minSeconds = quick ? 1.5 : 4;
  const specs: RowSpec[] = [];
  const inference = (engine: Engine, size: number, batch: number, t = threads, seconds = minSeconds): InferenceSpec => ({
    kind: 'inference',
    engine,
    size,
    batch,
    threads: t,
    minSeconds: seconds,
  });
  const training = (engine: TrainingSpec['engine'], size: number, t: number, singleStep = false, batch = TRAINING_TRIPLETS): TrainingSpec => ({
    kind: 'training',
    engine,
    size,
    batch,
    threads: t,
    minSeconds: quick ? 1 : 12,
    singleStep,
  });
  if (!tune) {
    for (const size of [112, 224]) {
      specs.push(training('tfjs', size, 1));
      if (threads > 1) specs.push(training('tfjs', size, threads));
      // The cpu backend takes minutes per 8-triplet step: one step of one triplet at 112 px, 224 px estimated from it.
      specs.push(training('tfjs-cpu', size, 1, true, 1));
      specs.push(training('pytorch', size, threads));
    }
  }
  for (const size of [112, 224]) {
    if (tune) {
      for (const t of [1, 2]) for (const batch of [1, 2, 4, 8, 16, 32]) specs.push(inference('onnxruntime', size, batch, t, quick ? 1.5 : 3));
      continue;
    }
    specs.push(inference('onnxruntime', size, defaultOnnxBatchSize([size, size, 3])));
    specs.push(inference('onnxruntime', size, 1)); // a search query: one face
    specs.push(inference('tfjs', size, 32, 1, quick ? 1 : 3));
    if (threads > 1) specs.push(inference('tfjs', size, 32, threads, quick ? 1 : 3));
    specs.push(inference('tfjs-cpu', size, 2, 1, 0)); // ~1 s (112 px) to ~3.5 s (224 px) per face: two small batches
    specs.push(inference('pytorch', size, 8));
  }
  return specs;
}

function modelFileFor(size: number, dir: string): string {
  const file = path.join(dir, `feenet-b0-${size}.onnx`);
  {
    const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: size });
    writeFileSync(file, modelToOnnx(model).bytes);
    model.dispose();
  }
  return file;
}

/** Runs one row in a child process (same node and loader flags), which reports its result and its own peak RSS. */
function runRowInChild(spec: RowSpec, modelFile: string): RowResult {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--row', JSON.stringify(spec), '--model', modelFile], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = child.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('ROW '));
  if (child.status !== 0 || !line) return { skipped: `row failed (exit ${child.status}): ${(child.stderr || child.stdout).trim().split('\n').slice(-3).join(' | ')}` };
  return JSON.parse(line.slice(4)) as RowResult;
}

type Measured = { spec: RowSpec; result: RowResult };

function targetOf({ spec, result }: Measured): string {
  if (result.throughput === undefined) return '';
  if (spec.kind === 'training') {
    if (spec.engine !== 'tfjs' || spec.threads < 2 || spec.size !== TRAINING_TARGET.size) return '';
    const met = result.throughput >= TRAINING_TARGET.tripletsPerSecond && (result.peakRssMB ?? Infinity) < TRAINING_TARGET.peakRssMB;
    return `${met ? 'met' : 'MISSED'} (≥${TRAINING_TARGET.tripletsPerSecond}/s, <${TRAINING_TARGET.peakRssMB / 1024} GB)`;
  }
  const wanted = TARGETS[spec.size];
  if (spec.engine !== 'onnxruntime' || spec.batch < 2 || !wanted) return '';
  return `${result.throughput >= wanted ? 'met' : 'MISSED'} (≥${wanted})`;
}

/** This row's throughput over PyTorch's (same kind and size), e.g. "0.45×". */
function versusPyTorch(row: Measured, all: readonly Measured[]): string {
  if (row.spec.engine === 'pytorch' || row.result.throughput === undefined) return '';
  const torch = all.find((r) => r.spec.engine === 'pytorch' && r.spec.kind === row.spec.kind && r.spec.size === row.spec.size)?.result.throughput;
  return torch ? `${(row.result.throughput / torch).toFixed(2)}×` : '';
}

function formatTable(results: readonly Measured[], kind: RowSpec['kind']): string {
  const unit = kind === 'training' ? 'triplet' : 'face';
  const header = ['engine', 'size', kind === 'training' ? 'triplets/step' : 'batch', kind === 'training' ? 'workers' : 'threads', `${unit}s/s`, `ms/${unit}`, `cpu ms/${unit}`, 'peak RSS MB', 'vs PyTorch', 'target', 'detail'];
  const rowsOfKind = results.filter((r) => r.spec.kind === kind);
  const body = rowsOfKind.map((row) => {
    const { spec, result } = row;
    return [
      spec.engine,
      `${spec.size}`,
      `${spec.batch}`,
      `${spec.threads}`,
      result.throughput !== undefined ? result.throughput.toFixed(kind === 'training' ? 2 : 1) : '-',
      result.msPerItem !== undefined ? result.msPerItem.toFixed(1) : '-',
      result.cpuMsPerItem !== undefined ? result.cpuMsPerItem.toFixed(1) : '-',
      result.peakRssMB !== undefined ? result.peakRssMB.toFixed(0) : '-',
      versusPyTorch(row, results),
      targetOf(row),
      result.skipped ? `skipped: ${result.skipped}` : (result.detail ?? ''),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 || c >= 9 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const rowArg = flag('row');
  if (rowArg) {
    // Child: one row, then its peak RSS (process-wide maximum, so this row's own).
    const result = await runRowHere(JSON.parse(rowArg) as RowSpec, flag('model') ?? '').catch((err: unknown): RowResult => {
      const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      const heap = /memory|allocat|out of bounds|Aborted/i.test(message) ? " (the wasm heap is 32-bit: 4 GB per instance)" : '';
      return { skipped: `failed after ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB peak RSS: ${message}${heap}` };
    });
    if (result.peakRssMB === undefined && !result.skipped) result.peakRssMB = process.resourceUsage().maxRSS / 1024;
    console.log(`ROW ${JSON.stringify(result)}`);
    return;
  }

  const quick = has('quick');
  const tune = has('tune');
  const only = flag('only')?.split(',');
  const kinds = flag('kind')?.split(',');
  const threads = Number(flag('threads') ?? Math.min(os.availableParallelism(), 2));
  const cores = os.availableParallelism();
  const loadBefore = os.loadavg()[0]!;
  console.log(`FEENet bench: ${os.cpus()[0]?.model ?? 'cpu'} × ${cores}, node ${process.version}${quick ? ', quick' : ''}${tune ? ', onnxruntime tuning sweep' : ''}`);
  console.log(`load average before: ${loadBefore.toFixed(2)}${loadBefore > cores * 0.5 ? ' (machine busy: figures are lower bounds)' : ''}`);

  const dir = path.join(os.tmpdir(), 'feenet-bench');
  mkdirSync(dir, { recursive: true });
  await selectBackend(); // the parent builds the ONNX files; children measure
  const specs = rows(quick, tune, threads).filter((s) => (!only || only.includes(s.engine)) && (!kinds || kinds.includes(s.kind)));
  const results: Measured[] = [];
  for (const spec of specs) {
    const result = cpuTrainingEstimate(spec, results) ?? runRowInChild(spec, spec.engine === 'onnxruntime' ? modelFileFor(spec.size, dir) : '');
    results.push({ spec, result });
    const unit = spec.kind === 'training' ? 'triplets' : 'faces';
    const r = result.skipped ? `skipped (${result.skipped})` : `${result.throughput!.toFixed(2)} ${unit}/s, peak ${result.peakRssMB?.toFixed(0)} MB`;
    console.log(`  ${spec.kind} ${spec.engine} ${spec.size} px batch ${spec.batch} ${spec.kind === 'training' && spec.engine !== 'pytorch' ? 'workers' : 'threads'} ${spec.threads}: ${r}`);
  }
  const loadAfter = os.loadavg()[0]!;
  if (results.some((r) => r.spec.kind === 'training')) {
    console.log(`\nEfficientNet-B0 FEENet training (random weights; steps of ${TRAINING_TRIPLETS} triplets = ${3 * TRAINING_TRIPLETS} faces in one batch, Adam, triplet loss)\n`);
    console.log(formatTable(results, 'training'));
  }
  if (results.some((r) => r.spec.kind === 'inference')) {
    console.log(`\nEfficientNet-B0 FEENet inference (random weights; input [N, size, size, 3] RGB → 16-d embedding)\n`);
    console.log(formatTable(results, 'inference'));
  }
  console.log(`\nload average after: ${loadAfter.toFixed(2)} on ${cores} cores${loadAfter > cores * 0.5 ? ' (busy)' : ''}`);
  const jsonOut = flag('json');
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ date: new Date().toISOString(), cores, loadBefore, loadAfter, results }, null, 2)}\n`);
}

/** The cpu backend's 224 px training step is not run: estimated from its 112 px step (cost grows with pixels). */
function cpuTrainingEstimate(spec: RowSpec, done: readonly Measured[]): RowResult | undefined {
  if (spec.kind !== 'training' || spec.engine !== 'tfjs-cpu' || spec.size === 112) return undefined;
  const measured = done.find((r) => r.spec.kind === 'training' && r.spec.engine === 'tfjs-cpu' && r.spec.size === 112)?.result;
  if (!measured?.msPerItem) return { skipped: 'minutes per step on the cpu backend; estimated from the 112 px row, which did not run' };
  const secondsPerStep = (measured.msPerItem * TRAINING_TRIPLETS * (spec.size / 112) ** 2) / 1000;
  return { skipped: `not run: ~${Math.round(secondsPerStep)} s per ${TRAINING_TRIPLETS}-triplet step estimated (112 px row × ${TRAINING_TRIPLETS} triplets × ${(spec.size / 112) ** 2} pixels)` };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
