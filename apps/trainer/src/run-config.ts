/** Turns `--preset`, `--config <json>` and flags into one validated TrainConfig (later layers win). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_TRAIN_CONFIG, PRESETS, TRAIN_CONFIG_FLAGS, TRAIN_CONFIG_SWITCHES, mergeConfig, trainConfigFromFlags, validateConfig, type TrainConfig } from '@feenet/feenet';
import { DEFAULT_FOLDER_OPTIONS, DEFAULT_SYNTHETIC_OPTIONS, datasetExists, folderSettings, type FolderSourceOptions } from '@feenet/datasets';
import { UsageError, booleanFlag, detectorFlag, flagKinds, numberFlag, stringFlag, type FlagValue } from './cli-args';

/** Flags that resize the embedded synthetic dataset. */
const SYNTHETIC_FLAGS = {
  persons: 'persons',
  'faces-per-person': 'facesPerPerson',
  'synthetic-seed': 'seed',
  'image-size': 'imageSize',
} as const;

/** Flags of `--dataset folder` (a labelled folder, prepared once under data/ and reused while they are unchanged). */
const FOLDER_FLAGS = ['root', 'aligned', 'labels-csv', 'max-faces-per-label', 'limit', 'data-seed', 'validation-share', 'dataset-out', 'detector', 'pad'];

export const SYNTHETIC_HELP = `${Object.keys(SYNTHETIC_FLAGS).map((f) => `--${f}`).join(' ')} --train-triplets --validation-triplets --test-triplets`;
export const FOLDER_HELP = `--root <dir> ${FOLDER_FLAGS.filter((f) => f !== 'root').map((f) => `--${f}`).join(' ')}`;

/** Flags of the command itself and of the dataset; every other flag is a config field's (TRAIN_CONFIG_FIELDS). */
const COMMAND_FLAGS = ['preset', 'config', 'dataset', 'resume', 'train-triplets', 'test-triplets', 'validation-triplets'];
const SWITCHES = [...TRAIN_CONFIG_SWITCHES, 'aligned'];
/** Every flag of trainer:train and trainer:describe, each a value or a switch. */
export const TRAIN_FLAG_KINDS = flagKinds(
  [...COMMAND_FLAGS, ...TRAIN_CONFIG_FLAGS.keys(), ...Object.keys(SYNTHETIC_FLAGS), ...FOLDER_FLAGS].filter((f) => !SWITCHES.includes(f)),
  SWITCHES,
);

/** Folder settings from flags over a base (a config file's, or the defaults). */
function folderFromFlags(flags: Map<string, FlagValue>, base: Omit<FolderSourceOptions, 'root'>, root: string): { root: string; folder: Omit<FolderSourceOptions, 'root'> } {
  const cap = (name: string, current: number | null) => {
    const v = stringFlag(flags, name);
    if (v === undefined) return current;
    if (v === 'none' || v === 'all') return null;
    const n = numberFlag(flags, name)!;
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive whole number (or "none")`);
    return n;
  };
  const folder: Omit<FolderSourceOptions, 'root'> = {
    ...base,
    ...(flags.has('aligned') ? { aligned: booleanFlag(flags, 'aligned') } : {}),
    ...(flags.has('labels-csv') ? { labelsCsv: stringFlag(flags, 'labels-csv')! } : {}),
    maxFacesPerLabel: cap('max-faces-per-label', base.maxFacesPerLabel),
    limit: cap('limit', base.limit),
    ...(flags.has('data-seed') ? { seed: numberFlag(flags, 'data-seed')! } : {}),
    ...(flags.has('validation-share') ? { validationShare: numberFlag(flags, 'validation-share')! } : {}),
    ...(flags.has('image-size') ? { imageSize: numberFlag(flags, 'image-size')! } : {}),
    ...(flags.has('detector') ? { detector: detectorFlag(flags)! } : {}),
    ...(flags.has('pad') ? { pad: numberFlag(flags, 'pad')! } : {}),
  };
  const triplets = { ...folder.triplets };
  for (const split of ['train', 'validation', 'test'] as const) {
    const v = numberFlag(flags, `${split}-triplets`);
    if (v !== undefined) triplets[split] = v;
  }
  return { root, folder: { ...folder, triplets } };
}

/** Where a folder's prepared dataset is cached: one directory per (folder, settings), so variants coexist. */
export function defaultFolderOut(root: string, folder: Omit<FolderSourceOptions, 'root'>): string {
  const hash = createHash('sha1').update(JSON.stringify(folderSettings({ ...folder, root }))).digest('hex').slice(0, 8);
  const base = path.basename(path.resolve(root)).replace(/[^A-Za-z0-9._-]/g, '_');
  return path.join('data', `folder-${base}-${hash}`);
}

export function buildTrainConfig(flags: Map<string, FlagValue>): TrainConfig {
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
  let fromFlags: Partial<TrainConfig>;
  try {
    fromFlags = trainConfigFromFlags(flags);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config = mergeConfig(preset, fromFile, fromFlags);

  const dataset = stringFlag(flags, 'dataset');
  if (dataset === 'fec') {
    config.dataset = { source: 'fec', root: 'data/fec' };
    if (!datasetExists('data/fec')) throw new UsageError('no prepared FEC dataset at data/fec: run "nx run trainer:prepare --source fec --csv <faceexp-comparison-data-train-public.csv> --out data/fec" first');
  }
  else if (dataset === 'folder') {
    const root = stringFlag(flags, 'root') ?? (config.dataset.source === 'folder' ? config.dataset.root : undefined);
    if (!root) throw new UsageError('--dataset folder needs --root <dir> (a <label>/<image> or <split>/<label>/<image> folder)');
    const base = config.dataset.source === 'folder' ? config.dataset.folder : DEFAULT_FOLDER_OPTIONS;
    const { folder } = folderFromFlags(flags, base, root);
    const out = stringFlag(flags, 'dataset-out') ?? defaultFolderOut(root, folder);
    config.dataset = { source: 'folder', root, out, folder };
  } else if (dataset && dataset !== 'synthetic') config.dataset = { source: 'prepared', root: dataset };
  else if (dataset === 'synthetic' && config.dataset.source !== 'synthetic') config.dataset = DEFAULT_TRAIN_CONFIG.dataset;
  if (config.dataset.source !== 'folder') {
    const stray = FOLDER_FLAGS.filter((f) => flags.has(f));
    if (stray.length) throw new UsageError(`${stray.map((f) => `--${f}`).join(' ')} only apply with --dataset folder`);
  } else {
    if (!dataset) {
      // A preset or config file named the folder: flags may still change it and its settings.
      const root = stringFlag(flags, 'root') ?? config.dataset.root;
      const { folder } = folderFromFlags(flags, config.dataset.folder, root);
      // A config file's own `out` stands while the folder and its settings are unchanged; a preset leaves it empty.
      const unchanged = root === config.dataset.root && JSON.stringify(folder) === JSON.stringify(config.dataset.folder);
      const out = stringFlag(flags, 'dataset-out') ?? (unchanged && config.dataset.out ? config.dataset.out : defaultFolderOut(root, folder));
      config.dataset = { ...config.dataset, root, out, folder };
    }
  }
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
  if (config.dataset.source === 'folder') {
    // --image-size and --*-triplets were applied to the folder settings above.
    const synthetic = ['persons', 'faces-per-person', 'synthetic-seed'].filter((f) => flags.has(f));
    if (synthetic.length) throw new UsageError(`${synthetic.map((f) => `--${f}`).join(' ')} only apply to the synthetic dataset`);
  } else if (Object.keys(syntheticChanges).length || Object.keys(tripletChanges).length) {
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
