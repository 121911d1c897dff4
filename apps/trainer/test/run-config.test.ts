/** Flags → TrainConfig: what a researcher types must land in config.json, and a typo must be refused plainly. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALIGNED_FACE_BOX, ALIGNED_INNER_FACE, DEFAULT_TRAIN_CONFIG, FACEAPI_FACE_BOX, TRAIN_CONFIG_FIELDS, TRAIN_CONFIG_FLAGS, WHOLE_IMAGE, inputRegionOf, mergeConfig, trainConfigHelp, validateConfig } from '@feenet/feenet';
import { parseFlags, UsageError } from '../src/cli-args';
import { buildTrainConfig, TRAIN_FLAG_KINDS } from '../src/run-config';

const configOf = (...argv: string[]) => buildTrainConfig(parseFlags(argv, TRAIN_FLAG_KINDS).flags);

describe('--input-region', () => {
  it("defaults to each backbone's own region: face-api's box for faceapi, the whole crop for B0", () => {
    expect(configOf().inputRegion).toBeNull();
    expect(inputRegionOf(configOf())).toEqual(FACEAPI_FACE_BOX);
    expect(inputRegionOf(configOf('--backbone', 'efficientnet-b0'))).toEqual(WHOLE_IMAGE);
  });

  it('takes "whole", "face-box", "inner-face", "default" and four fractions', () => {
    expect(configOf('--input-region', 'whole').inputRegion).toEqual(WHOLE_IMAGE);
    expect(configOf('--input-region', 'inner-face').inputRegion).toEqual(ALIGNED_INNER_FACE);
    expect(inputRegionOf(configOf('--backbone', 'efficientnet-b0', '--input-region', 'face-box'))).toEqual(ALIGNED_FACE_BOX);
    expect(configOf('--preset', 'b0-cpu', '--input-region', 'default').inputRegion).toBeNull();
    expect(configOf('--input-region', '0.125,0.125,0.875,0.875').inputRegion).toEqual([0.125, 0.125, 0.875, 0.875]);
  });

  it('refuses regions that are not four ordered fractions inside the image', () => {
    for (const bad of ['face', '0,0,1', '0.5,0,0.4,1', '0,0,1.2,1', '0,,1,1']) {
      expect(() => configOf('--input-region', bad), bad).toThrow(UsageError);
    }
    expect(() => validateConfig(mergeConfig({ inputRegion: [0, 0.6, 1, 0.5] }))).toThrow(/inputRegion/);
  });
});

describe('--batch-negatives', () => {
  it('sets the weight of the in-batch negatives (0 by default: the paper\'s loss) and refuses negative weights', () => {
    expect(configOf().batchNegatives).toBe(0);
    expect(configOf('--batch-negatives', '1').batchNegatives).toBe(1);
    expect(() => configOf('--batch-negatives', '-1')).toThrow(/batchNegatives/);
  });
});

describe('--label-contrast', () => {
  it('sets the weight of the supervised contrastive term over class labels (0 by default) and refuses negative weights', () => {
    expect(configOf().labelContrast).toBe(0);
    expect(configOf('--preset', 'fer2013', '--label-contrast', '0.5').labelContrast).toBe(0.5);
    expect(() => configOf('--label-contrast', '-1')).toThrow(/labelContrast/);
  });
});

describe('--preset fer2013', () => {
  it('reads FER2013 as aligned tight crops, whole, from the shared copy or from --root, prepared once per settings', () => {
    const shared = configOf('--preset', 'fer2013');
    expect(shared.dataset).toMatchObject({ source: 'folder', root: '../shared/data/fer2013', folder: { aligned: true, pad: 0 } });
    expect(shared.inputRegion).toEqual(WHOLE_IMAGE);
    expect(shared).toMatchObject({ epochs: 12, batchNegatives: 1 });
    // The same settings as spelled out by hand share the prepared dataset (and its cached features).
    const byHand = configOf('--dataset', 'folder', '--root', '../shared/data/fer2013', '--aligned', '--pad', '0', '--input-region', 'whole');
    expect(shared.dataset).toEqual(byHand.dataset);
    const elsewhere = configOf('--preset', 'fer2013', '--root', '/data/fer2013');
    expect(elsewhere.dataset).toMatchObject({ source: 'folder', root: '/data/fer2013' });
    expect(elsewhere.dataset.source === 'folder' && shared.dataset.source === 'folder' && elsewhere.dataset.out !== shared.dataset.out).toBe(true);
    // A config file that names its own prepared folder keeps it.
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'run-config-')), 'config.json');
    writeFileSync(file, JSON.stringify({ dataset: { ...shared.dataset, out: 'data/my-fer' } }));
    expect(configOf('--config', file).dataset).toMatchObject({ source: 'folder', out: 'data/my-fer' });
  });
});

describe('one schema: flags, help and validation', () => {
  it('gives every setting but the dataset a flag, listed in --help with its default', () => {
    const fields = Object.keys(TRAIN_CONFIG_FIELDS).filter((f) => f !== 'dataset');
    expect([...TRAIN_CONFIG_FLAGS.values()].sort()).toEqual(fields.sort());
    const help = trainConfigHelp();
    for (const [flag, field] of TRAIN_CONFIG_FLAGS) {
      expect(help).toContain(`--${flag}`);
      expect(help).toContain(`(default: ${JSON.stringify(DEFAULT_TRAIN_CONFIG[field])})`);
    }
  });

  it('reads each flag as its field says, and refuses what does not fit before training', () => {
    const c = configOf('--workers', 'auto', '--steps-per-epoch', 'all', '--embedding-batch-norm', '--no-zero-init-residual', '--learning-rate', '3e-3', '--backbone-training', 'fine-tune');
    expect(c).toMatchObject({ workers: 'auto', stepsPerEpoch: null, embeddingBatchNorm: true, zeroInitResidual: false, learningRate: 3e-3, backboneTraining: 'fine-tune' });
    expect(() => configOf('--epochs', 'many')).toThrow(/--epochs needs a number/);
    expect(() => configOf('--epochs', '0')).toThrow(/epochs must be a positive integer, got 0/);
    expect(() => configOf('--backbone', 'resnet')).toThrow(/backbone is not one of efficientnet-b0, faceapi/);
    expect(() => configOf('--epoch', '3')).toThrow(/unknown flag --epoch/);
    expect(() => configOf('--epochs')).toThrow(/--epochs needs a value/);
    expect(() => configOf('--embedding-batch-norm=yes')).toThrow(/--embedding-batch-norm is a switch: --embedding-batch-norm or --no-embedding-batch-norm/);
    expect(() => configOf('--embedding-batch-norm', 'true')).toThrow(/unexpected argument "true"/);
    expect(() => configOf('--backbone', 'efficientnet-b0', '--backbone-training', 'fine-tune')).toThrow(/fine-tune applies to the faceapi backbone/);
  });
});
