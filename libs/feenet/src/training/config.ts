/**
 * Everything a training run depends on, in one typed object: defaults here, then `--config <json>`, then
 * flags. `config.json` in the experiment folder is exactly this object.
 */
import { availableParallelism } from 'node:os';
import type { BackendName } from '@feenet/tfjs-runtime';
import { isBackboneName, type BackboneName } from '../model/feenet';
import { FACEAPI_FACE_BOX } from '../backbones/faceapi';
import { ALIGNED_INNER_FACE, faceRegionProblem, WHOLE_IMAGE, type FaceRegion } from '../inputs/face-region';
import { DEFAULT_SYNTHETIC_OPTIONS, type SyntheticOptions } from '@feenet/datasets';
import { DEFAULT_FOLDER_OPTIONS, validateFolderOptions, type FolderSourceOptions } from '@feenet/datasets';

export type DatasetConfig =
  /** Generated on demand under `root` when missing (the embedded default). */
  | { source: 'synthetic'; root: string; synthetic: SyntheticOptions }
  /** Any dataset already in the shared format (prepared FEC, labelled folders). */
  | { source: 'prepared'; root: string }
  /** FEC as prepared by `trainer:prepare --source fec` under `root` (train CSV → train + validation, test CSV → test). */
  | { source: 'fec'; root: string }
  /** A labelled folder (`root`), prepared once into `out` and reused while `folder` (the settings) is unchanged. */
  | { source: 'folder'; root: string; out: string; folder: Omit<FolderSourceOptions, 'root'> };

export const BACKBONE_TRAINING = ['frozen', 'fine-tune'] as const;
export type BackboneTraining = (typeof BACKBONE_TRAINING)[number];

export interface TrainConfig {
  /** Folder name under `experimentsDir`; default: a timestamp plus the backbone. */
  runId: string;
  experimentsDir: string;
  dataset: DatasetConfig;
  backbone: BackboneName;
  /** Side of the face images fed to an image backbone (EfficientNet-B0: 224 in the paper). */
  inputSize: number;
  /** A tfjs layers model.json (e.g. Keras ImageNet B0 converted) whose weights load by layer name. */
  initWeights: string | null;
  /**
   * The pretrained `faceapi` backbone: `frozen` (features cached once, only the head trains) or `fine-tune`
   * (the top `fineTuneBlocks` blocks of its expression net and that net's output layer train with the head;
   * `training/fine-tune.ts`). efficientnet-b0 always trains end to end.
   */
  backboneTraining: BackboneTraining;
  /**
   * The part of each stored face image the backbone reads, [top, left, bottom, right] fractions; null: the
   * backbone's own (`inputRegionOf`): face-api's nets read `ALIGNED_FACE_BOX`, the box their detector gives, and
   * EfficientNet-B0 the whole aligned crop, as in the paper. Faces already cropped tightly (FER2013's, prepared
   * `--aligned --pad 0`) are best read whole (`WHOLE_IMAGE`); a small B0 input gains from the face box (README).
   * Evaluation, the feature cache and the run's embedder all read the same region.
   */
  inputRegion: FaceRegion | null;
  /** Fine-tune: how many of the expression net's four dense blocks train, counted from the top. */
  fineTuneBlocks: number;
  /** Fine-tune: the backbone's peak learning rate (the head's schedule, scaled): lower, so pretrained weights move a little. */
  backboneLearningRate: number;
  /** Moving-average momentum of batch norm in image backbones (Keras: 0.99). */
  batchNormMomentum: number;
  /** Dropout on the backbone features in training (before FC 512). */
  headDropout: number;
  /**
   * EfficientNet-B0's stochastic depth (Keras' drop_connect_rate, 0.2): the largest share of samples whose
   * residual branch is dropped in training, growing linearly with block index. 0 builds no drop layers.
   */
  dropConnectRate: number;
  /** EfficientNet-B0 from random initialisation: each residual block starts as the identity (`EfficientNetOptions`). */
  zeroInitResidual: boolean;
  /**
   * Batch norm (scale 1 and offset 0, frozen; momentum `batchNormMomentum`) on the 16-d output before the L2
   * normalisation: a batch cannot collapse to one point in training (see `HeadOptions.embeddingBatchNorm`).
   * Not in the paper; what stopped B0's collapse from random initialisation here (README).
   */
  embeddingBatchNorm: boolean;
  /** Triplets per step; each step embeds 3 × this many faces in one batch. */
  batchTriplets: number;
  epochs: number;
  /** Steps per epoch; null = one pass over the training triplets. */
  stepsPerEpoch: number | null;
  learningRate: number;
  /** Linear warm-up steps, then cosine decay to `minLearningRate` at the last step. */
  warmupSteps: number;
  minLearningRate: number;
  margin: number;
  /**
   * Weight of the in-batch semi-hard negatives' term (`batchNegativeLoss`) added to the triplet loss; 0 trains on
   * the rated triplets alone, as the paper. What makes B0 from random initialisation learn on a CPU budget.
   */
  batchNegatives: number;
  /**
   * Weight of the supervised contrastive loss over each batch's class labels (`labelContrastLoss`), next to the
   * triplet loss; 0 ignores labels. Needs a dataset whose training faces are all labelled (labelled folders such
   * as FER2013).
   */
  labelContrast: number;
  /** Only triplets whose rater agreement reaches this share are used (the paper keeps ≥ 2/3). */
  minAgreement: number;
  logEvery: number;
  checkpointEvery: number;
  seed: number;
  /**
   * Worker threads for data-parallel steps, each a model replica computing the gradients of a share of the
   * batch (`training/data-parallel.ts`); 1 runs steps in the training thread. `auto`: 2 for efficientnet-b0 at
   * 64 px or more on wasm or cpu (one core per backend instance) when 2 cores are available, else 1. Each step
   * moves the 4 M weights and gradients between threads (~0.2 s of CPU): at 32 px that is as much as the half
   * batch's compute saves, at 112 px a twentieth of it. The faceapi head's steps take milliseconds, and
   * tfjs-node uses every core itself.
   */
  workers: number | 'auto';
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  runId: '',
  experimentsDir: 'experiments',
  dataset: { source: 'synthetic', root: 'data/synthetic', synthetic: DEFAULT_SYNTHETIC_OPTIONS },
  backbone: 'faceapi',
  inputSize: 112,
  initWeights: null,
  backboneTraining: 'frozen',
  inputRegion: null,
  fineTuneBlocks: 1,
  backboneLearningRate: 1e-4,
  batchNormMomentum: 0.99,
  headDropout: 0.5,
  dropConnectRate: 0.2,
  zeroInitResidual: false,
  embeddingBatchNorm: false,
  batchTriplets: 64,
  epochs: 6,
  stepsPerEpoch: null,
  learningRate: 1e-3,
  warmupSteps: 100,
  minLearningRate: 1e-5,
  margin: 0.2,
  batchNegatives: 0,
  labelContrast: 0,
  minAgreement: 2 / 3,
  logEvery: 25,
  checkpointEvery: 200,
  seed: 1,
  workers: 'auto',
};

/**
 * Presets name whole configurations. `paper`: FEENet as published, EfficientNet-B0 at 224 px on FEC; meant
 * for a GPU through tfjs-node-gpu (B0 from scratch collapses on a CPU budget: see the README).
 */
export const PRESETS: Record<string, Partial<TrainConfig>> = {
  default: {},
  paper: {
    backbone: 'efficientnet-b0',
    inputSize: 224,
    dataset: { source: 'prepared', root: 'data/fec' },
    headDropout: 0,
    batchTriplets: 30,
    epochs: 50,
    learningRate: 5e-4,
    warmupSteps: 1000,
    checkpointEvery: 500,
  },
  /**
   * B0 from random initialisation on a 2-core CPU (the measured runs are in docs/results.md): the
   * inner face at 64 px (the pixels go where the expression is), in-batch semi-hard negatives (many more
   * comparisons per forward pass), residual blocks starting as the identity, the embedding batch norm against
   * collapse, no stochastic depth or head dropout, faster-moving batch-norm statistics, a peak learning rate of
   * 1e-2, 32 triplets per step, 1,410 steps (45,120 triplets: 80.4 % test in 55 min here at 14.1 triplets/s with
   * 2 workers).
   */
  'b0-cpu': {
    backbone: 'efficientnet-b0',
    inputSize: 64,
    inputRegion: ALIGNED_INNER_FACE,
    batchNegatives: 1,
    zeroInitResidual: true,
    embeddingBatchNorm: true,
    dropConnectRate: 0,
    headDropout: 0,
    batchNormMomentum: 0.9,
    learningRate: 1e-2,
    warmupSteps: 50,
    batchTriplets: 32,
    stepsPerEpoch: 94,
    epochs: 15,
    checkpointEvery: 100,
  },
  /**
   * The real-face model shipped in models/: the frozen face-api backbone and the FEENet head on FER2013's 48 px
   * faces, read whole (they are tight crops), two-class triplets from the labels, in-batch negatives, 12 epochs
   * (the best validation accuracy of the variants in docs/results.md). `--root` names the FER2013
   * folder (`<split>/<label>/<image>`); the default is the shared research copy beside the repository. `out` is
   * left empty: the trainer names the prepared folder after the root and settings.
   */
  fer2013: {
    dataset: { source: 'folder', root: '../shared/data/fer2013', out: '', folder: { ...DEFAULT_FOLDER_OPTIONS, aligned: true, pad: 0 } },
    inputRegion: WHOLE_IMAGE,
    batchNegatives: 1,
    epochs: 12,
  },
};

export class ConfigError extends Error {
  override name = 'UsageError';
}

/** Merges layers left to right (nested `dataset` objects are replaced whole, not merged). */
export function mergeConfig(...layers: Partial<TrainConfig>[]): TrainConfig {
  return Object.assign({}, DEFAULT_TRAIN_CONFIG, ...layers) as TrainConfig;
}

/** Checks every field and names the first problem plainly. */
export function validateConfig(c: TrainConfig): TrainConfig {
  const fail = (msg: string): never => {
    throw new ConfigError(`invalid config: ${msg}`);
  };
  const known = new Set(Object.keys(DEFAULT_TRAIN_CONFIG));
  for (const key of Object.keys(c)) if (!known.has(key)) fail(`unknown field "${key}" (known: ${[...known].join(', ')})`);
  if (!isBackboneName(c.backbone)) fail(`backbone "${String(c.backbone)}" is not one of efficientnet-b0, faceapi`);
  const positiveInt = (name: keyof TrainConfig, v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  positiveInt('inputSize', c.inputSize);
  if (c.inputSize < 32) fail(`inputSize must be at least 32 (got ${c.inputSize})`);
  positiveInt('batchTriplets', c.batchTriplets);
  positiveInt('epochs', c.epochs);
  if (c.stepsPerEpoch !== null) positiveInt('stepsPerEpoch', c.stepsPerEpoch);
  positiveInt('logEvery', c.logEvery);
  positiveInt('checkpointEvery', c.checkpointEvery);
  if (!(c.learningRate > 0 && c.learningRate < 1)) fail(`learningRate must be in (0, 1), got ${c.learningRate}`);
  if (!(c.minLearningRate >= 0 && c.minLearningRate <= c.learningRate)) fail('minLearningRate must be in [0, learningRate]');
  if (!(Number.isInteger(c.warmupSteps) && c.warmupSteps >= 0)) fail('warmupSteps must be a non-negative integer');
  if (!(c.batchNormMomentum >= 0 && c.batchNormMomentum < 1)) fail(`batchNormMomentum must be in [0, 1), got ${c.batchNormMomentum}`);
  if (!(c.headDropout >= 0 && c.headDropout < 1)) fail(`headDropout must be in [0, 1), got ${c.headDropout}`);
  if (typeof c.embeddingBatchNorm !== 'boolean') fail(`embeddingBatchNorm must be true or false, got ${JSON.stringify(c.embeddingBatchNorm)}`);
  if (typeof c.zeroInitResidual !== 'boolean') fail(`zeroInitResidual must be true or false, got ${JSON.stringify(c.zeroInitResidual)}`);
  if (!(c.dropConnectRate >= 0 && c.dropConnectRate < 1)) fail(`dropConnectRate must be in [0, 1), got ${c.dropConnectRate}`);
  if (!(c.margin > 0 && c.margin <= 2)) fail(`margin must be in (0, 2], got ${c.margin}`);
  if (!(c.batchNegatives >= 0 && c.batchNegatives <= 10)) fail(`batchNegatives must be in [0, 10], got ${c.batchNegatives}`);
  if (!(c.labelContrast >= 0 && c.labelContrast <= 10)) fail(`labelContrast must be in [0, 10], got ${c.labelContrast}`);
  if (!(c.minAgreement > 0 && c.minAgreement <= 1)) fail(`minAgreement must be in (0, 1], got ${c.minAgreement}`);
  if (!Number.isInteger(c.seed)) fail('seed must be an integer');
  if (!BACKBONE_TRAINING.includes(c.backboneTraining)) fail(`backboneTraining must be frozen or fine-tune, got ${JSON.stringify(c.backboneTraining)}`);
  if (c.backboneTraining === 'fine-tune' && c.backbone !== 'faceapi') fail(`backboneTraining fine-tune applies to the faceapi backbone (${c.backbone} always trains end to end)`);
  if (!(Number.isInteger(c.fineTuneBlocks) && c.fineTuneBlocks >= 1 && c.fineTuneBlocks <= 4)) fail(`fineTuneBlocks must be 1, 2, 3 or 4, got ${JSON.stringify(c.fineTuneBlocks)}`);
  const regionProblem = c.inputRegion === null ? null : faceRegionProblem(c.inputRegion);
  if (regionProblem) fail(`inputRegion: ${regionProblem}`);
  if (!(c.backboneLearningRate > 0 && c.backboneLearningRate < 1)) fail(`backboneLearningRate must be in (0, 1), got ${c.backboneLearningRate}`);
  // Fine-tune steps run the expression net in the training thread; replicas hold only the head.
  if (c.backboneTraining === 'fine-tune' && c.workers !== 'auto' && c.workers > 1) fail(`workers must be 1 or "auto" with backboneTraining fine-tune, got ${c.workers}`);
  if (c.workers !== 'auto' && !(Number.isInteger(c.workers) && c.workers > 0)) fail(`workers must be a positive integer or "auto", got ${JSON.stringify(c.workers)}`);
  if (!c.dataset || typeof c.dataset.root !== 'string') fail('dataset.root must be a path');
  if (!['synthetic', 'prepared', 'fec', 'folder'].includes(c.dataset.source)) fail(`dataset.source must be synthetic, prepared, fec or folder`);
  if (c.dataset.source === 'folder') {
    if (typeof c.dataset.out !== 'string' || c.dataset.out === '') fail('dataset.out (where the prepared folder dataset goes) must be a path');
    const problem = validateFolderOptions({ ...c.dataset.folder, root: c.dataset.root });
    if (problem) fail(`dataset.folder: ${problem}`);
  }
  if (!/^[A-Za-z0-9._-]*$/.test(c.runId)) fail(`runId may use letters, digits, . _ - only, got "${c.runId}"`);
  return c;
}

/** The region of each face the run's backbone reads (`TrainConfig.inputRegion`, or the backbone's default). */
export function inputRegionOf(c: Pick<TrainConfig, 'backbone' | 'inputRegion'>): FaceRegion {
  return c.inputRegion ?? (c.backbone === 'faceapi' ? FACEAPI_FACE_BOX : WHOLE_IMAGE);
}

/** How many worker threads a run's steps use (see `TrainConfig.workers`); never more than triplets per step. */
export function resolveWorkers(c: Pick<TrainConfig, 'workers' | 'backbone' | 'inputSize' | 'batchTriplets'>, backend: BackendName, cores = availableParallelism()): number {
  const parallel = c.backbone === 'efficientnet-b0' && c.inputSize >= 64 && (backend === 'wasm' || backend === 'cpu');
  const wanted = c.workers !== 'auto' ? c.workers : parallel ? Math.min(2, cores) : 1;
  return Math.max(1, Math.min(wanted, c.batchTriplets));
}
