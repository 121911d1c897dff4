/** Shared by the ONNX tests: models with non-trivial weights and deterministic inputs. */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../src/dataset/random';

/**
 * Gives every batch-norm layer non-trivial statistics (γ, β, moving mean and variance away from 1/0/0/1), so that
 * folding them into convolutions is really exercised. Means are kept small relative to the spread so activations
 * stay in a sane range through 16 blocks.
 */
export function randomiseBatchNorm(model: tf.LayersModel, seed: number): number {
  const rng = new SeededRandom(seed);
  let count = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const values = layer.getWeights().map((w, index) => {
      const short = layer.weights[index]!.originalName.split('/').pop();
      const n = w.size;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        if (short === 'gamma') data[i] = 0.6 + 0.8 * rng.next();
        else if (short === 'beta') data[i] = 0.2 * (rng.next() - 0.5);
        else if (short === 'moving_mean') data[i] = 0.3 * (rng.next() - 0.5);
        else data[i] = 0.5 + 1.5 * rng.next(); // moving_variance
      }
      return tf.tensor(data, w.shape);
    });
    layer.setWeights(values);
    values.forEach((v) => v.dispose());
    count++;
  }
  return count;
}

/** Multiplies every trainable weight by (1 + scale·u), u uniform in [−1, 1]: weights no longer at initialisation. */
export function perturbWeights(model: tf.LayersModel, seed: number, scale = 0.2): void {
  const rng = new SeededRandom(seed);
  for (const layer of model.layers) {
    if (layer.trainableWeights.length === 0) continue;
    const trainable = new Set(layer.trainableWeights.map((w) => w.name));
    const current = layer.getWeights();
    const next = current.map((t, i) => {
      const data = (t.dataSync() as Float32Array).slice();
      if (trainable.has(layer.weights[i]!.name)) {
        for (let j = 0; j < data.length; j++) data[j] = data[j]! * (1 + scale * (2 * rng.next() - 1)) + (data[j] === 0 ? 0.01 * (2 * rng.next() - 1) : 0);
      }
      return tf.tensor(data, t.shape);
    });
    layer.setWeights(next);
    next.forEach((t) => t.dispose());
  }
}

/** Smooth random "faces": low-frequency RGB patterns in [0, 255] plus noise, so activations are image-like. */
export function randomImages(count: number, size: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(count * size * size * 3);
  for (let n = 0; n < count; n++) {
    const f = [1 + 3 * rng.next(), 1 + 3 * rng.next(), 1 + 3 * rng.next()];
    const ph = [6.28 * rng.next(), 6.28 * rng.next(), 6.28 * rng.next()];
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) {
          const v = 128 + 90 * Math.sin((f[c]! * (x + 0.7 * y)) / size * 6.28 + ph[c]!) + 30 * (rng.next() - 0.5);
          out[((n * size + y) * size + x) * 3 + c] = Math.min(255, Math.max(0, v));
        }
  }
  return out;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
