/**
 * Labelled folders → the shared dataset format. Reads `<root>/<label>/<image>` (or `<root>/<split>/<label>/<image>`,
 * FER2013's layout), or a CSV of path, label and (optionally) identity and split; aligns each face (or takes it as
 * given with `aligned`) and derives FEC-style two-class triplets: two faces that share a label, one that does not
 * (the odd one out, so the negative). Splits never share a face, nor a person when identities are known.
 */
import { isFaceApiDetectorModel, type FaceApiDetectorModel } from '@feenet/alignment';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { splitCsvLine } from '../fec/csv-line';
import { SeededRandom } from '../random';
import { DatasetWriter } from '../store';
import { paddedFaceSize, padTightFace } from '../padded-face';
import { SPLITS, type DatasetInfo, type FaceRecord, type Split, type Triplet } from '../types';
import { pickFace, type FaceAligner } from './face-aligner';

export interface FolderSourceOptions {
  /** The folder of labelled faces. */
  root: string;
  /** CSV with a header naming path (or file/image), label, and optionally identity (or person/subject) and split. */
  labelsCsv: string | null;
  /** Faces are already cropped: use them as given (resized to `imageSize`) instead of detecting and aligning. */
  aligned: boolean;
  /** Side of the written faces; null = the aligner's default (224) or, with `aligned`, the first image's side. */
  imageSize: number | null;
  seed: number;
  /** Share of the source's training faces (or persons) held out as the validation split. */
  validationShare: number;
  /** Used only when the source has no splits of its own (no split folders or CSV column). */
  splitShares: Record<Split, number>;
  /** Seeded cap per label and source split (null: all). */
  maxFacesPerLabel: number | null;
  /** Seeded cap on the faces of each source split, applied after the per-label cap (null: all). */
  limit: number | null;
  /** Triplets to derive per split. */
  triplets: Record<Split, number>;
  /** With identities: draw each similar pair from two different people, so identity cannot explain the pair. */
  crossIdentityPairs: boolean;  /**
   * With `aligned`: a border added on each side, as a share of the face's side, by replicating edge pixels. Tight
   * crops (FER2013) sit in the frame where an aligned crop has its face with 1/6 (face-api's feature box).
   */
  pad: number;
  /** Face detector the aligner uses when `aligned` is false (face-api's: ssd-mobilenet-v1 or tiny-face-detector). */
  detector: FaceApiDetectorModel;
}

export const DEFAULT_FOLDER_OPTIONS: Omit<FolderSourceOptions, 'root'> = {
  labelsCsv: null,
  aligned: false,
  imageSize: null,
  seed: 7,
  validationShare: 0.1,
  splitShares: { train: 0.8, validation: 0.1, test: 0.1 },
  maxFacesPerLabel: null,
  limit: null,
  triplets: { train: 30000, validation: 2000, test: 5000 },
  crossIdentityPairs: true,
  detector: 'ssd-mobilenet-v1',
  pad: 0,
};

export interface FolderEntry {
  /** Path relative to the root, with forward slashes. */
  rel: string;
  label: string;
  person?: string;
  /** The split the source assigns, if any ('validation' covers val/valid folders). */
  sourceSplit?: Split;
}

export interface FolderPrepareProgress {
  stage: 'faces' | 'triplets';
  done: number;
  total: number;
}

export interface FolderPrepareSummary {
  info: DatasetInfo;
  found: number;
  /** Faces left out by `maxFacesPerLabel` / `limit`. */
  capped: number;
  /** Faces dropped because no face was found or the file did not decode, by failure kind. */
  failures: Record<string, number>;
  /** Faces reused from an interrupted run with the same settings. */
  reused: number;
  facesPerLabel: Record<Split, Record<string, number>>;
  /** Persons present in more than one source split (their faces outside the first split are dropped). */
  personsAcrossSplits: number;
  seconds: number;
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif']);
const SPLIT_DIRS: Record<string, Split> = {
  train: 'train',
  training: 'train',
  val: 'validation',
  valid: 'validation',
  validation: 'validation',
  test: 'test',
  testing: 'test',
};
const STATE_FILE = '.folder-prepare.json';

async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listImages(full)));
    else if (IMAGE_EXT.has(path.extname(e.name).toLowerCase())) out.push(full);
  }
  return out;
}

/** The labelled faces under `root`: from the CSV if given, else from `<label>/` or `<split>/<label>/` folders. */
export async function scanLabelledFolder(root: string, labelsCsv: string | null): Promise<FolderEntry[]> {
  if (!existsSync(root)) throw new Error(`folder not found: ${root}`);
  if (labelsCsv) return readLabelsCsv(root, labelsCsv);
  const top = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  const splitDirs = top.filter((e) => SPLIT_DIRS[e.name.toLowerCase()]);
  const entries: FolderEntry[] = [];
  const addLabelDirs = async (dir: string, sourceSplit: Split | undefined) => {
    const labels = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
    labels.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const l of labels) {
      for (const file of await listImages(path.join(dir, l.name))) {
        entries.push({ rel: path.relative(root, file).split(path.sep).join('/'), label: l.name, ...(sourceSplit ? { sourceSplit } : {}) });
      }
    }
  };
  if (splitDirs.length > 0) {
    for (const d of splitDirs) await addLabelDirs(path.join(root, d.name), SPLIT_DIRS[d.name.toLowerCase()]);
  } else {
    await addLabelDirs(root, undefined);
  }
  if (entries.length === 0) throw new Error(`no images under ${root} in <label>/<image> or <split>/<label>/<image> folders`);
  return entries;
}

function readLabelsCsv(root: string, csv: string): FolderEntry[] {
  const lines = readFileSync(csv, 'utf8').split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.toLowerCase());
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const iPath = col('path', 'file', 'image', 'filename');
  const iLabel = col('label', 'expression', 'emotion', 'class');
  const iPerson = col('identity', 'person', 'subject', 'id_person');
  const iSplit = col('split', 'usage', 'set');
  if (iPath < 0 || iLabel < 0) throw new Error(`${csv}: the header needs a path column and a label column, got "${lines[0]}"`);
  const entries: FolderEntry[] = [];
  const bad: string[] = [];
  lines.slice(1).forEach((line, k) => {
    if (line.trim() === '') return;
    let f: string[];
    try {
      f = splitCsvLine(line);
    } catch (err) {
      bad.push(`${csv}:${k + 2}: ${(err as Error).message}`);
      return;
    }
    const rel = f[iPath];
    const label = f[iLabel];
    if (!rel || !label) {
      bad.push(`${csv}:${k + 2}: missing path or label`);
      return;
    }
    const split = iSplit >= 0 ? SPLIT_DIRS[(f[iSplit] ?? '').toLowerCase()] : undefined;
    if (iSplit >= 0 && f[iSplit] && !split) {
      bad.push(`${csv}:${k + 2}: unknown split "${f[iSplit]}"`);
      return;
    }
    const person = iPerson >= 0 ? f[iPerson] : undefined;
    entries.push({ rel: rel.split(path.sep).join('/'), label, ...(person ? { person } : {}), ...(split ? { sourceSplit: split } : {}) });
  });
  if (bad.length > 0) throw new Error(`${bad.length} bad rows in ${csv}:\n${bad.slice(0, 10).join('\n')}`);
  if (entries.length === 0) throw new Error(`${csv} lists no faces`);
  for (const e of entries.slice(0, 5)) if (!existsSync(path.join(root, e.rel))) throw new Error(`${csv} names ${e.rel}, not found under ${root}`);
  return entries;
}

/** Seeded subsample per source split: at most `maxFacesPerLabel` per label, then at most `limit` faces. */
function capEntries(entries: FolderEntry[], o: FolderSourceOptions, rng: SeededRandom): FolderEntry[] {
  if (o.maxFacesPerLabel === null && o.limit === null) return entries;
  const groups = new Map<string, FolderEntry[]>();
  for (const e of entries) {
    const key = e.sourceSplit ?? 'all';
    const list = groups.get(key) ?? [];
    list.push(e);
    groups.set(key, list);
  }
  const kept: FolderEntry[] = [];
  for (const [, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let g = group;
    if (o.maxFacesPerLabel !== null) {
      const byLabel = new Map<string, FolderEntry[]>();
      for (const e of g) {
        const list = byLabel.get(e.label) ?? [];
        list.push(e);
        byLabel.set(e.label, list);
      }
      g = [...byLabel.values()].flatMap((list) => rng.shuffle([...list]).slice(0, o.maxFacesPerLabel!));
    }
    if (o.limit !== null && g.length > o.limit) g = rng.shuffle([...g]).slice(0, o.limit);
    kept.push(...g);
  }
  const keep = new Set(kept);
  return entries.filter((e) => keep.has(e)); // source order, so ids and files stay stable
}

/** Final split of each face: source splits kept (train loses a validation slice), or seeded shares; by person when known. */
function assignSplits(entries: FolderEntry[], o: FolderSourceOptions, rng: SeededRandom): { split: Map<FolderEntry, Split>; personsAcrossSplits: number } {
  const split = new Map<FolderEntry, Split>();
  const unitOf = (e: FolderEntry) => (e.person !== undefined ? `p:${e.person}` : `f:${e.rel}`);
  const hasSource = entries.some((e) => e.sourceSplit);
  let personsAcrossSplits = 0;
  if (hasSource) {
    // A person seen in several source splits stays in the first (train < validation < test) and loses the others.
    const firstSplitOfPerson = new Map<string, Split>();
    for (const s of SPLITS) for (const e of entries) if (e.person !== undefined && e.sourceSplit === s && !firstSplitOfPerson.has(e.person)) firstSplitOfPerson.set(e.person, s);
    const crossed = new Set<string>();
    const valUnits = new Set<string>();
    const trainUnits = [...new Set(entries.filter((e) => (e.sourceSplit ?? 'train') === 'train').map(unitOf))];
    const hasValidation = entries.some((e) => e.sourceSplit === 'validation');
    if (!hasValidation) for (const u of rng.shuffle(trainUnits).slice(0, Math.round(trainUnits.length * o.validationShare))) valUnits.add(u);
    for (const e of entries) {
      const s = e.sourceSplit ?? 'train';
      if (e.person !== undefined && firstSplitOfPerson.get(e.person) !== s) {
        crossed.add(e.person);
        continue;
      }
      split.set(e, s === 'train' && valUnits.has(unitOf(e)) ? 'validation' : s);
    }
    personsAcrossSplits = crossed.size;
  } else {
    const units = rng.shuffle([...new Set(entries.map(unitOf))]);
    const nTrain = Math.round(units.length * o.splitShares.train);
    const nVal = Math.round(units.length * o.splitShares.validation);
    const splitOfUnit = new Map(units.map((u, i) => [u, (i < nTrain ? 'train' : i < nTrain + nVal ? 'validation' : 'test') as Split]));
    for (const e of entries) split.set(e, splitOfUnit.get(unitOf(e))!);
  }
  return { split, personsAcrossSplits };
}

/**
 * Two-class triplets over the faces of one split: a label with ≥ 2 faces for the similar pair (anchor, positive),
 * another label for the odd one out (negative); labels drawn uniformly so rare labels count as much as common
 * ones. With `crossIdentityPairs` and identities, anchor and positive are different people. No triplet repeats.
 */
export function deriveTwoClassTriplets(faces: readonly FaceRecord[], count: number, split: Split, rng: SeededRandom, crossIdentityPairs: boolean): Triplet[] {
  const byLabel = new Map<string, FaceRecord[]>();
  for (const f of faces) {
    if (f.label === undefined) continue;
    const list = byLabel.get(f.label) ?? [];
    list.push(f);
    byLabel.set(f.label, list);
  }
  const labels = [...byLabel.keys()].sort();
  const pairLabels = labels.filter((l) => byLabel.get(l)!.length >= 2);
  if (count <= 0 || pairLabels.length === 0 || labels.length < 2) return [];
  const out: Triplet[] = [];
  const seen = new Set<string>();
  const maxAttempts = count * 20;
  for (let attempt = 0; out.length < count && attempt < maxAttempts; attempt++) {
    const la = rng.pick(pairLabels);
    let ln = rng.pick(labels);
    if (ln === la) ln = labels[(labels.indexOf(la) + 1 + rng.int(labels.length - 1)) % labels.length]!;
    const same = byLabel.get(la)!;
    const anchor = rng.pick(same);
    let positive = rng.pick(same);
    if (crossIdentityPairs && anchor.person !== undefined) {
      for (let k = 0; k < 8 && (positive === anchor || positive.person === anchor.person); k++) positive = rng.pick(same);
      if (positive.person === anchor.person) continue;
    }
    if (positive === anchor) continue;
    const negative = rng.pick(byLabel.get(ln)!);
    const key = `${[anchor.id, positive.id].sort().join('|')}|${negative.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ anchor: anchor.id, positive: positive.id, negative: negative.id, type: 'TWO_CLASS', agreement: 1, split });
  }
  return out;
}

/** A face id from its path: no extension, forward slashes (stable across runs and machines). */
const faceIdOf = (rel: string) => rel.replace(/\.[^./]+$/, '');

/** The settings a dataset was made with: what `ensureDataset` compares to decide whether to rebuild. */
export function folderSettings(o: FolderSourceOptions): Record<string, unknown> {
  return { ...o, root: path.resolve(o.root), labelsCsv: o.labelsCsv ? path.resolve(o.labelsCsv) : null };
}

/**
 * Builds the dataset under `out`. With `aligned: false` an aligner is required (faces without a detectable face are
 * dropped and counted). A rerun with the same settings after an interruption reuses the faces already written.
 */
export async function prepareFolderDataset(
  out: string,
  options: FolderSourceOptions,
  context: { aligner?: FaceAligner; onProgress?: (p: FolderPrepareProgress) => void; signal?: AbortSignal } = {},
): Promise<FolderPrepareSummary> {
  const started = performance.now();
  const o = options;
  if (!o.aligned && !context.aligner) throw new Error('a labelled folder that is not already aligned needs an aligner (or pass aligned: true)');
  if (!(o.validationShare >= 0 && o.validationShare < 1)) throw new Error('validationShare must be in [0, 1)');
  const settings = folderSettings(o);
  const stateFile = path.join(out, STATE_FILE);
  const sameSettings = existsSync(stateFile) && JSON.stringify(JSON.parse(readFileSync(stateFile, 'utf8'))) === JSON.stringify(settings);
  if (!sameSettings) await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await writeFile(stateFile, JSON.stringify(settings));

  const rng = new SeededRandom(o.seed);
  const all = await scanLabelledFolder(o.root, o.labelsCsv);
  const entries = capEntries(all, o, rng.fork(1));
  const { split, personsAcrossSplits } = assignSplits(entries, o, rng.fork(2));

  let imageSize = o.imageSize;
  if (imageSize === null) {
    if (o.aligned) {
      const meta = await sharp(path.join(o.root, entries[0]!.rel)).metadata();
      imageSize = paddedFaceSize(meta.width ?? 0, meta.height ?? 0, o.pad);
      if (!imageSize) throw new Error(`cannot read the size of ${entries[0]!.rel}`);
    } else {
      imageSize = 224;
    }
  }

  // 1. Faces: convert (aligned) or detect + align, a few at a time; existing PNGs from an interrupted run are kept.
  const records: (FaceRecord | undefined)[] = [];
  const failures: Record<string, number> = {};
  let reused = 0;
  let done = 0;
  const work = entries.filter((e) => split.has(e));
  const one = async (e: FolderEntry, k: number) => {
    const id = faceIdOf(e.rel);
    const file = `faces/${id}.png`;
    const target = path.join(out, file);
    const source: Record<string, unknown> = { path: e.rel };
    if (sameSettings && existsSync(target) && (await stat(target)).size > 0) {
      reused++;
    } else {
      await mkdir(path.dirname(target), { recursive: true });
      const abs = path.join(o.root, e.rel);
      if (o.aligned) {
        try {
          const { data, width, height } = await padTightFace(abs, { pad: o.pad, size: imageSize });
          await sharp(data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6 }).toFile(`${target}.tmp`);
        } catch (err) {
          const kind = /unsupported image format/i.test((err as Error).message) ? 'not-an-image' : 'corrupt';
          failures[kind] = (failures[kind] ?? 0) + 1;
          return;
        }
      } else {
        const result = await context.aligner!.alignImage(await readFile(abs).catch(() => new Uint8Array()));
        const face = result.ok ? pickFace(result.faces) : undefined;
        if (!result.ok || !face) {
          const kind = result.ok ? 'no-face' : result.error.kind;
          failures[kind] = (failures[kind] ?? 0) + 1;
          return;
        }
        const { data, width, height } = face.image;
        await sharp(data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6 }).toFile(`${target}.tmp`);
        Object.assign(source, { box: face.box, score: face.quality.score, passesQuality: face.passesQuality, qualityIssues: face.qualityIssues });
      }
      // Written under a temporary name first: a PNG under its final name is always complete.
      await rename(`${target}.tmp`, target);
    }
    records[k] = { id, file, split: split.get(e)!, label: e.label, ...(e.person !== undefined ? { person: e.person } : {}), source };
  };
  const concurrency = o.aligned ? 4 : 2;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let k = next++; k < work.length; k = next++) {
        if (context.signal?.aborted) throw new Error('interrupted: rerun with the same settings to continue');
        await one(work[k]!, k);
        if (++done % 100 === 0 || done === work.length) context.onProgress?.({ stage: 'faces', done, total: work.length });
      }
    }),
  );

  // 2. The tables: faces, then triplets per split.
  const writer = await DatasetWriter.create(out);
  const faces = records.filter((r): r is FaceRecord => r !== undefined);
  const facesPerLabel: Record<Split, Record<string, number>> = { train: {}, validation: {}, test: {} };
  for (const f of faces) {
    writer.addFace(f);
    facesPerLabel[f.split][f.label!] = (facesPerLabel[f.split][f.label!] ?? 0) + 1;
  }
  const tripletRng = rng.fork(3);
  for (const s of SPLITS) {
    const triplets = deriveTwoClassTriplets(
      faces.filter((f) => f.split === s),
      o.triplets[s],
      s,
      tripletRng.fork(SPLITS.indexOf(s) + 1),
      o.crossIdentityPairs,
    );
    for (const t of triplets) writer.addTriplet(t);
    context.onProgress?.({ stage: 'triplets', done: SPLITS.indexOf(s) + 1, total: SPLITS.length });
  }
  const info = await writer.finish({ name: path.basename(path.resolve(out)), source: 'folder', imageSize, settings });
  return { info, found: all.length, capped: all.length - entries.length, failures, reused, facesPerLabel, personsAcrossSplits, seconds: (performance.now() - started) / 1000 };
}

/** Checks folder settings (from a config file or flags) and names the first problem; returns it or throws. */
export function validateFolderOptions(o: Partial<FolderSourceOptions>): string | undefined {
  const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const isCap = (v: unknown) => v === null || (typeof v === 'number' && Number.isInteger(v) && v > 0);
  if (typeof o.root !== 'string' || o.root === '') return 'the labelled folder (root) must be a path';
  if (o.labelsCsv !== null && typeof o.labelsCsv !== 'string') return 'labelsCsv must be a path or null';
  if (typeof o.aligned !== 'boolean') return 'aligned must be true or false';
  if (!(o.imageSize === null || (Number.isInteger(o.imageSize) && o.imageSize! >= 16 && o.imageSize! <= 1024))) return 'imageSize must be null or an integer in [16, 1024]';
  if (!Number.isInteger(o.seed)) return 'seed must be an integer';
  if (!(typeof o.validationShare === 'number' && o.validationShare >= 0 && o.validationShare < 1)) return 'validationShare must be in [0, 1)';
  const shares = o.splitShares;
  if (!shares || !SPLITS.every((s) => typeof shares[s] === 'number' && shares[s] >= 0) || Math.abs(SPLITS.reduce((a, s) => a + shares[s], 0) - 1) > 1e-6) return 'splitShares must be three non-negative shares summing to 1';
  if (!isCap(o.maxFacesPerLabel)) return 'maxFacesPerLabel must be null or a positive integer';
  if (!isCap(o.limit)) return 'limit must be null or a positive integer';
  if (!o.triplets || !SPLITS.every((s) => isCount(o.triplets![s]))) return 'triplets must give a non-negative integer count for train, validation and test';
  if (o.triplets.train === 0) return 'triplets.train must be positive';
  if (typeof o.crossIdentityPairs !== 'boolean') return 'crossIdentityPairs must be true or false';
  if (!(typeof o.pad === 'number' && o.pad >= 0 && o.pad <= 1)) return 'pad must be in [0, 1]';
  if (!isFaceApiDetectorModel(o.detector)) return `detector must be ssd-mobilenet-v1 or tiny-face-detector, got ${JSON.stringify(o.detector)}`;
  return undefined;
}
