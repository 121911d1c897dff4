/**
 * Where does one B0 training step spend its time? Runs the trainer's step (training mode, lean backward pass,
 * this project's wasm gradient kernels) on one replica's share of a batch and prints wall time per kernel name,
 * largest first, from `tf.profile`. Kernels that dispatch other kernels are counted with their children, so the
 * shares can add up to more than 100 %; the step's own wall time is printed separately.
 *
 *   npx tsx libs/feenet/bench/b0-step-profile.ts [size, default 64] [triplets, default 16]
 */
import * as tf from '@tensorflow/tfjs';
import { buildFeenet } from '../src/index';
import { describeBackend, selectBackend } from '@feenet/tfjs-runtime';
import { tripletGradients } from '../src/training/replica-step';

const size = Number(process.argv[2] ?? 64);
const triplets = Number(process.argv[3] ?? 16);

interface KernelTotal {
  ms: number;
  calls: number;
}

async function main(): Promise<void> {
  const backend = await selectBackend({ prefer: 'wasm' });
  console.log(describeBackend(backend));
  const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: size, dropConnectRate: 0, batchNormMomentum: 0.9 }, { seed: 1, embeddingBatchNorm: { momentum: 0.9 } });
  const x = tf.randomUniform([3 * triplets, size, size, 3], 0, 255, 'float32', 7);
  const objective = { margin: 0.2, batchNegatives: 1, labelContrast: 0 };
  const step = () => {
    const { value, grads } = tripletGradients(model, x, objective);
    for (const g of Object.values(grads)) g.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  step(); // warm-up: allocations, kernel selection
  const started = performance.now();
  const repeats = 3;
  for (let i = 0; i < repeats; i++) step();
  const stepMs = (performance.now() - started) / repeats;

  const info = await tf.profile(step);
  const totals = new Map<string, KernelTotal>();
  for (const k of info.kernels) {
    const time = await k.kernelTimeMs; // a number, or { error } where the backend cannot time a kernel
    const value = typeof time === 'number' ? time : 0;
    const t = totals.get(k.name) ?? { ms: 0, calls: 0 };
    t.ms += value;
    t.calls++;
    totals.set(k.name, t);
  }
  const profiledMs = [...totals.values()].reduce((s, t) => s + t.ms, 0);
  console.log(`B0 step at ${size} px, ${triplets} triplets (${3 * triplets} faces): ${stepMs.toFixed(0)} ms unprofiled (mean of ${repeats}); kernels sum to ${profiledMs.toFixed(0)} ms`);
  console.log('kernel'.padEnd(40) + 'ms'.padStart(9) + 'share'.padStart(8) + 'calls'.padStart(7));
  for (const [name, t] of [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
    console.log(name.padEnd(40) + t.ms.toFixed(1).padStart(9) + `${((100 * t.ms) / stepMs).toFixed(1)}%`.padStart(8) + `${t.calls}`.padStart(7));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
