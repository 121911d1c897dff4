/**
 * FEENet: a backbone, then Dense 512 → Dense 16 → L2 normalisation, giving 16-d expression embeddings.
 * The head, loss, metric and outputs are the same whatever the backbone; backbones are chosen by name.
 */
import * as tf from '@tensorflow/tfjs';
import { FACEAPI_FACE_BOX, faceApiFeatureDim } from '../backbones/faceapi';
import { WHOLE_IMAGE, type FaceRegion } from '../inputs/face-region';
import { ChannelNormalization, L2Normalize } from './custom-layers';
import { efficientNetB0 } from './efficientnet';

export const EMBEDDING_DIM = 16;

/** How a backbone's training treats its weights: `frozen` (features computed once) or `fine-tune` (its top blocks train with the head). */
export const BACKBONE_TRAINING = ['frozen', 'fine-tune'] as const;
export type BackboneTraining = (typeof BACKBONE_TRAINING)[number];

/**
 * What the rest of the code needs to know of a backbone (timm's registry, in small): a new backbone of an
 * existing input kind is one entry here plus its builder in `buildFeenet`.
 */
export interface BackboneEntry {
  readonly description: string;
  /**
   * `image`: the model reads face pixels at the config's inputSize and trains end to end; `features`: a
   * pretrained extractor outside the model computes features once per face (cached beside the dataset) and
   * the model is the head on them.
   */
  readonly input: 'image' | 'features';
  /** The part of a stored face image it reads unless the config says otherwise (`inputRegion`). */
  readonly defaultRegion: FaceRegion;
  /** How its weights may be trained (`backboneTraining`); an image backbone always trains end to end. */
  readonly trainingModes: readonly BackboneTraining[];
  /** Whether data-parallel worker replicas (one core each on wasm/cpu) pay off at this input size. */
  readonly dataParallelFrom: number | null;
}

/** The backbones experiments can compare, by name. */
export const BACKBONES = {
  'efficientnet-b0': {
    description: 'EfficientNet-B0 (the paper): trained end to end on aligned face images',
    input: 'image',
    defaultRegion: WHOLE_IMAGE,
    trainingModes: [],
    // Below 64 px the weights moved between threads each step cost as much as half a batch's compute.
    dataParallelFrom: 64,
  },
  faceapi: {
    description:
      "face-api's landmark-68 and expression feature extractors, pretrained on real faces, frozen: 256 + 256 pooled features computed once per face",
    input: 'features',
    defaultRegion: FACEAPI_FACE_BOX,
    trainingModes: ['frozen', 'fine-tune'],
    // The head's steps take milliseconds: never worth a thread.
    dataParallelFrom: null,
  },
} as const satisfies Record<string, BackboneEntry>;
export type BackboneName = keyof typeof BACKBONES;

export function backboneOf(name: BackboneName): BackboneEntry {
  return BACKBONES[name];
}

export function isBackboneName(name: string): name is BackboneName {
  return Object.hasOwn(BACKBONES, name);
}

/** What a model consumes: aligned images of a given size, or precomputed frozen-backbone features. */
export type ModelSpec =
  | { backbone: 'efficientnet-b0'; inputSize: number; dropConnectRate?: number; batchNormMomentum?: number; zeroInitResidual?: boolean }
  | {
      backbone: 'faceapi';
      featureDim: number;
      /** Training-set statistics; standardising inside the model keeps a saved model self-contained. */
      featureMean: number[];
      featureVariance: number[];
    };

export interface HeadOptions {
  hiddenUnits?: number;
  embeddingDim?: number;
  /** Dropout on the backbone features during training: a frozen backbone's head otherwise memorises faces. */
  dropout?: number;
  /** Seeds every initialiser, backbone included: the same seed builds the same weights. */
  seed?: number;
  /**
   * Batch norm with a fixed scale 1 and offset 0 on the 16-d output before the L2 normalisation (`feenet_embedding_bn`):
   * in training every dimension is centred and scaled over the batch, so the faces of a batch cannot all map to
   * one point — the collapse the triplet loss otherwise rewards (loss 2 × margin) while a from-scratch
   * backbone cannot yet tell faces apart. At inference it is a fixed affine map from the moving statistics.
   * Not in the paper.
   */
  embeddingBatchNorm?: { momentum: number };
}

/** FEENet's head: FC 512 (ReLU) → FC 16 → L2 normalisation, named so checkpoints read plainly. */
function feenetHead(features: tf.SymbolicTensor, options: HeadOptions = {}): tf.SymbolicTensor {
  const { hiddenUnits = 512, embeddingDim = EMBEDDING_DIM, dropout = 0, seed } = options;
  // Offset from the backbone's seeds, which count up from `seed`.
  const headSeed = seed === undefined ? undefined : seed + 100_000;
  let x = features;
  if (dropout > 0) x = tf.layers.dropout({ rate: dropout, name: 'feenet_dropout' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: hiddenUnits, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: headSeed }), name: 'feenet_fc512' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: embeddingDim, kernelInitializer: tf.initializers.glorotNormal({ seed: headSeed === undefined ? undefined : headSeed + 1 }), name: 'feenet_fc16' }).apply(x) as tf.SymbolicTensor;
  if (options.embeddingBatchNorm) {
    // Scale 1 and offset 0, frozen (a learnt offset could bring the collapse back). Not center/scale false:
    // tfjs-layers 4.22 reads gamma and beta in training mode regardless.
    const bn = tf.layers.batchNormalization({ axis: -1, momentum: options.embeddingBatchNorm.momentum, epsilon: 1e-3, trainable: false, name: 'feenet_embedding_bn' });
    x = bn.apply(x) as tf.SymbolicTensor;
  }
  return new L2Normalize({ name: 'feenet_l2norm' }).apply(x) as tf.SymbolicTensor;
}

/** Feature statistics a features backbone's model standardises with (training-set mean and variance per feature). */
export interface FeatureStatistics {
  mean: number[];
  variance: number[];
}

/**
 * The model a backbone builds for a run's settings. `statistics`: a features backbone's training-set feature
 * statistics (without them, identity standardisation: for describing the model, not for training).
 */
export function modelSpecOf(
  backbone: BackboneName,
  settings: { inputSize: number; batchNormMomentum?: number; dropConnectRate?: number; zeroInitResidual?: boolean },
  statistics?: FeatureStatistics,
): ModelSpec {
  switch (backbone) {
    case 'efficientnet-b0':
      return { backbone, inputSize: settings.inputSize, batchNormMomentum: settings.batchNormMomentum, dropConnectRate: settings.dropConnectRate, zeroInitResidual: settings.zeroInitResidual };
    case 'faceapi': {
      const dim = faceApiFeatureDim();
      return { backbone, featureDim: dim, featureMean: statistics?.mean ?? new Array(dim).fill(0), featureVariance: statistics?.variance ?? new Array(dim).fill(1) };
    }
  }
}

export function buildFeenet(spec: ModelSpec, head: HeadOptions = {}): tf.LayersModel {
  switch (spec.backbone) {
    case 'efficientnet-b0': {
      const { input, features } = efficientNetB0({
        inputSize: spec.inputSize,
        dropConnectRate: spec.dropConnectRate ?? 0.2,
        batchNormMomentum: spec.batchNormMomentum ?? 0.99,
        seed: head.seed,
        zeroInitResidual: spec.zeroInitResidual ?? false,
      });
      return tf.model({ inputs: input, outputs: feenetHead(features, head), name: 'feenet_efficientnet_b0' });
    }
    case 'faceapi': {
      if (spec.featureMean.length !== spec.featureDim || spec.featureVariance.length !== spec.featureDim) {
        throw new Error(`feature statistics must have ${spec.featureDim} entries`);
      }
      const input = tf.input({ shape: [spec.featureDim], name: 'input_features' });
      const standardised = new ChannelNormalization({
        name: 'feature_standardization',
        mean: spec.featureMean,
        variance: spec.featureVariance,
      }).apply(input) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: feenetHead(standardised, head), name: 'feenet_faceapi' });
    }
  }
}

export interface ParameterCount {
  total: number;
  trainable: number;
  backbone: number;
  head: number;
}

const HEAD_LAYERS = new Set(['feenet_dropout', 'feenet_fc512', 'feenet_fc16', 'feenet_l2norm']);

export function countParameters(model: tf.LayersModel): ParameterCount {
  let head = 0;
  let backbone = 0;
  for (const layer of model.layers) {
    const n = layer.countParams();
    if (HEAD_LAYERS.has(layer.name)) head += n;
    else backbone += n;
  }
  const trainable = model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
  return { total: head + backbone, trainable, backbone, head };
}

/** A layer-by-layer listing like Keras' `model.summary()`, plus the parameter split. */
export function describeModel(model: tf.LayersModel): string {
  const rows = model.layers.map((layer) => {
    const shape = JSON.stringify(layer.outputShape).replaceAll('null', 'None');
    return `${layer.name.padEnd(28)} ${layer.getClassName().padEnd(22)} ${shape.padEnd(22)} ${layer.countParams().toLocaleString('en-US').padStart(10)}`;
  });
  const count = countParameters(model);
  const m = (n: number) => `${(n / 1e6).toFixed(3)} M`;
  return [
    `${'layer'.padEnd(28)} ${'type'.padEnd(22)} ${'output'.padEnd(22)} ${'params'.padStart(10)}`,
    ...rows,
    '',
    `parameters: ${count.total.toLocaleString('en-US')} (${m(count.total)}): backbone ${m(count.backbone)}, head ${m(count.head)}; trainable ${count.trainable.toLocaleString('en-US')}`,
  ].join('\n');
}

export interface WeightLoadReport {
  loadedLayers: string[];
  shapeMismatches: string[];
  /** Layers of ours with weights that the source did not have (e.g. the FEENet head for ImageNet weights). */
  missingLayers: string[];
}

/**
 * Copies weights layer by layer, matching names, from a source model (e.g. Keras EfficientNetB0 ImageNet
 * weights converted with tensorflowjs_converter). Unmatched layers keep their initialisation.
 */
export function loadWeightsByName(target: tf.LayersModel, source: tf.LayersModel): WeightLoadReport {
  const report: WeightLoadReport = { loadedLayers: [], shapeMismatches: [], missingLayers: [] };
  const sourceLayers = new Map(source.layers.map((l) => [l.name, l]));
  for (const layer of target.layers) {
    if (layer.weights.length === 0) continue;
    const from = sourceLayers.get(layer.name);
    if (!from || from.weights.length !== layer.weights.length) {
      report.missingLayers.push(layer.name);
      continue;
    }
    const values = from.getWeights();
    const fits = values.every((v, i) => tf.util.arraysEqual(v.shape, layer.weights[i]!.shape as number[]));
    if (!fits) {
      report.shapeMismatches.push(layer.name);
      continue;
    }
    layer.setWeights(values);
    report.loadedLayers.push(layer.name);
  }
  return report;
}
