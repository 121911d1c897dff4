/**
 * Inference bench: `nx run inference:bench [-- --quick] [-- --tune] [-- --only onnxruntime,tfjs,tfjs-cpu,pytorch] [-- --threads N] [-- --json out.json]`
 *
 * EfficientNet-B0 FEENet with random weights (speed does not depend on them), engine × input size → faces/s;
 * each row runs in its own child process. Training speed is `nx run feenet:bench`.
 *
 *   onnxruntime  onnxruntime-node, the exported graph (BN folded), CPU, tuned batch and threads
 *   tfjs         tfjs wasm (SIMD, one core per instance); with 2 workers one engine per worker thread
 *   tfjs-cpu     tfjs' plain-JavaScript cpu backend: one short measurement (seconds per face)
 *   pytorch      Debian's python3-torch under /usr/bin/python3, eager; skipped when torch is absent
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildFeenet } from '@feenet/feenet';
import { cpuMs, formatTable, loadLine, machineLine, measureRowHere, progressLine, pytorchRow, randomFaces, runRowInChild, type BenchRow, type Measured, type RowResult } from '@feenet/feenet/bench-rows';
import { describeBackend, selectBackend, startWorkerThread } from '@feenet/tfjs-runtime';
import { createOnnxEngine, createTfjsEngine, defaultOnnxBatchSize, loadOnnxRuntime, modelToOnnx, type EmbeddingEngine } from '../src/index';
import type { InferenceWorkerReply, InferenceWorkerRequest } from './tfjs-inference-worker';

/** Targets: onnxruntime faces/s at 224 and 112 px on the 2-core machine. */
const TARGETS: Record<number, number> = { 224: 50, 112: 200 };

interface InferenceRow extends BenchRow {
  kind: 'inference';
  engine: 'onnxruntime' | 'tfjs' | 'tfjs-cpu' | 'pytorch';
}

async function timeEngine(engine: EmbeddingEngine, spec: InferenceRow): Promise<RowResult> {
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

async function onnxRow(spec: InferenceRow, modelFile: string): Promise<RowResult> {
  const loaded = loadOnnxRuntime();
  if (!loaded.ok) return { skipped: loaded.reason };
  const engine = await createOnnxEngine(loaded.ort, readFileSync(modelFile), { threads: spec.threads, batchSize: spec.batch, source: 'exported B0' });
  try {
    return await timeEngine(engine, spec);
  } finally {
    await engine.dispose();
  }
}

async function tfjsRow(spec: InferenceRow): Promise<RowResult> {
  if (spec.threads > 1) return tfjsWorkersRow(spec);
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
async function tfjsWorkersRow(spec: InferenceRow): Promise<RowResult> {
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

function rows(quick: boolean, tune: boolean, threads: number): InferenceRow[] {
  const minSeconds = quick ? 1.5 : 4;
  const row = (engine: InferenceRow['engine'], size: number, batch: number, t = threads, seconds = minSeconds): InferenceRow => ({
    kind: 'inference',
    engine,
    size,
    batch,
    threads: t,
    minSeconds: seconds,
  });
  const specs: InferenceRow[] = [];
  for (const size of [112, 224]) {
    if (tune) {
      for (const t of [1, 2]) for (const batch of [1, 2, 4, 8, 16, 32]) specs.push(row('onnxruntime', size, batch, t, quick ? 1.5 : 3));
      continue;
    }
    specs.push(row('onnxruntime', size, defaultOnnxBatchSize([size, size, 3])));
    specs.push(row('onnxruntime', size, 1)); // a search query: one face
    specs.push(row('tfjs', size, 32, 1, quick ? 1 : 3));
    if (threads > 1) specs.push(row('tfjs', size, 32, threads, quick ? 1 : 3));
    specs.push(row('tfjs-cpu', size, 2, 1, 0)); // ~1 s (112 px) to ~3.5 s (224 px) per face: two small batches
    specs.push(row('pytorch', size, 8));
  }
  return specs;
}

function modelFileFor(size: number, dir: string): string {
  const file = path.join(dir, `feenet-b0-${size}.onnx`);
  const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: size });
  writeFileSync(file, modelToOnnx(model).bytes);
  model.dispose();
  return file;
}

function targetOf({ spec, result }: Measured): string {
  const wanted = TARGETS[spec.size];
  if (result.throughput === undefined || spec.engine !== 'onnxruntime' || spec.batch < 2 || !wanted) return '';
  return `${result.throughput >= wanted ? 'met' : 'MISSED'} (≥${wanted})`;
}

// node:util's parser, as every bench and script uses: unknown flags are refused, not ignored.
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    tune: { type: 'boolean' },
    only: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'string' },
    // A child process measuring one row (the parent passes them).
    row: { type: 'string' },
    model: { type: 'string' },
  },
});

async function main(): Promise<void> {
  if (args.row) {
    const modelFile = args.model ?? '';
    return measureRowHere(JSON.parse(args.row) as InferenceRow, async (spec) =>
      spec.engine === 'pytorch' ? pytorchRow(spec) : spec.engine === 'onnxruntime' ? onnxRow(spec, modelFile) : tfjsRow(spec),
    );
  }
  const quick = args.quick === true;
  const tune = args.tune === true;
  const only = args.only?.split(',');
  const threads = Number(args.threads ?? Math.min(os.availableParallelism(), 2));
  console.log(`${machineLine('FEENet inference bench')}${quick ? ', quick' : ''}${tune ? ', onnxruntime tuning sweep' : ''}`);
  console.log(loadLine('before'));
  const dir = path.join(os.tmpdir(), 'feenet-bench');
  mkdirSync(dir, { recursive: true });
  await selectBackend(); // the parent builds the ONNX files; children measure
  const results: Measured[] = [];
  for (const spec of rows(quick, tune, threads).filter((s) => !only || only.includes(s.engine))) {
    const extra = spec.engine === 'onnxruntime' ? ['--model', modelFileFor(spec.size, dir)] : [];
    const result = runRowInChild(fileURLToPath(import.meta.url), spec, extra);
    results.push({ spec, result });
    console.log(progressLine({ spec, result }));
  }
  console.log(`\nEfficientNet-B0 FEENet inference (random weights; input [N, size, size, 3] RGB → 16-d embedding)\n`);
  console.log(formatTable(results, 'inference', targetOf));
  console.log(`\n${loadLine('after')}`);
  if (args.json) writeFileSync(args.json, `${JSON.stringify({ date: new Date().toISOString(), cores: os.availableParallelism(), results }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
