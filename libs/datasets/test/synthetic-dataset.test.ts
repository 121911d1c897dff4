import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SYNTHETIC_OPTIONS,
  SeededRandom,
  generateSyntheticDataset,
  randomIdentity,
  randomPose,
  readDataset,
  renderFace,
  sampleExpression,
  simulateRaters,
  type SyntheticOptions,
} from '../src/index';

const tiny: SyntheticOptions = {
  ...DEFAULT_SYNTHETIC_OPTIONS,
  persons: 12,
  facesPerPerson: 7,
  imageSize: 64,
  splitShares: { train: 0.5, validation: 0.25, test: 0.25 },
  triplets: { train: 60, validation: 15, test: 15 },
};

describe('synthetic faces', () => {
  it('are deterministic: the same seed gives the same pixels, another seed different ones', () => {
    const render = (seed: number) => {
      const rng = new SeededRandom(seed);
      return renderFace(64, randomIdentity(rng), sampleExpression(rng, 'happy'), randomPose(rng), rng);
    };
    expect(Buffer.from(render(7)).equals(Buffer.from(render(7)))).toBe(true);
    expect(Buffer.from(render(7)).equals(Buffer.from(render(8)))).toBe(false);
  });

  it('show the expression: a smile and a frown differ most around the mouth', () => {
    const rng = new SeededRandom(3);
    const id = randomIdentity(rng);
    const pose = { ...randomPose(rng), noiseSd: 0, roll: 0, shiftX: 0, shiftY: 0, scale: 1 };
    const smile = renderFace(64, id, { smile: 1, mouthOpen: 0.4, browRaise: 0, browFurrow: 0, eyeOpen: 1 }, pose, new SeededRandom(1));
    const frown = renderFace(64, id, { smile: -1, mouthOpen: 0, browRaise: 0, browFurrow: 0, eyeOpen: 1 }, pose, new SeededRandom(1));
    const diff = (y0: number, y1: number) => {
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = 0; x < 64 * 3; x++) sum += Math.abs(smile[y * 64 * 3 + x]! - frown[y * 64 * 3 + x]!);
      return sum;
    };
    // Mouth band (below the nose) versus the forehead band, same height.
    expect(diff(40, 52)).toBeGreaterThan(10 * diff(8, 20) + 1000);
  });

  it('simulated raters agree on an obvious odd one out and split on an ambiguous one', () => {
    const rng = new SeededRandom(1);
    const neutral = { smile: 0, mouthOpen: 0, browRaise: 0, browFurrow: 0, eyeOpen: 1 };
    const clear = simulateRaters([neutral, neutral, { ...neutral, smile: 1, mouthOpen: 0.8 }], 6, 0.12, rng);
    expect(clear).toEqual({ odd: 2, agreement: 1 });
    let unanimous = 0;
    for (let i = 0; i < 50; i++) if (simulateRaters([neutral, neutral, neutral], 6, 0.12, rng).agreement === 1) unanimous++;
    expect(unanimous).toBeLessThan(10);
  });

  it('make a dataset in the shared format whose splits share no face and no person', async () => {
    const root = path.join(mkdtempSync(path.join(tmpdir(), 'feenet-synth-')), 'synthetic');
    const { info } = await generateSyntheticDataset(root, tiny);
    const ds = readDataset(root);
    expect(info.faces.train + info.faces.validation + info.faces.test).toBe(84);
    expect(ds.triplets).toHaveLength(90);
    const personsBySplit = new Map<string, Set<string>>();
    for (const f of ds.faces) {
      const set = personsBySplit.get(f.split) ?? new Set();
      set.add(f.person!);
      personsBySplit.set(f.split, set);
    }
    const [train, val, test] = ['train', 'validation', 'test'].map((s) => personsBySplit.get(s)!);
    for (const p of train!) expect(val!.has(p) || test!.has(p)).toBe(false);
    for (const p of val!) expect(test!.has(p)).toBe(false);
    // Every kept triplet passed the 2/3 agreement filter, and all three FEC types occur.
    expect(Math.min(...ds.triplets.map((t) => t.agreement))).toBeGreaterThanOrEqual(2 / 3 - 1e-9);
    expect(new Set(ds.triplets.map((t) => t.type))).toEqual(new Set(['ONE_CLASS', 'TWO_CLASS', 'THREE_CLASS']));
    // Faces are real PNG files of the stated size.
    const png = readFileSync(path.join(root, ds.faces[0]!.file));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(64);
    // Same seed, same dataset.
    const again = path.join(path.dirname(root), 'again');
    await generateSyntheticDataset(again, tiny);
    expect(readFileSync(path.join(again, 'triplets.jsonl'), 'utf8')).toBe(readFileSync(path.join(root, 'triplets.jsonl'), 'utf8'));
    expect(readFileSync(path.join(again, ds.faces[5]!.file)).equals(readFileSync(path.join(root, ds.faces[5]!.file)))).toBe(true);
  });
});
