/**
 * The training loop: data → model → Adam over batches of triplets → evaluate every epoch → test at the end.
 * Checkpoints every `checkpointEvery` steps, at every epoch end and on a clean stop, so `resume` loses nothing.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, selectBackend, type BackendReport } from '@feenet/tfjs-runtime';
import { datasetExists, readDataset, type Dataset, generateSyntheticDataset, syntheticSettings, ensureFolderDataset, type FaceRecord, type Split, type Triplet, SeededRandom } from '@feenet/datasets';
import { faceApiExpressionWeights } from '../backbones/faceapi';
import { ExpressionNet } from '../backbones/faceapi-expression-net';
import { embed } from '../model/embed';
import { backboneOf, buildFeenet, countParameters, loadWeightsByName, modelSpecOf } from '../model/feenet';
import { loadLayersModel } from '../model/persistence';
import { inputRegionOf, resolveWorkers, validateConfig, type TrainConfig } from './config';
import { ReplicaPool } from './data-parallel';
import type { FaceLabels, TripletObjective } from './triplet-loss';
import { fineTuneSteps, inThreadSteps, replicaSteps, type StepRunner } from './step-runner';
import { Experiment, type EvalMetric, type LoopState, type RunSummary } from './experiment';
import { featureStatistics, gatherInputs, loadFaceInputs, type FaceInputs } from './face-inputs';
import { ExpressionFineTuning } from './fine-tune';
import { embeddingSpread, tripletAccuracy } from './triplet-accuracy';

/** Below this mean pairwise distance (unit vectors: random ones sit near 1.4) the embedding has collapsed. */
export const COLLAPSE_SPREAD = 0.05;

export type TrainEvent =
  | { kind: 'status'; message: string }
  | { kind: 'loading'; stage: string; done: number; total: number }
  | { kind: 'step'; step: number; totalSteps: number; epoch: number; loss: number; tripletsPerSecond: number; etaSeconds: number }
  | { kind: 'eval'; metric: EvalMetric; collapsed: boolean }
  | { kind: 'checkpoint'; step: number };

export interface TrainOptions {
  /** Continue this experiment from its last checkpoint instead of starting a new one. */
  resume?: Experiment;
  onEvent?: (event: TrainEvent) => void;
  /** Checked between steps: when aborted, the run checkpoints and stops cleanly (e.g. on Ctrl-C). */
  signal?: AbortSignal;
}

export interface TrainResult {
  experiment: Experiment;
  summary: RunSummary;
  model: tf.LayersModel;
  testFaces: FaceRecord[];
  testEmbeddings: Float32Array;
}

export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}
export class TrainingStopped extends Error {
  override name = 'TrainingStopped';
}

/** Linear warm-up, then cosine decay to the floor at the last step. */
export function learningRateAt(step: number, totalSteps: number, c: Pick<TrainConfig, 'learningRate' | 'minLearningRate' | 'warmupSteps'>): number {
  if (step < c.warmupSteps) return (c.learningRate * (step + 1)) / c.warmupSteps;
  const progress = Math.min(1, (step - c.warmupSteps) / Math.max(1, totalSteps - c.warmupSteps));
  return c.minLearningRate + 0.5 * (c.learningRate - c.minLearningRate) * (1 + Math.cos(Math.PI * progress));
}

/** The dataset a config names, generating the embedded synthetic one when it is missing or made differently. */
export async function ensureDataset(config: TrainConfig, onEvent?: (e: TrainEvent) => void): Promise<Dataset> {
  const { dataset } = config;
  if (dataset.source === 'synthetic') {
    const wanted = JSON.stringify(syntheticSettings(dataset.synthetic));
    const current = datasetExists(dataset.root) ? readDataset(dataset.root) : undefined;
    if (current && JSON.stringify(current.info.settings) === wanted) return current;
    onEvent?.({ kind: 'status', message: `generating the synthetic dataset in ${dataset.root} (seed ${dataset.synthetic.seed})` });
    const { discarded } = await generateSyntheticDataset(dataset.root, dataset.synthetic, (p) =>
      onEvent?.({ kind: 'loading', stage: `synthetic ${p.stage}`, done: p.done, total: p.total }),
    );
    onEvent?.({ kind: 'status', message: `raters disagreed on (and discarded) ${discarded.train + discarded.validation + discarded.test} drawn triplets` });
    return readDataset(dataset.root);
  }
  if (dataset.source === 'folder') return ensureFolderDataset(dataset.out, { ...dataset.folder, root: dataset.root }, onEvent);
  if (dataset.source === 'fec' && !datasetExists(dataset.root)) {
    throw new Error(`no prepared FEC dataset at ${dataset.root}: run "nx run trainer:prepare --source fec --csv <train csv> --out ${dataset.root}" first`);
  }
  if (!datasetExists(dataset.root)) {
    throw new Error(`no prepared dataset at ${dataset.root}: build one with "nx run trainer:prepare" first`);
  }
  return readDataset(dataset.root);
}

function tripletsOf(dataset: Dataset, split: Split, minAgreement: number): Triplet[] {
  return dataset.triplets.filter((t) => t.split === split && t.agreement >= minAgreement - 1e-9);
}

function facesOf(triplets: readonly Triplet[]): string[] {
  return [...new Set(triplets.flatMap((t) => [t.anchor, t.positive, t.negative]))];
}

/** Each training face's class index, for the label term: every face a training triplet names must be labelled. */
function faceLabels(faces: readonly FaceRecord[], train: readonly Triplet[]): FaceLabels {
  const classes = [...new Set(faces.flatMap((f) => (f.label ? [f.label] : [])))].sort();
  const labelOf = new Map(faces.flatMap((f) => (f.label ? [[f.id, classes.indexOf(f.label)] as const] : [])));
  const unlabelled = facesOf(train).filter((id) => !labelOf.has(id));
  if (unlabelled.length) throw new Error(`labelContrast needs labelled faces, but ${unlabelled.length} training faces have no label (e.g. ${unlabelled[0]}): set labelContrast to 0 for this dataset`);
  return labelOf;
}

async function evaluate(
  model: tf.LayersModel,
  inputs: FaceInputs,
  triplets: readonly Triplet[],
  split: 'validation' | 'test',
  state: LoopState,
): Promise<{ metric: EvalMetric; embeddings: Float32Array; ids: string[] }> {
  const ids = facesOf(triplets);
  const x = gatherInputs(inputs, ids);
  const values = (await x.data()) as Float32Array;
  x.dispose();
  const embeddings = await embed(model, values, ids.length);
  const row = new Map(ids.map((id, i) => [id, i]));
  const acc = tripletAccuracy(embeddings, 16, triplets, (id) => row.get(id)!);
  const metric: EvalMetric = {
    kind: 'eval',
    split,
    step: state.step,
    epoch: state.epoch,
    accuracy: acc.overall,
    byType: acc.byType,
    triplets: acc.count,
    spread: embeddingSpread(embeddings, 16),
  };
  return { metric, embeddings, ids };
}

export async function train(configIn: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const config = validateConfig(options.resume ? options.resume.readConfig() : configIn);
  const backend: BackendReport = await selectBackend();
  emit({ kind: 'status', message: describeBackend(backend) });

  // 1. Data: faces, triplets per split, and each face's model input (cached features or images).
  const dataset = await ensureDataset(config, emit);
  const splits = {
    train: tripletsOf(dataset, 'train', config.minAgreement),
    validation: tripletsOf(dataset, 'validation', config.minAgreement),
    test: tripletsOf(dataset, 'test', config.minAgreement),
  };
  if (splits.train.length === 0) throw new Error(`dataset ${dataset.root} has no training triplets with agreement ≥ ${config.minAgreement}`);
  emit({ kind: 'status', message: `dataset ${dataset.info.name}: ${dataset.faces.length} faces; triplets train ${splits.train.length}, validation ${splits.validation.length}, test ${splits.test.length}` });
  const neededIds = new Set([...facesOf(splits.train), ...facesOf(splits.validation), ...dataset.faces.filter((f) => f.split === 'test').map((f) => f.id)]);
  const faces = dataset.faces.filter((f) => neededIds.has(f.id));
  const inputs = await loadFaceInputs(dataset, faces, config, (stage, done, total) => emit({ kind: 'loading', stage, done, total }));

  // 2. Model and optimizer: fresh, or both restored from the last checkpoint.
  const optimizer = tf.train.adam(config.learningRate);
  let model: tf.LayersModel;
  let state: LoopState;
  let experiment: Experiment;
  if (options.resume) {
    experiment = options.resume;
    if (!experiment.hasCheckpoint()) throw new Error(`${experiment.dir} has no checkpoint to resume from`);
    ({ model, state } = await experiment.loadCheckpoint(optimizer));
    experiment.truncateMetricsAfter(state.step);
    emit({ kind: 'status', message: `resuming ${experiment.runId} at step ${state.step} (epoch ${state.epoch + 1})` });
  } else {
    const statistics = backboneOf(config.backbone).input === 'features' ? featureStatistics(inputs, facesOf(splits.train)) : undefined;
    const spec = modelSpecOf(config.backbone, config, statistics);
    model = buildFeenet(spec, { dropout: config.headDropout, seed: config.seed, embeddingBatchNorm: config.embeddingBatchNorm ? { momentum: config.batchNormMomentum } : undefined });
    if (config.initWeights) {
      const report = loadWeightsByName(model, await loadLayersModel(config.initWeights));
      emit({ kind: 'status', message: `init weights: ${report.loadedLayers.length} layers loaded, ${report.missingLayers.length} kept their initialisation, ${report.shapeMismatches.length} shape mismatches` });
    }
    experiment = await Experiment.create(config.experimentsDir, config);
    state = { step: 0, epoch: 0, stepInEpoch: 0, tripletsSeen: 0, trainSeconds: 0, wallSeconds: 0 };
  }
  const wallBefore = state.wallSeconds;
  const wallNow = () => wallBefore + (performance.now() - started) / 1000;
  // Fine-tuning: the expression net's top blocks train too, from face-api's weights or the checkpoint's.
  const tuning = config.backboneTraining === 'fine-tune' ? await startFineTuning(config, dataset, faces, options.resume, emit) : undefined;
  const params = countParameters(model);
  if (tuning) {
    // The expression net is saved with the run: it counts as backbone, its top blocks and output layer as trainable.
    const net = tuning.net.parameterCount;
    Object.assign(params, { total: params.total + net.total, backbone: params.backbone + net.total, trainable: params.trainable + net.trainable });
  }
  emit({ kind: 'status', message: `model: ${config.backbone}${tuning ? ` (expression net's top ${config.fineTuneBlocks} block(s) fine-tuned)` : ''}, ${params.total.toLocaleString('en-US')} parameters (${params.trainable.toLocaleString('en-US')} trainable) → run ${experiment.dir}` });
  /** What evaluation feeds the head: cached features, or features through the expression net as it is now. */
  const inputsNow = async (ids: readonly string[]) => (tuning ? tuning.currentInputs(inputs, ids) : inputs);

  // 3. The loop. Steps run in this thread, or data-parallel over worker replicas (wasm: one core per instance).
  const objective: TripletObjective = { margin: config.margin, batchNegatives: config.batchNegatives, labelContrast: config.labelContrast };
  const labelOf = config.labelContrast > 0 ? faceLabels(faces, splits.train) : undefined;
  const workers = resolveWorkers(config, backend.name);
  const context = { model, optimizer, inputs, objective, ...(labelOf ? { labelOf } : {}) };
  const runner: StepRunner = tuning
    ? fineTuneSteps(context, tuning, config.seed, config.backboneLearningRate / config.learningRate)
    : workers > 1
      ? replicaSteps(context, await ReplicaPool.start(model, { workers, backend: backend.name, objective }))
      : inThreadSteps(context);
  emit({ kind: 'status', message: `training steps: ${runner.description}` });
  const stepsPerEpoch = config.stepsPerEpoch ?? Math.ceil(splits.train.length / config.batchTriplets);
  const totalSteps = stepsPerEpoch * config.epochs;
  let lastValidation: EvalMetric | null = null;
  let collapsed = false;
  let lastCheckpointStep: number | null = options.resume ? state.step : null;
  const checkpoint = async (at: LoopState = state) => {
    await experiment.saveCheckpoint(model, optimizer, { ...at, wallSeconds: wallNow() }, tuning && { weights: tuning.net.named, optimizer: tuning.optimizer });
    lastCheckpointStep = at.step;
    emit({ kind: 'checkpoint', step: at.step });
  };
  let windowStart = performance.now();
  let windowTriplets = 0;
  try {
    for (; state.epoch < config.epochs; state.epoch++, state.stepInEpoch = 0) {
      // The epoch's order depends only on (seed, epoch): a resumed run sees the same batches.
      const order = new SeededRandom(config.seed * 7919 + state.epoch).shuffle([...splits.train.keys()]);
      for (; state.stepInEpoch < stepsPerEpoch; ) {
        if (options.signal?.aborted) {
          await checkpoint();
          throw new TrainingStopped(`stopped at step ${state.step}; continue with --resume ${experiment.runId}`);
        }
        const from = (state.stepInEpoch * config.batchTriplets) % order.length;
        const batch = Array.from({ length: config.batchTriplets }, (_, i) => splits.train[order[(from + i) % order.length]!]!);
        const t0 = performance.now();
        const loss = await runner.step(batch, state.step, learningRateAt(state.step, totalSteps, config));
        if (!Number.isFinite(loss)) {
          throw new NonFiniteLossError(
            lastCheckpointStep === null
              ? `loss became ${loss} at step ${state.step + 1}, before any checkpoint: lower --learning-rate and start again`
              : `loss became ${loss} at step ${state.step + 1}; the last good checkpoint (step ${lastCheckpointStep}) is kept: lower --learning-rate and --resume ${experiment.runId}`,
          );
        }
        state.trainSeconds += (performance.now() - t0) / 1000;
        state.step++;
        state.stepInEpoch++;
        state.tripletsSeen += batch.length;
        windowTriplets += batch.length;
        if (state.step % config.logEvery === 0 || state.step === totalSteps) {
          const seconds = (performance.now() - windowStart) / 1000;
          const rate = windowTriplets / Math.max(seconds, 1e-9);
          await experiment.appendMetric({ kind: 'step', step: state.step, epoch: state.epoch, loss, learningRate: learningRateAt(state.step - 1, totalSteps, config), tripletsPerSecond: rate, elapsedSeconds: wallNow() });
          emit({ kind: 'step', step: state.step, totalSteps, epoch: state.epoch, loss, tripletsPerSecond: rate, etaSeconds: ((totalSteps - state.step) * config.batchTriplets) / rate });
          windowStart = performance.now();
          windowTriplets = 0;
        }
        if (state.step % config.checkpointEvery === 0) await checkpoint();
      }
      const evalTriplets = splits.validation.length ? splits.validation : splits.train;
      const { metric } = await evaluate(model, await inputsNow(facesOf(evalTriplets)), evalTriplets, 'validation', state);
      lastValidation = metric;
      collapsed = metric.spread < COLLAPSE_SPREAD;
      await experiment.appendMetric(metric);
      emit({ kind: 'eval', metric, collapsed });
      // Checkpoint as the start of the next epoch, so a resume never repeats this evaluation.
      await checkpoint({ ...state, epoch: state.epoch + 1, stepInEpoch: 0 });
    }

  } finally {
    await runner.dispose();
  }

  // 4. Test, and everything the workbench reads.
  const testTriplets = splits.test.length ? splits.test : splits.validation;
  const test = await evaluate(model, await inputsNow(facesOf(testTriplets)), testTriplets, 'test', state);
  await experiment.appendMetric(test.metric);
  collapsed = test.metric.spread < COLLAPSE_SPREAD;
  await experiment.saveModel(model, tuning && { weights: tuning.net.named });
  const testFaces = faces.filter((f) => f.split === 'test');
  const testInputs = gatherInputs(await inputsNow(testFaces.map((f) => f.id)), testFaces.map((f) => f.id));
  const testEmbeddings = await embed(model, (await testInputs.data()) as Float32Array, testFaces.length);
  testInputs.dispose();
  const strip = (m: EvalMetric | null) => (m ? { accuracy: m.accuracy, byType: m.byType, triplets: m.triplets, spread: m.spread } : null);
  const summary: RunSummary = {
    runId: experiment.runId,
    status: 'completed',
    dataset: { name: dataset.info.name, source: dataset.info.source, root: path.resolve(dataset.root), faces: dataset.info.faces, triplets: { train: splits.train.length, validation: splits.validation.length, test: splits.test.length } },
    backbone: config.backbone,
    backend: backend.description,
    workers,
    parameters: params,
    inputSize: backboneOf(config.backbone).input === 'image' ? config.inputSize : null,
    tripletsSeen: state.tripletsSeen,
    steps: state.step,
    wallSeconds: wallNow(),
    trainSeconds: state.trainSeconds,
    tripletsPerSecond: state.tripletsSeen / Math.max(state.trainSeconds, 1e-9),
    validation: strip(lastValidation),
    test: strip(test.metric),
    collapsed,
    finishedAt: new Date().toISOString(),
  };
  await experiment.writeSummary(summary);
  tuning?.dispose();
  return { experiment, summary, model, testFaces, testEmbeddings };
}

/** The expression net to fine-tune (face-api's weights, or a resumed run's with its optimizer), its frozen blocks run once per face. */
async function startFineTuning(config: TrainConfig, dataset: Dataset, faces: readonly FaceRecord[], resumeFrom: Experiment | undefined, emit: (e: TrainEvent) => void): Promise<ExpressionFineTuning> {
  const saved = resumeFrom ? await resumeFrom.loadCheckpointBackbone() : undefined;
  const weights = saved?.weights ?? (await faceApiExpressionWeights());
  const net = ExpressionNet.fromWeights(weights, config.fineTuneBlocks);
  if (saved) tf.dispose([...saved.weights.values()]);
  const tuning = await ExpressionFineTuning.prepare(dataset, faces, net, config.backboneLearningRate, inputRegionOf(config), (stage, done, total) => emit({ kind: 'loading', stage, done, total }));
  if (saved) await tuning.optimizer.setWeights(saved.optimizerWeights);
  return tuning;
}

export interface RunEvaluation {
  summary: RunSummary | null;
  test: EvalMetric;
}

/** Recomputes a finished run's test accuracy from its saved model, as `trainer:evaluate` does. */
export async function evaluateExperiment(experiment: Experiment, onEvent?: (e: TrainEvent) => void): Promise<RunEvaluation> {
  const config = validateConfig(experiment.readConfig());
  const backend = await selectBackend();
  onEvent?.({ kind: 'status', message: describeBackend(backend) });
  const dataset = await ensureDataset(config, onEvent);
  const summary = experiment.readSummary();
  let testTriplets = tripletsOf(dataset, 'test', config.minAgreement);
  if (testTriplets.length === 0) testTriplets = tripletsOf(dataset, 'validation', config.minAgreement);
  const ids = new Set(facesOf(testTriplets));
  const faces = dataset.faces.filter((f) => ids.has(f.id));
  const net = config.backboneTraining === 'fine-tune' ? await experiment.loadExpressionNet() : undefined;
  const inputs = await loadFaceInputs(dataset, faces, config, (stage, done, total) => onEvent?.({ kind: 'loading', stage, done, total }), net);
  net?.dispose();
  const model = await experiment.loadModel();
  const state = { step: summary?.steps ?? 0, epoch: config.epochs, stepInEpoch: 0, tripletsSeen: 0, trainSeconds: 0, wallSeconds: 0 };
  const { metric } = await evaluate(model, inputs, testTriplets, 'test', state);
  model.dispose();
  return { summary, test: metric };
}
