/**
 * FEENet training bench: `nx run feenet:bench [-- --quick] [-- --only tfjs,tfjs-cpu,pytorch] [-- --threads N] [-- --json out.json]`
 *
 * EfficientNet-B0 FEENet with random weights (speed does not depend on them), steps on batches of 8 triplets (24
 * faces through the network together, no chunking) with the trainer's own step code: in this thread (1 worker) or
 * data-parallel over worker replicas (training/data-parallel.ts) → triplets/s. Each row runs in its own child
 * process. Inference speed is `nx run inference:bench`.
 *
 *   tfjs         tfjs wasm (SIMD, one core per instance), 1 or 2 workers
 *   tfjs-cpu     tfjs' plain-JavaScript cpu backend: one step of one triplet (minutes per full step)
 *   pytorch      Debian's python3-torch under /usr/bin/python3, eager; skipped when torch is absent
 */
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, selectBackend } from '@feenet/tfjs-runtime';
import type { Triplet } from '@feenet/datasets';
import { buildFeenet } from '../src/model/feenet';
import { ReplicaPool } from '../src/training/data-parallel';
import type { FaceInputs } from '../src/training/face-inputs';
import { trainStep } from '../src/training/step-runner';
import { PAPER_OBJECTIVE } from '../src/training/triplet-loss';
import { cpuMs, formatTable, loadLine, machineLine, measureRowHere, progressLine, pytorchRow, randomFaces, runRowInChild, type BenchRow, type Measured, type RowResult } from './rows';

/** Target: B0 training on wasm at 112 px using both cores, triplets/s and peak memory. */
const TRAINING_TARGET = { size: 112, tripletsPerSecond: 2, peakRssMB: 4096 };
/** Triplets per training step: 24 faces in one batch. */
const TRAINING_TRIPLETS = 8;

interface TrainingRow extends BenchRow {
  kind: 'training';
  engine: 'tfjs' | 'tfjs-cpu' | 'pytorch';
  /** Skip the warm-up step and time exactly one (the cpu backend: minutes per step). */
  singleStep?: boolean;
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

/** The trainer's own steps (step-runner.ts, data-parallel.ts): Adam, margin 0.2, batch norm in training mode. */
async function tfjsTrainingRow(spec: TrainingRow): Promise<RowResult> {
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

const measure = async (spec: TrainingRow): Promise<RowResult> => (spec.engine === 'pytorch' ? pytorchRow(spec) : tfjsTrainingRow(spec));

function rows(quick: boolean, threads: number): TrainingRow[] {
  const row = (engine: TrainingRow['engine'], size: number, t: number, singleStep = false, batch = TRAINING_TRIPLETS): TrainingRow => ({
    kind: 'training',
    engine,
    size,
    batch,
    threads: t,
    minSeconds: quick ? 1 : 12,
    singleStep,
  });
  return [112, 224].flatMap((size) => [
    row('tfjs', size, 1),
    ...(threads > 1 ? [row('tfjs', size, threads)] : []),
    // The cpu backend takes minutes per 8-triplet step: one step of one triplet at 112 px, 224 px estimated from it.
    row('tfjs-cpu', size, 1, true, 1),
    row('pytorch', size, threads),
  ]);
}

/** The cpu backend's 224 px training step is not run: estimated from its 112 px step (cost grows with pixels). */
function cpuTrainingEstimate(spec: TrainingRow, done: readonly Measured[]): RowResult | undefined {
  if (spec.engine !== 'tfjs-cpu' || spec.size === 112) return undefined;
  const measured = done.find((r) => r.spec.engine === 'tfjs-cpu' && r.spec.size === 112)?.result;
  if (!measured?.msPerItem) return { skipped: 'minutes per step on the cpu backend; estimated from the 112 px row, which did not run' };
  const secondsPerStep = (measured.msPerItem * TRAINING_TRIPLETS * (spec.size / 112) ** 2) / 1000;
  return { skipped: `not run: ~${Math.round(secondsPerStep)} s per ${TRAINING_TRIPLETS}-triplet step estimated (112 px row × ${TRAINING_TRIPLETS} triplets × ${(spec.size / 112) ** 2} pixels)` };
}

function targetOf({ spec, result }: Measured): string {
  if (result.throughput === undefined || spec.engine !== 'tfjs' || spec.threads < 2 || spec.size !== TRAINING_TARGET.size) return '';
  const met = result.throughput >= TRAINING_TARGET.tripletsPerSecond && (result.peakRssMB ?? Infinity) < TRAINING_TARGET.peakRssMB;
  return `${met ? 'met' : 'MISSED'} (≥${TRAINING_TARGET.tripletsPerSecond}/s, <${TRAINING_TARGET.peakRssMB / 1024} GB)`;
}

// node:util's parser, as every bench and script uses: unknown flags are refused, not ignored.
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'string' },
    // A child process measuring one row (the parent passes it).
    row: { type: 'string' },
  },
});

async function main(): Promise<void> {
  if (args.row) return measureRowHere(JSON.parse(args.row) as TrainingRow, measure);
  const quick = args.quick === true;
  const only = args.only?.split(',');
  const threads = Number(args.threads ?? Math.min(os.availableParallelism(), 2));
  console.log(`${machineLine('FEENet training bench')}${quick ? ', quick' : ''}`);
  console.log(loadLine('before'));
  const results: Measured[] = [];
  for (const spec of rows(quick, threads).filter((s) => !only || only.includes(s.engine))) {
    const result = cpuTrainingEstimate(spec, results) ?? runRowInChild(fileURLToPath(import.meta.url), spec);
    results.push({ spec, result });
    console.log(progressLine({ spec, result }));
  }
  console.log(`\nEfficientNet-B0 FEENet training (random weights; steps of ${TRAINING_TRIPLETS} triplets = ${3 * TRAINING_TRIPLETS} faces in one batch, Adam, triplet loss)\n`);
  console.log(formatTable(results, 'training', targetOf));
  console.log(`\n${loadLine('after')}`);
  if (args.json) writeFileSync(args.json, `${JSON.stringify({ date: new Date().toISOString(), cores: os.availableParallelism(), results }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
