/**
 * Are B0's training gradients right? The triplet loss's gradient for every trainable weight of FEENet-B0
 * (training mode, embedding batch norm, 6 faces of seeded noise) on wasm — this project's gradient kernels and
 * lean backward pass, as training uses them — against tfjs' own cpu backend, with the same weights.
 * Prints the relative L2 error per weight, worst first, among weights whose gradient is not negligible
 * (> 1e-3 of the largest; batch norm offsets followed by another batch norm have gradients that are zero up to
 * rounding). The cpu side takes ~2.5 min at 64 px.
 *
 *   npx tsx libs/feenet/bench/b0-gradient-check.ts [size, default 64]
 */
import * as tf from '@tensorflow/tfjs';
import { buildFeenet, tripletLoss } from '../src/index';
import { selectBackend } from '@feenet/tfjs-runtime';
import { leanVariableGrads } from '../src/training/lean-backprop';

const size = Number(process.argv[2] ?? 64);
const faces = 6;

function seededImages(): Float32Array {
  const img = new Float32Array(faces * size * size * 3);
  let s = 12345;
  for (let i = 0; i < img.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    img[i] = (s / 2147483648) * 255;
  }
  return img;
}

async function gradients(backend: 'cpu' | 'wasm', weights?: Float32Array[]) {
  await selectBackend({ prefer: backend });
  const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: size, dropConnectRate: 0, batchNormMomentum: 0.9 }, { seed: 5, embeddingBatchNorm: { momentum: 0.9 } });
  if (weights) model.setWeights(weights.map((w, i) => tf.tensor(w, model.weights[i]!.shape as number[])));
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.tensor4d(seededImages(), [faces, size, size, 3]);
  const loss = () => {
    const e = model.apply(x, { training: true }) as tf.Tensor2D;
    const [a, p, n] = tf.split(e, 3) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    return tripletLoss(a, p, n, 0.2);
  };
  const started = Date.now();
  const { value, grads } = backend === 'wasm' ? leanVariableGrads(loss, vars) : tf.variableGrads(loss, vars);
  console.log(`${backend}: loss ${value.dataSync()[0]}, ${Date.now() - started} ms`);
  const byName = new Map(model.trainableWeights.map((w, i) => [w.originalName, grads[vars[i]!.name]!.dataSync() as Float32Array]));
  return { byName, weights: model.weights.map((w) => w.read().dataSync() as Float32Array) };
}

async function main(): Promise<void> {
  const wasm = await gradients('wasm');
  const cpu = await gradients('cpu', wasm.weights);
  const rows = [...wasm.byName].map(([name, a]) => {
    const b = cpu.byName.get(name)!;
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < a.length; i++) {
      diff += (a[i]! - b[i]!) ** 2;
      norm += b[i]! ** 2;
    }
    return { name, norm: Math.sqrt(norm), relative: Math.sqrt(diff / Math.max(norm, 1e-30)) };
  });
  const largest = Math.max(...rows.map((r) => r.norm));
  const significant = rows.filter((r) => r.norm > 1e-3 * largest).sort((p, q) => q.relative - p.relative);
  console.log(`${significant.length} of ${rows.length} weights with a non-negligible gradient; worst relative L2 error ${significant[0]!.relative.toExponential(2)}`);
  for (const r of significant.slice(0, 10)) console.log(`  ${r.relative.toExponential(2)}  ${r.name} (|grad| ${r.norm.toExponential(2)})`);
}

void main();
