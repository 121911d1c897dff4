/**
 * FEC → the shared dataset format: parse the CSVs, download each distinct image once (resumable cache), crop each
 * face by its box with a margin, align it, and write aligned faces, the face and triplet tables and a summary.
 * Triplets that lose a face (dead link, no face found) are dropped and counted. Rerunning after an interruption
 * reuses every download and every aligned face (faces.journal.jsonl) and finishes the job.
 *
 * Splits: the train CSV gives train plus a seeded validation slice of its triplets; the test CSV gives test.
 * FEC reuses each face in many triplets, so validation triplets share faces with training ones (they are new
 * triplets, not new faces); the test CSV is the held-out measure. Face ids carry their split (`train-…`,
 * `val-…`, `test-…`); the records of one face in several splits point to the same image file.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { pickFace, type FaceAligner } from '../folder/face-aligner';
import { SeededRandom } from '../random';
import { DatasetWriter } from '../store';
import { TRIPLET_TYPES, type DatasetInfo, type FaceRecord, type Split, type Triplet, type TripletType } from '../types';
import { downloadImages, type DownloadOptions, type DownloadSummary } from './downloader';
import { parseFecCsv, shortHash, type FecFace, type FecIssue, type FecTriplet } from './fec-csv';

export interface FecPrepareOptions {
  trainCsv: string;
  /** The published test CSV; null = no test split. */
  testCsv: string | null;
  /** Download cache (default `<out>/downloads`): keep it to rerun or re-prepare without downloading again. */
  cacheDir: string | null;
  minAgreement: number;
  /**
   * Added on each side of FEC's box before alignment, as a share of the box's width and height. The aligned crop
   * reaches ~1.5 box widths around the face, so a smaller margin leaves replicated edges in it.
   */
  margin: number;
  /** Side of the aligned faces. */
  size: number;
  /** Share of the train CSV's triplets held out as validation. */
  validationShare: number;
  seed: number;
  download: Omit<DownloadOptions, 'cacheDir' | 'signal' | 'fetch'>;
}

export const DEFAULT_FEC_OPTIONS: Omit<FecPrepareOptions, 'trainCsv'> = {
  testCsv: null,
  cacheDir: null,
  minAgreement: 2 / 3,
  margin: 0.5,
  size: 224,
  validationShare: 0.05,
  seed: 11,
  download: {},
};

export type FecPrepareProgress =
  | { stage: 'download'; done: number; total: number; ok: number; dead: number; failed: number; fromCache: number }
  | { stage: 'align'; done: number; total: number; aligned: number; failed: number; reused: number };

export interface FecCsvReport {
  file: string;
  rows: number;
  malformed: FecIssue[];
  tied: number;
  lowAgreement: number;
  keptPerType: Record<TripletType, number>;
}

export interface FecPrepareSummary {
  /** Null when interrupted before the tables were written. */
  info: DatasetInfo | null;
  csv: FecCsvReport[];
  download: Omit<DownloadSummary, 'results'>;
  images: number;
  /** Distinct faces (URL + box) named by kept triplets. */
  faces: number;
  facesAligned: number;
  /** Faces whose image could not be downloaded (dead or failed this run). */
  facesLostToDownloads: number;
  /** Faces with an image but no usable aligned crop, by kind (no-face, corrupt, ...). */
  alignmentFailures: Record<string, number>;
  facesReused: number;
  /** Faces named by both CSVs. */
  facesInTrainAndTest: number;
  /** Triplets written, per split and type. */
  triplets: Record<Split, Record<TripletType, number>>;
  /** Kept by agreement but dropped because a face was lost. */
  tripletsLostFaces: number;
  aborted: boolean;
  seconds: number;
}

interface JournalLine {
  key: string;
  ok: boolean;
  reason?: string;
  box?: { x: number; y: number; width: number; height: number };
  score?: number;
  passesQuality?: boolean;
}

const JOURNAL = 'faces.journal.jsonl';
const SETTINGS = '.fec-prepare.json';

const fileOf = (id: string) => `faces/${id.slice(0, 2)}/${id}.png`;

function readJournal(file: string): Map<string, JournalLine> {
  const done = new Map<string, JournalLine>();
  if (!existsSync(file)) return done;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const j = JSON.parse(line) as JournalLine;
      if (typeof j.key === 'string') done.set(j.key, j);
    } catch {
      // a partial last line from an interrupted run
    }
  }
  return done;
}

/** FEC's box plus `margin` on each side, in pixels of a `width`×`height` image, clipped to it. */
export function cropRegion(face: Pick<FecFace, 'left' | 'right' | 'top' | 'bottom'>, width: number, height: number, margin: number): { left: number; top: number; width: number; height: number } {
  const w = (face.right - face.left) * width;
  const h = (face.bottom - face.top) * height;
  const x0 = Math.max(0, Math.floor(face.left * width - margin * w));
  const y0 = Math.max(0, Math.floor(face.top * height - margin * h));
  const x1 = Math.min(width, Math.ceil(face.right * width + margin * w));
  const y1 = Math.min(height, Math.ceil(face.bottom * height + margin * h));
  return { left: x0, top: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/** Whether a detected face's centre lies inside FEC's box (so it is the face the box names). */
function insideBox(face: { box: { x: number; y: number; width: number; height: number } }, f: FecFace, width: number, height: number): boolean {
  const cx = (face.box.x + face.box.width / 2) / width;
  const cy = (face.box.y + face.box.height / 2) / height;
  return cx >= f.left && cx <= f.right && cy >= f.top && cy <= f.bottom;
}

export async function prepareFecDataset(
  out: string,
  options: FecPrepareOptions,
  context: { aligner: FaceAligner; fetch?: typeof fetch; signal?: AbortSignal; onProgress?: (p: FecPrepareProgress) => void },
): Promise<FecPrepareSummary> {
  const started = performance.now();
  const o = options;
  const cacheDir = o.cacheDir ?? path.join(out, 'downloads');

  // 1. The CSVs.
  const sources: { split: 'train' | 'test'; file: string }[] = [{ split: 'train', file: o.trainCsv }, ...(o.testCsv ? [{ split: 'test' as const, file: o.testCsv }] : [])];
  const csv: FecCsvReport[] = [];
  const parsed: { split: 'train' | 'test'; triplets: FecTriplet[] }[] = [];
  for (const s of sources) {
    const r = parseFecCsv(readFileSync(s.file, 'utf8'), { minAgreement: o.minAgreement });
    csv.push({ file: s.file, rows: r.rows, malformed: r.issues, tied: r.tied, lowAgreement: r.lowAgreement, keptPerType: r.keptPerType });
    parsed.push({ split: s.split, triplets: r.kept });
  }
  const faces = new Map<string, FecFace>();
  for (const p of parsed) for (const t of p.triplets) for (const f of t.faces) faces.set(f.key, f);
  const urls = [...new Set([...faces.values()].map((f) => f.url))];

  // 2. Downloads.
  const download = await downloadImages(
    urls,
    { ...o.download, cacheDir, ...(context.signal ? { signal: context.signal } : {}), ...(context.fetch ? { fetch: context.fetch } : {}) },
    (p) => context.onProgress?.({ stage: 'download', done: p.done, total: p.total, ok: p.ok, dead: p.dead, failed: p.failed, fromCache: p.fromCache }),
  );
  const { results, ...downloadCounts } = download;
  const summary: FecPrepareSummary = {
    info: null,
    csv,
    download: downloadCounts,
    images: urls.length,
    faces: faces.size,
    facesAligned: 0,
    facesLostToDownloads: 0,
    alignmentFailures: {},
    facesReused: 0,
    facesInTrainAndTest: 0,
    triplets: { train: { ONE_CLASS: 0, TWO_CLASS: 0, THREE_CLASS: 0 }, validation: { ONE_CLASS: 0, TWO_CLASS: 0, THREE_CLASS: 0 }, test: { ONE_CLASS: 0, TWO_CLASS: 0, THREE_CLASS: 0 } },
    tripletsLostFaces: 0,
    aborted: download.aborted,
    seconds: 0,
  };
  const finish = () => {
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  };
  if (download.aborted) return finish();

  // 3. Crop + align each face whose image arrived, image by image; the journal makes this resumable.
  const settings = { margin: o.margin, size: o.size, aligner: context.aligner.description };
  const settingsFile = path.join(out, SETTINGS);
  await mkdir(out, { recursive: true });
  if (!existsSync(settingsFile) || readFileSync(settingsFile, 'utf8') !== JSON.stringify(settings)) {
    await rm(path.join(out, 'faces'), { recursive: true, force: true });
    await rm(path.join(out, JOURNAL), { force: true });
    await writeFile(settingsFile, JSON.stringify(settings));
  }
  const journalFile = path.join(out, JOURNAL);
  const journal = readJournal(journalFile);
  const byUrl = new Map<string, FecFace[]>();
  for (const f of faces.values()) {
    const list = byUrl.get(f.url) ?? [];
    list.push(f);
    byUrl.set(f.url, list);
  }
  const outcome = new Map<string, JournalLine>();
  const toAlign = [...faces.values()].filter((f) => results.get(f.url)?.status === 'ok').length;
  summary.facesLostToDownloads = faces.size - toAlign;
  let done = 0;
  const report = () => context.onProgress?.({ stage: 'align', done, total: toAlign, aligned: summary.facesAligned, failed: Object.values(summary.alignmentFailures).reduce((a, b) => a + b, 0), reused: summary.facesReused });
  const record = (line: JournalLine, reused: boolean) => {
    outcome.set(line.key, line);
    if (line.ok) summary.facesAligned++;
    else summary.alignmentFailures[line.reason!] = (summary.alignmentFailures[line.reason!] ?? 0) + 1;
    if (reused) summary.facesReused++;
    done++;
    if (done % 25 === 0) report();
  };
  for (const [url, list] of byUrl) {
    if (context.signal?.aborted) {
      summary.aborted = true;
      return finish();
    }
    const result = results.get(url);
    if (result?.status !== 'ok') continue;
    const pending = list.filter((f) => {
      const j = journal.get(f.key);
      if (j && (!j.ok || existsSync(path.join(out, fileOf(shortHash(f.key)))))) {
        record(j, true);
        return false;
      }
      return true;
    });
    if (pending.length === 0) continue;
    let image: { data: Buffer; width: number; height: number } | undefined;
    try {
      const { data, info } = await sharp(await readFile(result.file), { failOn: 'truncated' }).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      image = { data, width: info.width, height: info.height };
    } catch {
      image = undefined;
    }
    let whole: Awaited<ReturnType<FaceAligner['alignImage']>> | undefined;
    for (const f of pending) {
      let line: JournalLine;
      if (!image) {
        line = { key: f.key, ok: false, reason: 'corrupt' };
      } else {
        let region = cropRegion(f, image.width, image.height, o.margin);
        const raw = { raw: { width: image.width, height: image.height, channels: 3 as const } };
        let aligned = await context.aligner.alignImage(await sharp(image.data, raw).extract(region).png({ compressionLevel: 1 }).toBuffer());
        if (!aligned.ok && aligned.error.kind === 'no-face') {
          // Detectors miss faces that fill their frame: look in the whole photo, keep a face centred in FEC's box.
          if (!whole) whole = await context.aligner.alignImage(await sharp(image.data, raw).png({ compressionLevel: 1 }).toBuffer());
          region = { left: 0, top: 0, width: image.width, height: image.height };
          aligned = whole;
        }
        // The face meant is the one nearest the centre of FEC's box (other people may be in the margin).
        const centre = { x: ((f.left + f.right) / 2) * image.width - region.left, y: ((f.top + f.bottom) / 2) * image.height - region.top };
        let face = aligned.ok ? pickFace(aligned.faces, centre) : undefined;
        if (face && region.left === 0 && region.width === image.width && !insideBox(face, f, image.width, image.height)) face = undefined;
        if (!aligned.ok || !face) {
          line = { key: f.key, ok: false, reason: aligned.ok ? 'no-face' : aligned.error.kind };
        } else {
          const target = path.join(out, fileOf(shortHash(f.key)));
          await mkdir(path.dirname(target), { recursive: true });
          await sharp(face.image.data, { raw: { width: face.image.width, height: face.image.height, channels: 3 } }).png({ compressionLevel: 6 }).toFile(`${target}.part`);
          await rename(`${target}.part`, target);
          const box = { x: face.box.x + region.left, y: face.box.y + region.top, width: face.box.width, height: face.box.height };
          line = { key: f.key, ok: true, box, score: face.quality.score, passesQuality: face.passesQuality };
        }
      }
      appendFileSync(journalFile, `${JSON.stringify(line)}\n`);
      record(line, false);
    }
  }
  report();

  // 4. The tables. Validation: a seeded slice of the train CSV's triplets.
  const rng = new SeededRandom(o.seed);
  const writer = await DatasetWriter.create(out);
  const written = new Set<string>();
  const faceSplits = new Map<string, Set<Split>>();
  const idFor = (f: FecFace, split: Split) => {
    const hash = shortHash(f.key);
    const id = `${split === 'validation' ? 'val' : split}-${hash}`;
    if (!written.has(id)) {
      written.add(id);
      const j = outcome.get(f.key)!;
      writer.addFace({
        id,
        file: fileOf(hash),
        split,
        source: { url: f.url, box: { left: f.left, right: f.right, top: f.top, bottom: f.bottom }, detection: j.box, score: j.score, passesQuality: j.passesQuality },
      } satisfies FaceRecord);
      const splits = faceSplits.get(f.key) ?? new Set<Split>();
      splits.add(split);
      faceSplits.set(f.key, splits);
    }
    return id;
  };
  for (const p of parsed) {
    for (const t of p.triplets) {
      if (!t.faces.every((f) => outcome.get(f.key)?.ok)) {
        summary.tripletsLostFaces++;
        continue;
      }
      const split: Split = p.split === 'test' ? 'test' : rng.next() < o.validationShare ? 'validation' : 'train';
      const odd = t.odd!;
      const pair = t.faces.filter((_, i) => i !== odd);
      const triplet: Triplet & { raters: number; votes: number[]; csvLine: number } = {
        anchor: idFor(pair[0]!, split),
        positive: idFor(pair[1]!, split),
        negative: idFor(t.faces[odd]!, split),
        type: t.type,
        agreement: t.agreement,
        split,
        raters: t.raters,
        votes: t.votes,
        csvLine: t.line,
      };
      writer.addTriplet(triplet);
      summary.triplets[split][t.type]++;
    }
  }
  summary.facesInTrainAndTest = [...faceSplits.values()].filter((s) => s.has('test') && (s.has('train') || s.has('validation'))).length;
  summary.info = await writer.finish({
    name: path.basename(path.resolve(out)),
    source: 'fec',
    imageSize: o.size,
    settings: { trainCsv: path.resolve(o.trainCsv), testCsv: o.testCsv ? path.resolve(o.testCsv) : null, minAgreement: o.minAgreement, margin: o.margin, size: o.size, validationShare: o.validationShare, seed: o.seed, aligner: context.aligner.description },
  });
  finish();
  await writeFile(path.join(out, 'prepare-summary.json'), `${JSON.stringify({ ...summary, csv: summary.csv.map((c) => ({ ...c, malformed: c.malformed.length })) }, null, 2)}\n`);
  return summary;
}

/** Triplet counts per type, summed over splits (for printing). */
export function tripletsPerType(s: FecPrepareSummary): Record<TripletType, number> {
  const out = { ONE_CLASS: 0, TWO_CLASS: 0, THREE_CLASS: 0 };
  for (const split of ['train', 'validation', 'test'] as const) for (const t of TRIPLET_TYPES) out[t] += s.triplets[split][t];
  return out;
}
