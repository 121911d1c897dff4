/**
 * The embedded default dataset: seeded synthetic faces with known expression parameters, and FEC-style
 * triplets judged by simulated raters with noisy perception, kept only when enough raters agree.
 */
import * as path from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import sharp from 'sharp';
import { SeededRandom } from './random';
import { DatasetWriter } from './store';
import {
  EXPRESSION_KEYS,
  randomIdentity,
  randomPose,
  renderFace,
  type ExpressionParams,
} from './synthetic-face';
import { SPLITS, type DatasetInfo, type FaceRecord, type Split, type Triplet, type TripletType } from './types';

/** Coarse expression classes: prototypes in parameter space. They define FEC's triplet types, not the targets. */
export const EXPRESSION_PROTOTYPES: Record<string, ExpressionParams> = {
  neutral: { smile: 0, mouthOpen: 0, browRaise: 0, browFurrow: 0, eyeOpen: 1 },
  happy: { smile: 0.9, mouthOpen: 0.45, browRaise: 0.1, browFurrow: 0, eyeOpen: 0.8 },
  sad: { smile: -0.8, mouthOpen: 0, browRaise: 0.2, browFurrow: -0.8, eyeOpen: 0.75 },
  surprise: { smile: 0, mouthOpen: 0.9, browRaise: 1, browFurrow: -0.1, eyeOpen: 1.45 },
  angry: { smile: -0.45, mouthOpen: 0.1, browRaise: -0.8, browFurrow: 1, eyeOpen: 0.8 },
  fear: { smile: -0.3, mouthOpen: 0.55, browRaise: 0.8, browFurrow: -0.6, eyeOpen: 1.4 },
  disgust: { smile: -0.55, mouthOpen: 0.2, browRaise: -0.5, browFurrow: 0.6, eyeOpen: 0.45 },
};
const LABELS = Object.keys(EXPRESSION_PROTOTYPES);

/** Bumped whenever the renderer or the sampling changes, so cached datasets made by older code are remade. */
export const SYNTHETIC_GENERATOR_VERSION = 4;

/** The settings recorded in dataset.json: what decides whether an existing dataset can be reused. */
export function syntheticSettings(options: SyntheticOptions): Record<string, unknown> {
  return { ...options, generatorVersion: SYNTHETIC_GENERATOR_VERSION };
}

/** How much each parameter matters to a rater's eye (the perceptual metric of the simulation). */
const PERCEPTUAL_WEIGHTS: Record<keyof ExpressionParams, number> = {
  smile: 1,
  mouthOpen: 1,
  browRaise: 0.8,
  browFurrow: 0.8,
  eyeOpen: 0.7,
};

export interface SyntheticOptions {
  seed: number;
  persons: number;
  facesPerPerson: number;
  imageSize: number;
  /** Share of persons in each split; persons (and so faces) never cross splits. */
  splitShares: Record<Split, number>;
  /** Triplets to keep per split, after agreement filtering. */
  triplets: Record<Split, number>;
  raters: number;
  /** Standard deviation of each rater's perception noise, in parameter units. */
  raterNoise: number;
  /** Keep a triplet only if at least this share of raters picked the same odd one out (FEC: 2/3). */
  minAgreement: number;
}

export const DEFAULT_SYNTHETIC_OPTIONS: SyntheticOptions = {
  seed: 2024,
  persons: 300,
  facesPerPerson: 20,
  imageSize: 144,
  splitShares: { train: 0.7, validation: 0.1, test: 0.2 },
  triplets: { train: 20000, validation: 1500, test: 3000 },
  raters: 6,
  raterNoise: 0.12,
  minAgreement: 2 / 3,
};

interface SyntheticFace {
  record: FaceRecord;
  params: ExpressionParams;
}

/** Draws an expression around a class prototype with a random intensity: "light smile" … "ecstatic smile". */
export function sampleExpression(rng: SeededRandom, label: string): ExpressionParams {
  const proto = EXPRESSION_PROTOTYPES[label];
  const neutral = EXPRESSION_PROTOTYPES.neutral!;
  if (!proto) throw new Error(`unknown expression label ${label}`);
  const intensity = label === 'neutral' ? 0 : rng.uniform(0.2, 1.3);
  const e = { ...neutral };
  for (const k of EXPRESSION_KEYS) e[k] = neutral[k] + intensity * (proto[k] - neutral[k]) + rng.normal(0, 0.05);
  e.mouthOpen = Math.max(0, Math.min(1.1, e.mouthOpen));
  e.eyeOpen = Math.max(0.25, Math.min(1.6, e.eyeOpen));
  e.smile = Math.max(-1.1, Math.min(1.1, e.smile));
  return e;
}

function perceivedDistance(a: ExpressionParams, b: ExpressionParams, noise: () => number): number {
  let sum = 0;
  for (const k of EXPRESSION_KEYS) {
    const d = (a[k] - b[k]) * PERCEPTUAL_WEIGHTS[k] + noise();
    sum += d * d;
  }
  return sum;
}

/** Each rater perceives the three faces through their own noise and names the face outside the closest pair. */
export function simulateRaters(
  faces: readonly [ExpressionParams, ExpressionParams, ExpressionParams],
  raters: number,
  raterNoise: number,
  rng: SeededRandom,
): { odd: 0 | 1 | 2; agreement: number } {
  const votes = [0, 0, 0];
  const noise = () => rng.normal(0, raterNoise);
  for (let r = 0; r < raters; r++) {
    const d01 = perceivedDistance(faces[0], faces[1], noise);
    const d02 = perceivedDistance(faces[0], faces[2], noise);
    const d12 = perceivedDistance(faces[1], faces[2], noise);
    // The odd one out is the face not in the most similar pair.
    const odd = d01 <= d02 && d01 <= d12 ? 2 : d02 <= d12 ? 1 : 0;
    votes[odd]!++;
  }
  const best = votes[0]! >= votes[1]! && votes[0]! >= votes[2]! ? 0 : votes[1]! >= votes[2]! ? 1 : 2;
  return { odd: best, agreement: votes[best]! / raters };
}

/** Draws three distinct faces spanning one, two or three classes; undefined when the split is too small for it. */
function sampleTripletFaces(type: TripletType, byLabel: Map<string, SyntheticFace[]>, rng: SeededRandom): SyntheticFace[] | undefined {
  const withAtLeast = (n: number) => [...byLabel.keys()].filter((l) => byLabel.get(l)!.length >= n);
  const distinctFrom = (label: string, n: number): SyntheticFace[] => rng.shuffle([...byLabel.get(label)!]).slice(0, n);
  switch (type) {
    case 'ONE_CLASS': {
      const labels = withAtLeast(3);
      return labels.length ? distinctFrom(rng.pick(labels), 3) : undefined;
    }
    case 'TWO_CLASS': {
      const pairLabels = withAtLeast(2);
      if (pairLabels.length === 0 || byLabel.size < 2) return undefined;
      const pairLabel = rng.pick(pairLabels);
      const other = rng.pick([...byLabel.keys()].filter((l) => l !== pairLabel));
      return rng.shuffle([...distinctFrom(pairLabel, 2), ...distinctFrom(other, 1)]);
    }
    case 'THREE_CLASS': {
      if (byLabel.size < 3) return undefined;
      return rng.shuffle([...byLabel.keys()]).slice(0, 3).map((l) => distinctFrom(l, 1)[0]!);
    }
  }
}

export interface SyntheticProgress {
  stage: 'faces' | 'triplets';
  done: number;
  total: number;
}

export interface SyntheticSummary {
  info: DatasetInfo;
  /** Triplets drawn and discarded because raters disagreed, per split. */
  discarded: Record<Split, number>;
}

/** Generates the whole dataset under `root` (replacing any unfinished one) in the shared format. */
export async function generateSyntheticDataset(
  root: string,
  options: SyntheticOptions = DEFAULT_SYNTHETIC_OPTIONS,
  onProgress?: (p: SyntheticProgress) => void,
): Promise<SyntheticSummary> {
  await rm(root, { recursive: true, force: true });
  const writer = await DatasetWriter.create(root);
  const rng = new SeededRandom(options.seed);
  const personOrder = rng.shuffle([...Array(options.persons).keys()]);
  const splitOf = new Map<number, Split>();
  const nTrain = Math.round(options.persons * options.splitShares.train);
  const nVal = Math.round(options.persons * options.splitShares.validation);
  personOrder.forEach((p, i) => splitOf.set(p, i < nTrain ? 'train' : i < nTrain + nVal ? 'validation' : 'test'));

  const faces: SyntheticFace[] = [];
  const total = options.persons * options.facesPerPerson;
  const pending: Promise<unknown>[] = [];
  for (let p = 0; p < options.persons; p++) {
    const personRng = rng.fork(1000 + p);
    const identity = randomIdentity(personRng);
    const person = `p${String(p).padStart(4, '0')}`;
    await mkdir(path.join(root, 'faces', person), { recursive: true });
    for (let k = 0; k < options.facesPerPerson; k++) {
      const faceRng = personRng.fork(k + 1);
      // Every person shows every class about equally often, so no class is tied to an identity.
      const label = LABELS[(k + p) % LABELS.length]!;
      const params = sampleExpression(faceRng, label);
      const pixels = renderFace(options.imageSize, identity, params, randomPose(faceRng), faceRng);
      const id = `${person}-${String(k).padStart(2, '0')}`;
      const file = path.posix.join('faces', person, `${id}.png`);
      const record: FaceRecord = { id, file, split: splitOf.get(p)!, person, label, source: { generator: 'synthetic', params } };
      faces.push({ record, params });
      pending.push(
        sharp(pixels, { raw: { width: options.imageSize, height: options.imageSize, channels: 3 } })
          .png({ compressionLevel: 6 })
          .toFile(path.join(root, file)),
      );
      writer.addFace(record);
      if (pending.length >= 16) await Promise.all(pending.splice(0));
      if (faces.length % 100 === 0) onProgress?.({ stage: 'faces', done: faces.length, total });
    }
  }
  await Promise.all(pending);
  onProgress?.({ stage: 'faces', done: total, total });

  const discarded: Record<Split, number> = { train: 0, validation: 0, test: 0 };
  const types: TripletType[] = ['ONE_CLASS', 'TWO_CLASS', 'THREE_CLASS'];
  const tripletRng = rng.fork(99);
  const totalTriplets = SPLITS.reduce((n, s) => n + options.triplets[s], 0);
  let written = 0;
  for (const split of SPLITS) {
    const byLabel = new Map<string, SyntheticFace[]>();
    for (const f of faces) {
      if (f.record.split !== split) continue;
      const list = byLabel.get(f.record.label!) ?? [];
      list.push(f);
      byLabel.set(f.record.label!, list);
    }
    if (byLabel.size < 3 && options.triplets[split] > 0) throw new Error(`split ${split} has too few faces for triplets`);
    let kept = 0;
    let attempts = 0;
    while (kept < options.triplets[split]) {
      if (++attempts > options.triplets[split] * 50 + 1000) {
        throw new Error(`raters agreed on only ${kept} of ${attempts} triplets drawn for ${split}: lower minAgreement or raterNoise`);
      }
      const type = types[kept % types.length]!;
      const drawn = sampleTripletFaces(type, byLabel, tripletRng);
      if (!drawn) throw new Error(`split ${split} has too few faces per class for ${type} triplets: add persons or faces per person`);
      const [a, b, c] = drawn as [SyntheticFace, SyntheticFace, SyntheticFace];
      const { odd, agreement } = simulateRaters([a.params, b.params, c.params], options.raters, options.raterNoise, tripletRng);
      if (agreement < options.minAgreement - 1e-9) {
        discarded[split]++;
        continue;
      }
      const [n, pair] = odd === 0 ? [a, [b, c]] : odd === 1 ? [b, [a, c]] : [c, [a, b]];
      const triplet: Triplet = { anchor: pair[0]!.record.id, positive: pair[1]!.record.id, negative: n.record.id, type, agreement, split };
      writer.addTriplet(triplet);
      kept++;
      written++;
      if (written % 1000 === 0) onProgress?.({ stage: 'triplets', done: written, total: totalTriplets });
    }
  }
  const info = await writer.finish({
    name: path.basename(root),
    source: 'synthetic',
    imageSize: options.imageSize,
    settings: syntheticSettings(options),
  });
  return { info, discarded };
}
