/**
 * Everything a training run depends on, in one typed object: its schema (validation, flags, help) and defaults
 * here, then `--config <json>`, then flags. `config.json` in the experiment folder is exactly this object.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { BackendName } from '@feenet/tfjs-runtime';
import { BACKBONE_TRAINING, BACKBONES, backboneOf, isBackboneName, type BackboneName } from '../model/feenet';
import { ALIGNED_INNER_FACE, faceRegionFromText, faceRegionProblem, NAMED_FACE_REGIONS, WHOLE_IMAGE, type FaceRegion } from '../inputs/face-region';
import { DEFAULT_SYNTHETIC_OPTIONS, type SyntheticOptions, DEFAULT_FOLDER_OPTIONS, validateFolderOptions, type FolderSourceOptions } from '@feenet/datasets';

export type DatasetConfig =
  /** Generated on demand under `root` when missing (the embedded default). */
  | { source: 'synthetic'; root: string; synthetic: SyntheticOptions }
  /** Any dataset already in the shared format (prepared FEC, labelled folders). */
  | { source: 'prepared'; root: string }
  /** FEC as prepared by `trainer:prepare --source fec` under `root` (train CSV → train + validation, test CSV → test). */
  | { source: 'fec'; root: string }
  /** A labelled folder (`root`), prepared once into `out` and reused while `folder` (the settings) is unchanged. */
  | { source: 'folder'; root: string; out: string; folder: Omit<FolderSourceOptions, 'root'> };


/**
 * The schema of `TrainConfig`, one entry per field: its validation (zod), what it means (`--help` and the
 * config file's documentation) and how its flag is read. Flags, help, validation messages and `config.json` all
 * come from this table; a new setting is one entry here plus its default.
 */
type FlagKind = 'string' | 'number' | 'boolean' | 'region' | 'workers' | 'steps';

interface FieldSpec {
  schema: z.ZodType;
  help: string;
  /** How `--<kebab-name>` is read; absent: the field has no flag of its own (dataset: --dataset, --root, ...). */
  flag?: FlagKind;
}

const fraction = (rule: string, ok: (v: number) => boolean) => z.number().refine(ok, { error: `must be in ${rule}` });
const positiveInt = z.number().refine((v) => Number.isInteger(v) && v > 0, { error: 'must be a positive integer' });

export const TRAIN_CONFIG_FIELDS = {
  runId: { schema: z.string().regex(/^[A-Za-z0-9._-]*$/, { error: 'may use letters, digits, . _ - only' }), flag: 'string', help: 'folder name under experimentsDir; default: a timestamp plus the backbone' },
  experimentsDir: { schema: z.string().min(1), flag: 'string', help: 'where run folders are written' },
  dataset: {
    schema: z.custom<DatasetConfig>((d) => datasetProblem(d) === null, { error: (issue) => datasetProblem(issue.input) ?? 'invalid dataset' }),
    help: 'where the faces and triplets come from (--dataset synthetic|fec|folder|<prepared dir>, --root, ...)',
  },
  backbone: {
    schema: z.string().refine(isBackboneName, { error: `is not one of ${Object.keys(BACKBONES).join(', ')}` }),
    flag: 'string',
    help: `the image backbone: ${Object.keys(BACKBONES).join(' or ')}`,
  },
  inputSize: { schema: positiveInt.refine((v) => v >= 32, { error: 'must be at least 32' }), flag: 'number', help: 'side of the face images an image backbone reads (EfficientNet-B0: 224 in the paper)' },
  initWeights: { schema: z.string().nullable(), flag: 'string', help: 'a tfjs layers model.json (e.g. Keras ImageNet B0 converted) whose weights load by layer name' },
  backboneTraining: {
    schema: z.enum(BACKBONE_TRAINING, { error: 'must be frozen or fine-tune' }),
    flag: 'string',
    help: "faceapi backbone: frozen (features cached once, only the head trains) or fine-tune (its expression net's top fineTuneBlocks train too)",
  },
  inputRegion: {
    schema: z.custom<FaceRegion | null>((r) => r === null || faceRegionProblem(r) === null, { error: (issue) => `: ${faceRegionProblem(issue.input) ?? 'invalid region'}` }),
    flag: 'region',
    help: `the part of each face image the backbone reads: default (the backbone's own), ${Object.keys(NAMED_FACE_REGIONS).join(', ')}, or top,left,bottom,right fractions`,
  },
  fineTuneBlocks: { schema: z.number().refine((v) => [1, 2, 3, 4].includes(v), { error: 'must be 1, 2, 3 or 4' }), flag: 'number', help: "fine-tune: how many of the expression net's four dense blocks train, from the top" },
  backboneLearningRate: { schema: fraction('(0, 1)', (v) => v > 0 && v < 1), flag: 'number', help: "fine-tune: the backbone's peak learning rate (the head's schedule, scaled), lower so pretrained weights move a little" },
  batchNormMomentum: { schema: fraction('[0, 1)', (v) => v >= 0 && v < 1), flag: 'number', help: 'moving-average momentum of batch norm in image backbones (Keras: 0.99)' },
  headDropout: { schema: fraction('[0, 1)', (v) => v >= 0 && v < 1), flag: 'number', help: 'dropout on the backbone features in training, before FC 512' },
  dropConnectRate: { schema: fraction('[0, 1)', (v) => v >= 0 && v < 1), flag: 'number', help: "EfficientNet-B0's stochastic depth (Keras' drop_connect_rate); 0 builds no drop layers" },
  zeroInitResidual: { schema: z.boolean(), flag: 'boolean', help: 'EfficientNet-B0 from random initialisation: each residual block starts as the identity' },
  embeddingBatchNorm: { schema: z.boolean(), flag: 'boolean', help: 'batch norm (frozen scale 1, offset 0) on the 16-d output before L2 normalisation: stops a batch collapsing to one point' },
  batchTriplets: { schema: positiveInt, flag: 'number', help: 'triplets per step (each step embeds 3 × this many faces in one batch)' },
  epochs: { schema: positiveInt, flag: 'number', help: 'passes over the training triplets (or stepsPerEpoch steps each)' },
  stepsPerEpoch: { schema: positiveInt.nullable(), flag: 'steps', help: 'steps per epoch; "all" (null): one pass over the training triplets' },
  learningRate: { schema: fraction('(0, 1)', (v) => v > 0 && v < 1), flag: 'number', help: 'peak learning rate (Adam), after a linear warm-up, then cosine decay' },
  warmupSteps: { schema: z.number().refine((v) => Number.isInteger(v) && v >= 0, { error: 'must be a non-negative integer' }), flag: 'number', help: 'linear warm-up steps' },
  minLearningRate: { schema: z.number().min(0, { error: 'must be at least 0' }), flag: 'number', help: 'the learning rate the cosine decay ends at (at most learningRate)' },
  margin: { schema: fraction('(0, 2]', (v) => v > 0 && v <= 2), flag: 'number', help: 'triplet loss margin on squared distances between unit vectors (the paper: 0.2)' },
  batchNegatives: { schema: fraction('[0, 10]', (v) => v >= 0 && v <= 10), flag: 'number', help: "weight of in-batch semi-hard negatives next to the rated triplets' loss (0: the paper's loss alone)" },
  labelContrast: {
    schema: fraction('[0, 10]', (v) => v >= 0 && v <= 10),
    flag: 'number',
    help: 'weight of the supervised contrastive loss over each batch\'s class labels (labelled datasets such as FER2013; 0: labels unused)',
  },
  minAgreement: { schema: fraction('(0, 1]', (v) => v > 0 && v <= 1), flag: 'number', help: 'only triplets whose rater agreement reaches this share are used (the paper keeps ≥ 2/3)' },
  logEvery: { schema: positiveInt, flag: 'number', help: 'steps between logged losses' },
  checkpointEvery: { schema: positiveInt, flag: 'number', help: 'steps between checkpoints (a killed run resumes from the last one)' },
  seed: { schema: z.number().int({ error: 'must be an integer' }), flag: 'number', help: 'seed of initialisation, epoch order and augmentation' },
  workers: {
    schema: z.union([z.literal('auto'), positiveInt], { error: 'must be a positive integer or "auto"' }),
    flag: 'workers',
    help: 'worker threads for data-parallel steps (one core each on wasm); auto: 2 for efficientnet-b0 at ≥ 64 px on wasm/cpu, else 1',
  },
} satisfies Record<string, FieldSpec>;

type Fields = typeof TRAIN_CONFIG_FIELDS;

/** Everything a training run depends on; `config.json` in the experiment folder is exactly this object. */
export type TrainConfig = { [K in keyof Fields]: z.infer<Fields[K]['schema']> } & {
  dataset: DatasetConfig;
  backbone: BackboneName;
  inputRegion: FaceRegion | null;
  workers: number | 'auto';
};

const trainConfigSchema = z
  .strictObject(Object.fromEntries(Object.entries(TRAIN_CONFIG_FIELDS).map(([k, f]) => [k, f.schema])) as { [K in keyof Fields]: Fields[K]['schema'] })
  .superRefine((c, ctx) => {
    const fail = (path: keyof Fields, message: string) => ctx.addIssue({ code: 'custom', path: [path], message, input: c[path] });
    if (c.minLearningRate > c.learningRate) fail('minLearningRate', 'must be in [0, learningRate]');
    // Cross-field checks run even when a field failed its own check: read the backbone only when it is known.
    const modes: readonly string[] = isBackboneName(c.backbone) ? backboneOf(c.backbone).trainingModes : BACKBONE_TRAINING;
    if (c.backboneTraining === 'fine-tune' && !modes.includes('fine-tune')) fail('backboneTraining', `fine-tune applies to the faceapi backbone (${c.backbone} always trains end to end)`);
    // Fine-tune steps run the expression net in the training thread; replicas hold only the head.
    if (c.backboneTraining === 'fine-tune' && c.workers !== 'auto' && c.workers > 1) fail('workers', 'must be 1 or "auto" with backboneTraining fine-tune');
  });

/** What is wrong with a dataset setting, or null. */
function datasetProblem(d: unknown): string | null {
  const c = d as DatasetConfig | undefined;
  if (!c || typeof c.root !== 'string') return 'dataset.root must be a path';
  if (!['synthetic', 'prepared', 'fec', 'folder'].includes(c.source)) return 'dataset.source must be synthetic, prepared, fec or folder';
  if (c.source === 'folder') {
    if (typeof c.out !== 'string' || c.out === '') return 'dataset.out (where the prepared folder dataset goes) must be a path';
    const problem = validateFolderOptions({ ...c.folder, root: c.root });
    if (problem) return `dataset.folder: ${problem}`;
  }
  return null;
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

/** Checks every field against the schema and names the first problem plainly ("batchTriplets must be a positive integer, got 0"). */
export function validateConfig(c: TrainConfig): TrainConfig {
  const result = trainConfigSchema.safeParse(c, { reportInput: true });
  if (result.success) return c;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') throw new ConfigError(`invalid config: unknown field "${issue.keys[0]}" (known: ${Object.keys(TRAIN_CONFIG_FIELDS).join(', ')})`);
  if (field === 'dataset') throw new ConfigError(`invalid config: ${issue.message}`);
  const got = 'input' in issue && issue.input !== undefined && !issue.message.includes(', got ') ? `, got ${JSON.stringify(issue.input)}` : '';
  throw new ConfigError(`invalid config: ${field}${issue.message.startsWith(":") ? "" : " "}${issue.message}${got}`);
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `--<flag>` → field, for every field that has a flag. */
export const TRAIN_CONFIG_FLAGS: ReadonlyMap<string, keyof Fields> = new Map(
  (Object.entries(TRAIN_CONFIG_FIELDS) as [keyof Fields, FieldSpec][]).filter(([, f]) => f.flag).map(([k]) => [kebab(k), k]),
);

/** The flags that are switches (`--name`, `--no-name`); every other flag takes a value. */
export const TRAIN_CONFIG_SWITCHES: readonly string[] = [...TRAIN_CONFIG_FLAGS].filter(([, field]) => (TRAIN_CONFIG_FIELDS[field] as FieldSpec).flag === 'boolean').map(([flag]) => flag);

/** The config fields the given flags set, each read as its schema entry says; the values are validated with the whole config. */
export function trainConfigFromFlags(flags: ReadonlyMap<string, string | boolean>): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const [flag, field] of TRAIN_CONFIG_FLAGS) {
    const raw = flags.get(flag);
    if (raw === undefined) continue;
    const kind = (TRAIN_CONFIG_FIELDS[field] as FieldSpec).flag!;
    if (kind === 'boolean') {
      if (typeof raw !== 'boolean') throw new ConfigError(`--${flag} is a switch: --${flag} or --no-${flag}`);
      out[field] = raw;
      continue;
    }
    if (typeof raw !== 'string') throw new ConfigError(`--${flag} needs a value`);
    if (kind === 'string') out[field] = raw;
    else if (kind === 'workers' && raw === 'auto') out[field] = 'auto';
    else if (kind === 'steps' && (raw === 'all' || raw === 'none')) out[field] = null;
    else if (kind === 'region') {
      if (raw === 'default') out[field] = null;
      else {
        const parsed = faceRegionFromText(raw);
        if ('problem' in parsed) throw new ConfigError(`--${flag} (default, ${Object.keys(NAMED_FACE_REGIONS).join(', ')} or top,left,bottom,right): ${parsed.problem}`);
        out[field] = parsed.region;
      }
    } else {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`--${flag} needs a number, got "${raw}"`);
      out[field] = n;
    }
  }
  return out as Partial<TrainConfig>;
}

/** `--help` lines for the config's flags: the flag, what it sets, its default. */
export function trainConfigHelp(): string {
  const rows = [...TRAIN_CONFIG_FLAGS].map(([flag, field]) => {
    const spec = TRAIN_CONFIG_FIELDS[field] as FieldSpec;
    const value = spec.flag === 'boolean' ? '' : spec.flag === 'region' ? ' <region>' : spec.flag === 'string' ? ' <text>' : ' <n>';
    return [`  --${flag}${value}`, `${spec.help} (default: ${JSON.stringify(DEFAULT_TRAIN_CONFIG[field])})`];
  });
  const width = Math.max(...rows.map(([f]) => f!.length)) + 2;
  return rows.map(([f, h]) => f!.padEnd(width) + h).join('\n');
}

/** The region of each face the run's backbone reads (`TrainConfig.inputRegion`, or the backbone's default). */
export function inputRegionOf(c: Pick<TrainConfig, 'backbone' | 'inputRegion'>): FaceRegion {
  return c.inputRegion ?? backboneOf(c.backbone).defaultRegion;
}

/** How many worker threads a run's steps use (see `TrainConfig.workers`); never more than triplets per step. */
export function resolveWorkers(c: Pick<TrainConfig, 'workers' | 'backbone' | 'inputSize' | 'batchTriplets'>, backend: BackendName, cores = availableParallelism()): number {
  const from = backboneOf(c.backbone).dataParallelFrom;
  const parallel = from !== null && c.inputSize >= from && (backend === 'wasm' || backend === 'cpu');
  const wanted = c.workers !== 'auto' ? c.workers : parallel ? Math.min(2, cores) : 1;
  return Math.max(1, Math.min(wanted, c.batchTriplets));
}
