/**
 * FEENet bench: `nx run feenet:bench [-- --quick] [-- --tune] [-- --only onnxruntime,tfjs,pytorch] [-- --json out.json]`
 *
 * A table of rows, each produced by a small row function run in its own child process (so that its peak RSS is
 * its own). Inference rows: engine × input size → faces/s, ms/face and peak memory, EfficientNet-B0 FEENet with
 * random weights (speed does not depend on the weights). More kinds of rows (e.g. training speed) plug in by
 * adding a kind to ROW_KINDS and specs to `rows()`.
 *
 *   onnxruntime  onnxruntime-node, the exported graph (BN folded), CPU, tuned batch and threads
 *   tfjs         tfjs on the backend selectBackend picks (wasm here)
 *   pytorch      Debian's python3-torch under /usr/bin/python3, eager; skipped when torch is absent
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeBackend, selectBackend } from '../src/backend';
import { modelToOnnx } from '../src/export/onnx-graph';
import { createOnnxEngine, createTfjsEngine, defaultOnnxBatchSize, loadOnnxRuntime, type EmbeddingEngine } from '../src/inference/engine';
import { buildFeenet } from '../src/model/feenet';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

/** Targets from issue 8: onnxruntime faces/s at 224 and 112 px on the 2-core machine. */
const TARGETS: Record<number, number> = { 224: 50, 112: 200 };

interface InferenceSpec {
  kind: 'inference';
  engine: 'onnxruntime' | 'tfjs' | 'pytorch';
  size: number;
  batch: number;
  threads: number;
  /** Measure for at least this long (after one warm-up batch). */
  minSeconds: number;
}
type RowSpec = InferenceSpec;

interface RowResult {
  /** items/s: faces/s for inference rows. */
  throughput?: number;
  msPerItem?: number;
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

async function timeEngine(engine: EmbeddingEngine, spec: InferenceSpec): Promise<RowResult> {
  const inputs = randomFaces(spec.batch, spec.size);
  await engine.embed(inputs, spec.batch); // warm-up: allocations, kernel selection
  let items = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await engine.embed(inputs, spec.batch);
    items += spec.batch;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < spec.minSeconds || items < 2 * spec.batch);
  return { throughput: items / elapsed, msPerItem: (1000 * elapsed) / items, items, detail: engine.description };
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
  const backend = await selectBackend();
  const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: spec.size });
  const engine = createTfjsEngine(model, { batchSize: spec.batch, backend: describeBackend(backend).replace(/^backend: /, '') });
  try {
    return await timeEngine(engine, spec);
  } finally {
    await engine.dispose();
  }
}

function pytorchInferenceRow(spec: InferenceSpec): RowResult {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const args = [path.join(HERE, 'torch_b0.py'), '--size', `${spec.size}`, '--batch', `${spec.batch}`, '--threads', `${spec.threads}`, '--min-seconds', `${spec.minSeconds}`];
  const out = spawnSync(PYTHON, args, { encoding: 'utf8' });
  const line = out.stdout.trim().split('\n').pop() ?? '';
  if (out.status !== 0 || !line.startsWith('{')) return { skipped: `torch_b0.py failed: ${(out.stderr || line).trim().split('\n').pop()}` };
  const r = JSON.parse(line) as { skipped?: string; facesPerSecond: number; msPerFace: number; peakRssMB: number; faces: number; torch: string };
  if (r.skipped) return { skipped: r.skipped };
  return { throughput: r.facesPerSecond, msPerItem: r.msPerFace, peakRssMB: r.peakRssMB, items: r.faces, detail: `torch ${r.torch} eager, ${spec.threads} threads, batch ${spec.batch}` };
}

async function runRowHere(spec: RowSpec, modelFile: string): Promise<RowResult> {
  switch (spec.engine) {
    case 'onnxruntime':
      return onnxInferenceRow(spec, modelFile);
    case 'tfjs':
      return tfjsInferenceRow(spec);
    case 'pytorch':
      return pytorchInferenceRow(spec);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The parent: model files, child processes, the table

function flag(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
const has = (name: string) => process.argv.includes(`--${name}`);

function rows(quick: boolean, tune: boolean, threads: number): RowSpec[] {
  const minSeconds = quick ? 1.5 : 4;
  const specs: RowSpec[] = [];
  const inference = (engine: InferenceSpec['engine'], size: number, batch: number, t = threads, seconds = minSeconds): InferenceSpec => ({
    kind: 'inference',
    engine,
    size,
    batch,
    threads: t,
    minSeconds: seconds,
  });
  for (const size of [112, 224]) {
    if (tune) {
      for (const t of [1, 2]) for (const batch of [1, 2, 4, 8, 16, 32]) specs.push(inference('onnxruntime', size, batch, t, quick ? 1.5 : 3));
      continue;
    }
    specs.push(inference('onnxruntime', size, defaultOnnxBatchSize([size, size, 3])));
    specs.push(inference('onnxruntime', size, 1)); // a search query: one face
    specs.push(inference('tfjs', size, 32, 1, quick ? 1 : 3));
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

function formatTable(results: { spec: RowSpec; result: RowResult }[]): string {
  const header = ['engine', 'size', 'batch', 'threads', 'faces/s', 'ms/face', 'peak RSS MB', 'target', 'detail'];
  const body = results.map(({ spec, result }) => {
    const target = spec.engine === 'onnxruntime' && spec.batch > 1 && TARGETS[spec.size] && result.throughput !== undefined
      ? `${result.throughput >= TARGETS[spec.size]! ? 'met' : 'MISSED'} (≥${TARGETS[spec.size]})`
      : '';
    return [
      spec.engine,
      `${spec.size}`,
      `${spec.batch}`,
      `${spec.threads}`,
      result.throughput !== undefined ? result.throughput.toFixed(1) : '-',
      result.msPerItem !== undefined ? result.msPerItem.toFixed(1) : '-',
      result.peakRssMB !== undefined ? result.peakRssMB.toFixed(0) : '-',
      target,
      result.skipped ? `skipped: ${result.skipped}` : (result.detail ?? ''),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 || c >= 7 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const rowArg = flag('row');
  if (rowArg) {
    // Child: one row, then its peak RSS (process-wide maximum, so this row's own).
    const result = await runRowHere(JSON.parse(rowArg) as RowSpec, flag('model') ?? '');
    if (result.peakRssMB === undefined && !result.skipped) result.peakRssMB = process.resourceUsage().maxRSS / 1024;
    console.log(`ROW ${JSON.stringify(result)}`);
    return;
  }

  const quick = has('quick');
  const tune = has('tune');
  const only = flag('only')?.split(',');
  const threads = Number(flag('threads') ?? Math.min(os.availableParallelism(), 2));
  const cores = os.availableParallelism();
  const loadBefore = os.loadavg()[0]!;
  console.log(`FEENet inference bench: ${os.cpus()[0]?.model ?? 'cpu'} × ${cores}, node ${process.version}${quick ? ', quick' : ''}${tune ? ', onnxruntime tuning sweep' : ''}`);
  console.log(`load average before: ${loadBefore.toFixed(2)}${loadBefore > cores * 0.5 ? ' (machine busy: figures are lower bounds)' : ''}`);

  const dir = path.join(os.tmpdir(), 'feenet-bench');
  mkdirSync(dir, { recursive: true });
  await selectBackend(); // the parent builds the ONNX files; children measure
  const specs = rows(quick, tune, threads).filter((s) => !only || only.includes(s.engine));
  const results: { spec: RowSpec; result: RowResult }[] = [];
  for (const spec of specs) {
    const modelFile = spec.engine === 'onnxruntime' ? modelFileFor(spec.size, dir) : '';
    const result = runRowInChild(spec, modelFile);
    results.push({ spec, result });
    const r = result.skipped ? `skipped (${result.skipped})` : `${result.throughput!.toFixed(1)} faces/s, peak ${result.peakRssMB?.toFixed(0)} MB`;
    console.log(`  ${spec.engine} ${spec.size} px batch ${spec.batch} threads ${spec.threads}: ${r}`);
  }
  const loadAfter = os.loadavg()[0]!;
  console.log(`\nEfficientNet-B0 FEENet inference (random weights; input [N, size, size, 3] RGB → 16-d embedding)\n`);
  console.log(formatTable(results));
  console.log(`\nload average after: ${loadAfter.toFixed(2)} on ${cores} cores`);
  const jsonOut = flag('json');
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ date: new Date().toISOString(), cores, loadBefore, loadAfter, results }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
