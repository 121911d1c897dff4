/** Turns `--preset`, `--config <json>` and flags into one validated TrainConfig (later layers win). */
import { readFileSync } from 'node:fs';
import { DEFAULT_SYNTHETIC_OPTIONS, DEFAULT_TRAIN_CONFIG, PRESETS, mergeConfig, validateConfig, type TrainConfig } from '@feenet/feenet';
import { UsageError, numberFlag, stringFlag, type FlagValue } from './cli-args';

/** Flags that set a top-level config field directly. */
const FIELD_FLAGS = {
  'run-id': 'runId',
  'experiments-dir': 'experimentsDir',
  backbone: 'backbone',
  'input-size': 'inputSize',
  'init-weights': 'initWeights',
  'head-dropout': 'headDropout',
  'batch-triplets': 'batchTriplets',
  epochs: 'epochs',
  'steps-per-epoch': 'stepsPerEpoch',
  'learning-rate': 'learningRate',
  'warmup-steps': 'warmupSteps',
  'min-learning-rate': 'minLearningRate',
  margin: 'margin',
  'min-agreement': 'minAgreement',
  'log-every': 'logEvery',
  'checkpoint-every': 'checkpointEvery',
  seed: 'seed',
} as const satisfies Record<string, keyof TrainConfig>;
const STRING_FIELDS = new Set<keyof TrainConfig>(['runId', 'experimentsDir', 'backbone', 'initWeights']);

/** Flags that resize the embedded synthetic dataset. */
const SYNTHETIC_FLAGS = {
  persons: 'persons',
  'faces-per-person': 'facesPerPerson',
  'synthetic-seed': 'seed',
  'image-size': 'imageSize',
} as const;

export const TRAIN_FLAGS = ['preset', 'config', 'dataset', 'resume', 'help', ...Object.keys(FIELD_FLAGS), ...Object.keys(SYNTHETIC_FLAGS), 'train-triplets', 'test-triplets', 'validation-triplets'];

export function buildTrainConfig(flags: Map<string, FlagValue>): TrainConfig {
  for (const name of flags.keys()) {
    if (!TRAIN_FLAGS.includes(name)) throw new UsageError(`unknown flag --${name}; known: ${TRAIN_FLAGS.map((f) => `--${f}`).join(' ')}`);
  }
  const presetName = stringFlag(flags, 'preset') ?? 'default';
  const preset = PRESETS[presetName];
  if (!preset) throw new UsageError(`unknown preset "${presetName}"; known: ${Object.keys(PRESETS).join(', ')}`);
  let fromFile: Partial<TrainConfig> = {};
  const configFile = stringFlag(flags, 'config');
  if (configFile) {
    try {
      fromFile = JSON.parse(readFileSync(configFile, 'utf8')) as Partial<TrainConfig>;
    } catch (err) {
      throw new UsageError(`cannot read --config ${configFile}: ${(err as Error).message}`);
    }
  }
  const fromFlags: Record<string, unknown> = {};
  for (const [flag, field] of Object.entries(FIELD_FLAGS)) {
    if (!flags.has(flag)) continue;
    fromFlags[field] = STRING_FIELDS.has(field) ? stringFlag(flags, flag) : numberFlag(flags, flag);
  }
  const config = mergeConfig(preset, fromFile, fromFlags as Partial<TrainConfig>);

  const dataset = stringFlag(flags, 'dataset');
  if (dataset && dataset !== 'synthetic') config.dataset = { source: 'prepared', root: dataset };
  else if (dataset === 'synthetic' && config.dataset.source !== 'synthetic') config.dataset = DEFAULT_TRAIN_CONFIG.dataset;
  const syntheticChanges: Record<string, number> = {};
  for (const [flag, field] of Object.entries(SYNTHETIC_FLAGS)) {
    const v = numberFlag(flags, flag);
    if (v !== undefined) syntheticChanges[field] = v;
  }
  const tripletChanges: Record<string, number> = {};
  for (const split of ['train', 'validation', 'test'] as const) {
    const v = numberFlag(flags, `${split}-triplets`);
    if (v !== undefined) tripletChanges[split] = v;
  }
  if (Object.keys(syntheticChanges).length || Object.keys(tripletChanges).length) {
    if (config.dataset.source !== 'synthetic') throw new UsageError('--persons, --faces-per-person, --*-triplets only apply to the synthetic dataset');
    const base = config.dataset.synthetic ?? DEFAULT_SYNTHETIC_OPTIONS;
    config.dataset = {
      ...config.dataset,
      synthetic: { ...base, ...syntheticChanges, triplets: { ...base.triplets, ...tripletChanges } },
    };
  }
  if (!config.runId) {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    config.runId = `${stamp}-${config.backbone}`;
  }
  return validateConfig(config);
}
