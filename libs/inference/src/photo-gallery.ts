/**
 * A folder of photos (or of face crops) → a gallery: every face found is aligned, embedded with a trained run and
 * written in libs/clustering's gallery format, its aligned crop as PNG next to it. `trainer:embed` and the
 * workbench's import jobs both run this.
 *
 * Resumable: `embed-log.jsonl` in the gallery folder gets one line per finished image (its faces with their
 * embeddings, or its failure) after the crops are on disk; a rerun with the same settings skips those images.
 * Once `gallery.json` is written a rerun does nothing unless `force`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createAligner, createAlignerPool, type Aligner, type FaceApiDetectorModel } from '@feenet/alignment';
import { createGallery, embeddingMatrix, loadGallery, saveGallery, type FaceRecord } from '@feenet/clustering';
import type { EnginePreference } from './engine';
import { findFaces, folderOf, imageFilesUnder, writeFacePng, type FaceSource, type FoundFace, type FoundFaces } from './photo-faces';
import { openRunEmbedder } from './run-embedder';

export const EMBED_LOG = 'embed-log.jsonl';
const FACES_DIR = 'faces';
/** Faces embedded per model call; also how often the log is flushed. */
const EMBED_BATCH = 32;
const FILENAME_REGEX = 'filename-regex:';

/** Where a face's person comes from: its immediate subfolder, nowhere, or the first group of a regex on the file name. */
export type PersonRule = 'folder' | 'none' | `${typeof FILENAME_REGEX}${string}`;

export interface PhotoGalleryOptions {
  runDir: string;
  imagesDir: string;
  outDir: string;
  /** The files are already face crops: no detection, one face per file, `pad` of border added per side. */
  aligned: boolean;
  pad: number | null;
  /** Keep faces that fail the quality thresholds too. */
  keepAll: boolean;
  personFrom: PersonRule;
  labelFrom: 'folder' | 'none';
  detector: FaceApiDetectorModel | null;
  minConfidence: number | null;
  engine: EnginePreference;
  /** Threads aligning photos, one core each. */
  workers: number;
  /** Start over even if a gallery or an unfinished log with other settings is there. */
  force: boolean;
}

export type PhotoGalleryEvent =
  | { kind: 'log'; message: string }
  | { kind: 'failure'; source: string; failure: string; message: string }
  | { kind: 'progress'; done: number; total: number; faces: number; failures: number; imagesPerSecond: number; etaSeconds: number };

export type PhotoGalleryResult =
  | { status: 'exists'; faces: number; runId: string | null }
  | { status: 'stopped'; report: string; left: number }
  | { status: 'no-faces'; report: string }
  | { status: 'written'; report: string; faces: number; dim: number; engine: string; seconds: number; images: number; runId: string };

/** Settings that cannot work (a folder missing, an unfinished log with other settings): said plainly. */
export class PhotoGalleryError extends Error {
  override name = 'PhotoGalleryError';
}

/** Why a person rule cannot be used, or null. */
export function personRuleProblem(value: string): string | null {
  if (value === 'folder' || value === 'none') return null;
  if (!value.startsWith(FILENAME_REGEX)) return `must be folder, none or filename-regex:<re>, got "${value}"`;
  let re: RegExp;
  try {
    re = new RegExp(value.slice(FILENAME_REGEX.length));
  } catch (err) {
    return (err as Error).message;
  }
  return re.source.includes('(') ? null : 'filename-regex needs a group, e.g. filename-regex:^([a-z]+)_';
}

/** The person of an image path relative to the images folder, by the rule. */
function personReader(rule: PersonRule): (rel: string) => string | undefined {
  if (rule === 'none') return () => undefined;
  if (rule === 'folder') return folderOf;
  const re = new RegExp(rule.slice(FILENAME_REGEX.length));
  return (rel) => re.exec(path.posix.basename(rel))?.[1];
}

interface Settings {
  type: 'settings';
  runId: string;
  images: string;
  aligned: boolean;
  pad: number | null;
  keepAll: boolean;
  personFrom: string;
  labelFrom: 'folder' | 'none';
  detector: string | null;
  minConfidence: number | null;
}
interface SourceLine {
  type: 'source';
  source: string;
  faces: (FaceRecord & { embedding: number[] })[];
  /** Faces found but not kept, with why (quality). */
  dropped: { index: number; issues: string[] }[];
  /** How many of the kept faces the framed second look found (faces that fill their photo). */
  framed: number;
}
interface FailureLine {
  type: 'failure';
  source: string;
  kind: string;
  message: string;
}
type LogLine = SourceLine | FailureLine;

/** Reads a previous run's log: its settings and finished images (a torn last line is dropped). */
function readLog(file: string): { settings: Settings | null; lines: Map<string, LogLine> } {
  const lines = new Map<string, LogLine>();
  if (!existsSync(file)) return { settings: null, lines };
  let settings: Settings | null = null;
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    let line: Settings | LogLine;
    try {
      line = JSON.parse(text) as Settings | LogLine;
    } catch {
      continue;
    }
    if (line.type === 'settings') settings = line;
    else lines.set(line.source, line);
  }
  return { settings, lines };
}

async function openAligner(options: PhotoGalleryOptions, workers: number): Promise<Aligner> {
  const faceApi = { ...(options.detector ? { model: options.detector } : {}), ...(options.minConfidence !== null ? { minConfidence: options.minConfidence } : {}) };
  return workers > 1 ? createAlignerPool(workers, { faceApi }) : createAligner({ faceApi });
}

export async function buildPhotoGallery(
  options: PhotoGalleryOptions,
  { onEvent = () => {}, signal }: { onEvent?: (e: PhotoGalleryEvent) => void; signal?: AbortSignal } = {},
): Promise<PhotoGalleryResult> {
  const { imagesDir, outDir: out, runDir } = options;
  if (!existsSync(imagesDir)) throw new PhotoGalleryError(`images folder not found: ${imagesDir}`);
  const problem = personRuleProblem(options.personFrom);
  if (problem) throw new PhotoGalleryError(`person-from: ${problem}`);
  if (!(Number.isInteger(options.workers) && options.workers >= 1)) throw new PhotoGalleryError(`workers must be a whole number ≥ 1, got ${options.workers}`);
  const runId = path.basename(path.resolve(runDir));
  const settings: Settings = {
    type: 'settings',
    runId,
    images: imagesDir,
    aligned: options.aligned,
    pad: options.aligned ? options.pad : null,
    keepAll: options.keepAll,
    personFrom: options.personFrom,
    labelFrom: options.labelFrom,
    detector: options.detector,
    minConfidence: options.minConfidence,
  };
  const log = (message: string) => onEvent({ kind: 'log', message });
  const logFile = path.join(out, EMBED_LOG);

  if (options.force) {
    for (const f of ['gallery.json', 'embeddings.f32', EMBED_LOG, FACES_DIR]) await rm(path.join(out, f), { recursive: true, force: true });
  } else if (existsSync(path.join(out, 'gallery.json'))) {
    const existing = await loadGallery(out);
    return { status: 'exists', faces: existing.faces.length, runId: existing.model?.runId ?? null };
  }

  const previous = readLog(logFile);
  if (previous.settings && JSON.stringify(previous.settings) !== JSON.stringify(settings)) {
    throw new PhotoGalleryError(`${out} holds an unfinished embed with other settings (${EMBED_LOG}); rerun with those settings to resume, or force a fresh start (trainer:embed --force)`);
  }
  // Rewrite the log compacted (drops a torn last line) before appending to it.
  await mkdir(out, { recursive: true });
  await writeFile(logFile, [settings, ...previous.lines.values()].map((l) => `${JSON.stringify(l)}\n`).join(''));

  const files = imageFilesUnder(imagesDir);
  const todo = files.filter((f) => !previous.lines.has(f));
  log(`${files.length} files under ${imagesDir}${previous.lines.size ? `, ${files.length - todo.length} done by an earlier run` : ''} → ${out}`);

  const personOf = personReader(options.personFrom);
  const workers = Math.min(options.workers, Math.max(1, todo.length));
  const aligner = options.aligned ? null : await openAligner(options, workers);
  if (aligner) log(`aligning: ${aligner.description}${options.keepAll ? ' (keeping all faces)' : ' (keeping faces that pass quality)'}`);
  else log(`faces given as crops: no detection, border ${options.pad} of the side per side`);
  const embedder = await openRunEmbedder(runDir, { prefer: options.engine });
  log(`embedding: ${embedder.description}`);
  for (const reason of embedder.engine.skipped) log(`  skipped ${reason}`);

  const lines = new Map(previous.lines);
  const pending: { line: SourceLine; kept: FoundFace[] }[] = [];
  let pendingFaces = 0;
  const started = performance.now();
  let done = 0;
  // Faces and failures over this and earlier runs, as `done` counts images.
  let facesNow = [...previous.lines.values()].reduce((n, l) => n + (l.type === 'source' ? l.faces.length : 0), 0);
  let failuresNow = [...previous.lines.values()].filter((l) => l.type === 'failure').length;

  const flush = async () => {
    if (pending.length === 0) return;
    const all = pending.flatMap((p) => p.kept.map((f) => f.image));
    const embeddings = all.length ? await embedder.embedFaces(all) : new Float32Array(0);
    const dim = embedder.dim;
    let row = 0;
    const text: string[] = [];
    for (const p of pending) {
      p.line.faces.forEach((face, i) => {
        face.embedding = Array.from(embeddings.subarray((row + i) * dim, (row + i + 1) * dim));
      });
      row += p.kept.length;
      lines.set(p.line.source, p.line);
      text.push(`${JSON.stringify(p.line)}\n`);
    }
    await appendFile(logFile, text.join(''));
    pending.length = 0;
    pendingFaces = 0;
  };

  // Images are aligned ahead of the one being recorded (on the pool's workers), and recorded in order.
  const faceSource: FaceSource = aligner ? { kind: 'photos', aligner } : { kind: 'crops', pad: options.pad ?? 0 };
  const ahead: Promise<FoundFaces>[] = [];
  let dispatched = 0;
  const alignAhead = () => {
    while (ahead.length < 2 * workers && dispatched < todo.length) ahead.push(findFaces(faceSource, path.join(imagesDir, todo[dispatched++]!)));
  };
  try {
    for (const rel of todo) {
      if (signal?.aborted) break;
      alignAhead();
      const found = await ahead.shift()!;
      done++;
      if (!found.ok) {
        failuresNow++;
        onEvent({ kind: 'failure', source: rel, failure: found.kind, message: found.message });
        const line: FailureLine = { type: 'failure', source: rel, kind: found.kind, message: found.message };
        lines.set(rel, line);
        await appendFile(logFile, `${JSON.stringify(line)}\n`);
      } else {
        const kept = found.faces.filter((f) => options.keepAll || f.passesQuality);
        const folder = folderOf(rel);
        const line: SourceLine = {
          type: 'source',
          source: rel,
          faces: [],
          dropped: found.faces.filter((f) => !kept.includes(f)).map((f) => ({ index: f.index, issues: f.issues })),
          framed: kept.filter((f) => f.foundBy === 'framed').length,
        };
        const person = personOf(rel);
        for (const face of kept) {
          const image = `${FACES_DIR}/${rel}.${face.index}.png`;
          await writeFacePng(face.image, path.join(out, image));
          line.faces.push({
            id: options.aligned ? rel : `${rel}#${face.index}`,
            image,
            ...(person !== undefined ? { person } : {}),
            ...(options.labelFrom === 'folder' && folder !== undefined ? { label: folder } : {}),
            embedding: [],
          });
        }
        facesNow += kept.length;
        pending.push({ line, kept });
        pendingFaces += kept.length;
        if (pendingFaces >= EMBED_BATCH) await flush();
      }
      const rate = done / ((performance.now() - started) / 1000);
      onEvent({ kind: 'progress', done: files.length - todo.length + done, total: files.length, faces: facesNow, failures: failuresNow, imagesPerSecond: rate, etaSeconds: (todo.length - done) / rate });
    }
    await flush();
  } finally {
    // Images aligned ahead but not recorded are redone on the next run; their promises must not reject unseen.
    for (const p of ahead) p.catch(() => {});
    aligner?.dispose();
    await embedder.dispose();
  }

  const report = summarise(files, lines);
  if (signal?.aborted) return { status: 'stopped', report, left: files.length - lines.size };
  const faces: FaceRecord[] = [];
  const values: number[] = [];
  for (const rel of files) {
    const line = lines.get(rel);
    if (line?.type !== 'source') continue;
    for (const { embedding, ...face } of line.faces) {
      faces.push(face);
      values.push(...embedding);
    }
  }
  if (faces.length === 0) return { status: 'no-faces', report };
  const gallery = createGallery(faces, embeddingMatrix(Float32Array.from(values), embedder.dim), { runId });
  await saveGallery(out, gallery);
  return { status: 'written', report, faces: faces.length, dim: embedder.dim, engine: embedder.engine.description, seconds: (performance.now() - started) / 1000, images: done, runId };
}

/** Images, faces and failures by kind, over this and earlier runs. */
function summarise(files: readonly string[], lines: ReadonlyMap<string, LogLine>): string {
  let withFaces = 0;
  let kept = 0;
  let framed = 0;
  let dropped = 0;
  const failures = new Map<string, number>();
  const issues = new Map<string, number>();
  for (const rel of files) {
    const line = lines.get(rel);
    if (!line) continue;
    if (line.type === 'failure') {
      failures.set(line.kind, (failures.get(line.kind) ?? 0) + 1);
      continue;
    }
    if (line.faces.length + line.dropped.length > 0) withFaces++;
    kept += line.faces.length;
    framed += line.framed ?? 0;
    dropped += line.dropped.length;
    for (const d of line.dropped) for (const issue of d.issues) issues.set(issue.split(' ')[0]!, (issues.get(issue.split(' ')[0]!) ?? 0) + 1);
  }
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  const listed = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `images: ${files.length} (${lines.size} done, ${withFaces} with faces, ${failed} failed)`,
    `faces: ${kept + dropped} found, ${kept} kept (${framed} of them by the framed look)${dropped ? `, ${dropped} dropped for quality (${listed(issues)}; keep-all keeps them)` : ''}`,
    `failures: ${failed ? listed(failures) : 'none'}`,
  ].join('\n');
}
