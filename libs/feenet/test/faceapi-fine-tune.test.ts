/**
 * Fine-tuning the faceapi backbone: the expression net written as plain ops computes face-api's own features;
 * gradients reach its trainable blocks (one step changes them and lowers the loss on a fixed batch) and never
 * touch face-api's loaded weights; a fine-tuned run saves its net, and evaluation and a resumed run reproduce its
 * embeddings.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Experiment, ExpressionFineTuning, ExpressionNet, FACEAPI_FACE_BOX, PAPER_OBJECTIVE, TrainingStopped, buildFeenet, embed, ensureDataset, evaluateExperiment, extractFaceApiFeatures, faceApiExpressionWeights, gatherInputs, loadFaceInputs, mergeConfig, readFaceImages, train, validateConfig, type TrainConfig } from '../src/index';
import { DEFAULT_SYNTHETIC_OPTIONS, type Dataset } from '@feenet/datasets';
import { selectBackend } from '@feenet/tfjs-runtime';
import { featureStatistics } from '../src/training/face-inputs';

const work = mkdtempSync(path.join(tmpdir(), 'feenet-fine-tune-'));
const synthetic = {
  ...DEFAULT_SYNTHETIC_OPTIONS,
  persons: 12,
  facesPerPerson: 6,
  imageSize: 64,
  splitShares: { train: 0.5, validation: 0.25, test: 0.25 },
  triplets: { train: 36, validation: 12, test: 12 },
};

function tinyConfig(overrides: Partial<TrainConfig>): TrainConfig {
  return mergeConfig({
    experimentsDir: path.join(work, 'experiments'),
    dataset: { source: 'synthetic', root: path.join(work, 'tiny'), synthetic },
    backboneTraining: 'fine-tune',
    batchTriplets: 12,
    stepsPerEpoch: 3,
    epochs: 2,
    learningRate: 3e-3,
    backboneLearningRate: 1e-3,
    warmupSteps: 2,
    headDropout: 0,
    logEvery: 3,
    checkpointEvery: 2,
    ...overrides,
  });
}

let dataset: Dataset;

async function values(named: ReadonlyMap<string, tf.Tensor>): Promise<Map<string, Float32Array>> {
  return new Map(await Promise.all([...named].map(async ([k, t]) => [k, (await t.data()) as Float32Array] as const)));
}
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('fine-tuning the faceapi backbone', () => {
  beforeAll(async () => {
    await selectBackend();
    dataset = await ensureDataset(tinyConfig({}));
  });

  it('validates the fine-tune settings', () => {
    expect(() => validateConfig(tinyConfig({}))).not.toThrow();
    expect(() => validateConfig(tinyConfig({ backbone: 'efficientnet-b0' }))).toThrow(/fine-tune applies to the faceapi backbone/);
    expect(() => validateConfig(tinyConfig({ backboneTraining: 'partly' as never }))).toThrow(/backboneTraining must be frozen or fine-tune/);
    expect(() => validateConfig(tinyConfig({ fineTuneBlocks: 5 }))).toThrow(/fineTuneBlocks must be 1, 2, 3 or 4/);
    expect(() => validateConfig(tinyConfig({ backboneLearningRate: 0 }))).toThrow(/backboneLearningRate/);
    expect(() => validateConfig(tinyConfig({ workers: 2 }))).toThrow(/workers must be 1 or "auto" with backboneTraining fine-tune/);
  });

  it("the expression net as plain ops computes face-api's own features", async () => {
    const faces = dataset.faces.slice(0, 6);
    const pixels = await readFaceImages(faces.map((f) => path.resolve(dataset.root, f.file)), 112);
    const images = tf.tidy(() => tf.tensor4d(pixels, [faces.length, 112, 112, 3], 'int32').toFloat()) as tf.Tensor4D;
    const net = ExpressionNet.fromWeights(await faceApiExpressionWeights(), 4);
    const stock = await extractFaceApiFeatures(images);
    const ours = await extractFaceApiFeatures(images, { expressionNet: net });
    expect(maxDiff(ours, stock)).toBeLessThan(1e-4);
    net.dispose();
    images.dispose();
  });

  it('one step changes every trainable backbone weight, lowers the loss on a fixed batch, and leaves face-api alone', async () => {
    const stockBefore = await values(await faceApiExpressionWeights());
    const net = ExpressionNet.fromWeights(await faceApiExpressionWeights(), 2);
    const before = await values(net.named);
    const trainFaces = dataset.faces.filter((f) => f.split === 'train');
    const inputs = await loadFaceInputs(dataset, trainFaces, { backbone: 'faceapi', inputSize: 112 });
    const tuning = await ExpressionFineTuning.prepare(dataset, trainFaces, net, 1e-3, FACEAPI_FACE_BOX);
    const stats = featureStatistics(inputs, trainFaces.map((f) => f.id));
    const head = buildFeenet({ backbone: 'faceapi', featureDim: inputs.shape[0]!, featureMean: stats.mean, featureVariance: stats.variance }, { seed: 1 });
    const headOptimizer = tf.train.adam(1e-3);
    const batch = dataset.triplets.filter((t) => t.split === 'train').slice(0, 12);
    // The same step number: the same face/mirror views, so the two losses are of the same batch.
    const first = tuning.step(head, headOptimizer, inputs, batch, PAPER_OBJECTIVE, 0, 1);
    const second = tuning.step(head, headOptimizer, inputs, batch, PAPER_OBJECTIVE, 0, 1);
    expect(second).toBeLessThan(first);

    const after = await values(net.named);
    const trainable = new Set(net.trainableVariables.map((v) => v.name.replace(/^faceapi_expression_\d+\//, '')));
    expect([...trainable].sort()).toEqual([...before.keys()].filter((k) => /^(dense2|dense3|fc)\//.test(k)).sort());
    for (const [name, was] of before) {
      const changed = maxDiff(after.get(name)!, was) > 0;
      expect(changed, name).toBe(trainable.has(name));
    }
    const stockAfter = await values(await faceApiExpressionWeights());
    for (const [name, was] of stockBefore) expect(maxDiff(stockAfter.get(name)!, was), name).toBe(0);
    tuning.dispose();
    net.dispose();
    head.dispose();
  });

  it('a fine-tuned run saves its expression net: evaluate and a resumed run reproduce its embeddings', async () => {
    const whole = await train(tinyConfig({ runId: 'tuned' }));
    const dir = whole.experiment.dir;
    expect(whole.summary.parameters.trainable).toBeGreaterThan(whole.summary.parameters.head);

    // trainer:evaluate recomputes the features through the saved net (no frozen-block cache) and gets the same accuracy.
    const evaluation = await evaluateExperiment(Experiment.open(dir));
    expect(evaluation.test.accuracy).toBe(whole.summary.test!.accuracy);

    // The stock net's features give other embeddings: the saved weights are the ones used.
    const stockInputs = await loadFaceInputs(dataset, whole.testFaces, { backbone: 'faceapi', inputSize: 112 });
    const x = gatherInputs(stockInputs, whole.testFaces.map((f) => f.id));
    const stockEmbeddings = await embed(whole.model, (await x.data()) as Float32Array, whole.testFaces.length);
    x.dispose();
    expect(maxDiff(stockEmbeddings, whole.testEmbeddings)).toBeGreaterThan(1e-3);

    // Stopped after step 3 (a checkpoint at step 2 and at the epoch end), resumed: the uninterrupted result.
    const config = tinyConfig({ runId: 'tuned-interrupted' });
    const controller = new AbortController();
    await expect(train(config, { signal: controller.signal, onEvent: (e) => e.kind === 'step' && e.step === 3 && controller.abort() })).rejects.toBeInstanceOf(
      TrainingStopped,
    );
    const resumed = await train(config, { resume: Experiment.open(path.join(config.experimentsDir, 'tuned-interrupted')) });
    expect(resumed.summary.steps).toBe(whole.summary.steps);
    expect(maxDiff(resumed.testEmbeddings, whole.testEmbeddings)).toBeLessThan(1e-5);
  });
});
