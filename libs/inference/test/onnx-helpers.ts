/** Shared by the ONNX tests: models with non-trivial weights and deterministic inputs. */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '@feenet/datasets';

/**
 * Calibration batch and variance floor (× the layer's median variance): with 8 images and no floor some channels
 * are near-constant on the calibration batch and blow up on other images (pooled features up to ~800), and then
 * even tfjs wasm and tfjs cpu disagree by ~1e-4 on the embeddings; 16 images and a 0.1 floor keep features in
 * the hundreds at most and backend-to-backend differences near 1e-5, as for a trained model.
 */
const CALIBRATION_BATCH = 16;
const VARIANCE_FLOOR = 0.1;

/**
 * Gives every batch-norm layer non-trivial parameters so that folding them into convolutions is really exercised:
 * γ in [0.6, 1.4], β in ±0.1, and moving statistics calibrated on a batch of smooth random images (one
 * training-mode pass with momentum 0, variances floored), then moved off by up to ±20 % (variance) and ±0.1·σ
 * (mean). Calibrated statistics keep the activations alive through 16 blocks, so different faces get different embeddings; plain
 * random statistics collapse every input to nearly the same output, which would make parity tests vacuous.
 */
export function randomiseBatchNorm(model: tf.LayersModel, seed: number): number {
  const rng = new SeededRandom(seed);
  const bnLayers = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  const setByName = (layer: tf.layers.Layer, f: (short: string, value: Float32Array, i: number) => number) => {
    const values = layer.getWeights().map((w, index) => {
      const short = layer.weights[index]!.originalName.split('/').pop()!;
      const data = (w.dataSync() as Float32Array).slice();
      for (let i = 0; i < data.length; i++) data[i] = f(short, data, i);
      return tf.tensor(data, w.shape);
    });
    layer.setWeights(values);
    values.forEach((v) => v.dispose());
  };
  for (const layer of bnLayers) {
    setByName(layer, (short, d, i) => (short === 'gamma' ? 0.6 + 0.8 * rng.next() : short === 'beta' ? 0.2 * (rng.next() - 0.5) : d[i]!));
  }
  // Calibrate: a training-mode pass with momentum 0 sets each moving statistic to its batch statistic.
  const inputShape = (model.inputs[0]!.shape as number[]).slice(1);
  const calibration =
    inputShape.length === 3
      ? tf.tensor(randomImages(CALIBRATION_BATCH, inputShape[0]!, seed + 1), [CALIBRATION_BATCH, inputShape[0]!, inputShape[1]!, 3])
      : tf.randomNormal([CALIBRATION_BATCH, ...inputShape], 0, 1, 'float32', seed);
  // Dropout (stochastic depth, feenet_dropout) off meanwhile: the statistics must be those of inference.
  const dropouts = model.layers.filter((l) => l.getClassName() === 'Dropout') as unknown as { rate: number }[];
  const rates = dropouts.map((l) => l.rate);
  dropouts.forEach((l) => (l.rate = 0));
  const momenta = bnLayers.map((l) => (l as unknown as { momentum: number }).momentum);
  bnLayers.forEach((l) => ((l as unknown as { momentum: number }).momentum = 0));
  tf.tidy(() => {
    model.apply(calibration, { training: true });
  });
  bnLayers.forEach((l, i) => ((l as unknown as { momentum: number }).momentum = momenta[i]!));
  dropouts.forEach((l, i) => (l.rate = rates[i]!));
  calibration.dispose();
  for (const layer of bnLayers) {
    const variance = layer.getWeights()[layer.weights.findIndex((w) => w.originalName.endsWith('moving_variance'))]!.dataSync();
    // A channel nearly constant on the calibration batch would amplify other inputs' deviations without bound.
    const floor = VARIANCE_FLOOR * [...variance].sort((a, b) => a - b)[variance.length >> 1]!;
    setByName(layer, (short, d, i) =>
      short === 'moving_mean'
        ? d[i]! + 0.2 * (rng.next() - 0.5) * Math.sqrt(variance[i]! + 1e-3)
        : short === 'moving_variance'
          ? Math.max(d[i]!, floor) * (0.8 + 0.4 * rng.next())
          : d[i]!,
    );
  }
  return bnLayers.length;
}

/**
 * Replaces the random initialisation of every trainable weight, except batch norm's γ and β, with seeded values of
 * the same scale (He normal over fan-out for convolutions, Glorot normal for dense layers, small biases): tfjs
 * initialisers are unseeded, and parity tolerances should not depend on the draw.
 */
export function seedWeights(model: tf.LayersModel, seed: number): void {
  const rng = new SeededRandom(seed);
  for (const layer of model.layers) {
    if (layer.trainableWeights.length === 0 || layer.getClassName() === 'BatchNormalization') continue;
    const current = layer.getWeights();
    const next = current.map((t, i) => {
      const short = layer.weights[i]!.originalName.split('/').pop()!;
      const shape = t.shape;
      let sd = 0.01; // biases
      if (short === 'kernel' && shape.length === 4) sd = Math.sqrt(2 / (shape[0]! * shape[1]! * shape[3]!));
      else if (short === 'depthwise_kernel') sd = Math.sqrt(2 / (shape[0]! * shape[1]! * shape[3]!));
      else if (short === 'kernel' && shape.length === 2) sd = Math.sqrt(2 / (shape[0]! + shape[1]!));
      const data = Float32Array.from({ length: t.size }, () => rng.normal(0, sd));
      return tf.tensor(data, shape);
    });
    layer.setWeights(next);
    next.forEach((t) => t.dispose());
  }
}

/**
 * Multiplies every trainable weight by (1 + scale·u), u uniform in [−1, 1]: weights no longer at initialisation.
 * Call before `randomiseBatchNorm`, whose calibration should see the final weights.
 */
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
