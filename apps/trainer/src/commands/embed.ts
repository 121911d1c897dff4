/**
 * `nx run trainer:embed --run <run-id> --images <dir>`: aligns every face found under a folder, embeds it with a
 * trained run and writes a gallery (libs/clustering's format) with the aligned crops as PNG next to it.
 *
 * Resumable: `embed-log.jsonl` in the gallery folder gets one line per finished image (its faces with their
 * embeddings, or its failure) after the crops are on disk; a rerun with the same settings skips those images.
 * Once `gallery.json` is written a rerun does nothing unless `--force`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { createGallery, embeddingMatrix, loadGallery, saveGallery, type FaceRecord } from '@feenet/clustering';
import { booleanFlag, flagKinds, numberFlag, requiredStringFlag, stringFlag, UsageError, parseCommandFlags } from '../cli-args';
import {
  DEFAULT_EXPERIMENTS_DIR,
  alignerFlags,
  enginePreference,
  findFaces,
  folderOf,
  type FoundFaces,
  imageFilesUnder,
  openAligner,
  openEmbedder,
  padFlag,
  runDirOf,
  runFaceSettings,
  writeFacePng,
  type FaceSource,
  type FoundFace,
} from '../gallery-faces';
import { bar, duration, ProgressLine } from '../progress';

const HELP = `usage: nx run trainer:embed --images <dir> [--run <run-id>] [options]

  --run <id|dir>              trained run whose model embeds the faces (experiments/<id>); default: the bundled
                              real-face model, models/feenet-fer2013
  --images <dir>              photos, searched recursively (dotfiles skipped)
  --out <dir>                 gallery folder (default experiments/<run>/galleries/<images folder name>)
  --keep-all                  also keep faces that fail the quality thresholds (default: drop them)
  --aligned                   the files are already face crops: no detection, one face per file
  --pad <share>               with --aligned: edge-replicated border per side, as a share of the side
                              (default: the pad of the run's own labelled-folder dataset, else 0; FER2013: 0.1667)
  --person-from <how>         folder: the immediate subfolder of <dir> (default); none; or
                              filename-regex:<re>: the first group of <re> matched on the file name
  --label-from folder|none    label = the immediate subfolder of <dir> (default none)
  --detector <name>           ssd-mobilenet-v1 (default) or tiny-face-detector
  --min-confidence <p>        detection score threshold (default 0.5)
  --engine <name>             auto (default), fastest, onnxruntime or tfjs
  --workers <n>               threads aligning photos, one core each (default: the machine's cores)
  --experiments-dir <dir>     default experiments
  --force                     rebuild the gallery even if it exists`;

const FLAGS = flagKinds(
  ['run', 'images', 'out', 'pad', 'person-from', 'label-from', 'detector', 'min-confidence', 'engine', 'experiments-dir', 'workers'],
  ['keep-all', 'aligned', 'force'],
);

export const EMBED_LOG = 'embed-log.jsonl';
const FACES_DIR = 'faces';
/** Faces embedded per model call; also how often the log is flushed. */
const EMBED_BATCH = 32;

interface Settings {
  type: 'settings';
  runId: string;
  images: string;
  aligned: boolean;
  pad: number | null;
  keepAll: boolean;
  /** 'folder', 'none' or 'filename-regex:<re>'. */
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

function choice(value: string | undefined, name: string): 'folder' | 'none' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'folder' && value !== 'none') throw new UsageError(`--${name} must be folder or none, got "${value}"`);
  return value;
}

const FILENAME_REGEX = 'filename-regex:';

function personFromFlag(value: string | undefined): string {
  if (value === undefined || value === 'folder' || value === 'none') return value ?? 'folder';
  if (!value.startsWith(FILENAME_REGEX)) throw new UsageError(`--person-from must be folder, none or filename-regex:<re>, got "${value}"`);
  let re: RegExp;
  try {
    re = new RegExp(value.slice(FILENAME_REGEX.length));
  } catch (err) {
    throw new UsageError(`--person-from: ${(err as Error).message}`);
  }
  if (!re.source.includes('(')) throw new UsageError('--person-from filename-regex needs a group, e.g. filename-regex:^([a-z]+)_');
  return value;
}

/** The person of an image path relative to the images folder, by the `--person-from` rule. */
function personReader(rule: string): (rel: string) => string | undefined {
  if (rule === 'none') return () => undefined;
  if (rule === 'folder') return folderOf;
  const re = new RegExp(rule.slice(FILENAME_REGEX.length));
  return (rel) => re.exec(path.posix.basename(rel))?.[1];
}

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

export async function run(argv: string[]): Promise<void> {
  const flags = parseCommandFlags(argv, HELP, FLAGS);
  if (!flags) return;

  const experimentsDir = stringFlag(flags, 'experiments-dir') ?? DEFAULT_EXPERIMENTS_DIR;
  const runDir = runDirOf(stringFlag(flags, 'run'), experimentsDir);
  const runId = path.basename(path.resolve(runDir));
  const imagesDir = path.resolve(requiredStringFlag(flags, 'images'));
  if (!existsSync(imagesDir)) throw new UsageError(`images folder not found: ${imagesDir}`);
  const out = path.resolve(stringFlag(flags, 'out') ?? path.join(runDir, 'galleries', path.basename(imagesDir)));
  const aligned = booleanFlag(flags, 'aligned');
  const { folderPad } = runFaceSettings(runDir);
  if (!aligned && flags.has('pad')) throw new UsageError('--pad only applies with --aligned');
  const pad = aligned ? padFlag(flags, folderPad ?? 0) : null;
  const faceApi = alignerFlags(flags);
  const settings: Settings = {
    type: 'settings',
    runId,
    images: imagesDir,
    aligned,
    pad,
    keepAll: booleanFlag(flags, 'keep-all'),
    personFrom: personFromFlag(stringFlag(flags, 'person-from')),
    labelFrom: choice(stringFlag(flags, 'label-from'), 'label-from') ?? 'none',
    detector: faceApi.model ?? null,
    minConfidence: faceApi.minConfidence ?? null,
  };
  const personOf = personReader(settings.personFrom);
  const prefer = enginePreference(flags);
  const logFile = path.join(out, EMBED_LOG);

  if (booleanFlag(flags, 'force')) {
    for (const f of ['gallery.json', 'embeddings.f32', EMBED_LOG, FACES_DIR]) await rm(path.join(out, f), { recursive: true, force: true });
  } else if (existsSync(path.join(out, 'gallery.json'))) {
    const existing = await loadGallery(out);
    console.log(`gallery already exists: ${out} (${existing.faces.length} faces, run ${existing.model?.runId ?? 'unknown'}); nothing to do (--force rebuilds it)`);
    return;
  }

  const previous = readLog(logFile);
  if (previous.settings && JSON.stringify(previous.settings) !== JSON.stringify(settings)) {
    throw new UsageError(`${out} holds an unfinished embed with other settings (${EMBED_LOG}); rerun with those settings to resume, or pass --force to start over`);
  }
  // Rewrite the log compacted (drops a torn last line) before appending to it.
  await mkdir(out, { recursive: true });
  await writeFile(logFile, [settings, ...previous.lines.values()].map((l) => `${JSON.stringify(l)}\n`).join(''));

  const files = imageFilesUnder(imagesDir);
  const todo = files.filter((f) => !previous.lines.has(f));
  const progress = new ProgressLine();
  progress.log(`${files.length} files under ${imagesDir}${previous.lines.size ? `, ${files.length - todo.length} done by an earlier run` : ''} → ${out}`);

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    progress.log('stopping after the images in flight (Ctrl-C again to quit now; rerun to continue)...');
  };
  process.on('SIGINT', onSigint);

  const source: FaceSource | null = aligned ? { kind: 'crops', pad: pad! } : null;
  const workers = numberFlag(flags, 'workers') ?? availableParallelism();
  if (!(Number.isInteger(workers) && workers >= 1)) throw new UsageError(`--workers must be a whole number ≥ 1, got ${workers}`);
  const aligner = aligned ? null : await openAligner(flags, Math.min(workers, Math.max(1, todo.length)));
  if (aligner) progress.log(`aligning: ${aligner.description}${settings.keepAll ? ' (keeping all faces)' : ' (keeping faces that pass quality; --keep-all keeps all)'}`);
  else progress.log(`faces given as crops: no detection, border ${pad} of the side per side`);
  const embedder = await openEmbedder(runDir, prefer, (l) => progress.log(l));

  const lines = new Map(previous.lines);
  const pending: { line: SourceLine; kept: FoundFace[] }[] = [];
  let pendingFaces = 0;
  const started = performance.now();
  let done = 0;
  let facesNow = 0;
  let failuresNow = 0;

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
  const faceSource: FaceSource = source ?? { kind: 'photos', aligner: aligner! };
  const ahead: Promise<FoundFaces>[] = [];
  let dispatched = 0;
  const alignAhead = () => {
    while (ahead.length < 2 * workers && dispatched < todo.length) ahead.push(findFaces(faceSource, path.join(imagesDir, todo[dispatched++]!)));
  };
  try {
    for (const rel of todo) {
      if (controller.signal.aborted) break;
      alignAhead();
      const found = await ahead.shift()!;
      done++;
      if (!found.ok) {
        failuresNow++;
        progress.log(`  ✗ ${rel}: ${found.message}`);
        const line: FailureLine = { type: 'failure', source: rel, kind: found.kind, message: found.message };
        lines.set(rel, line);
        await appendFile(logFile, `${JSON.stringify(line)}\n`);
      } else {
        const kept = found.faces.filter((f) => settings.keepAll || f.passesQuality);
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
            id: aligned ? rel : `${rel}#${face.index}`,
            image,
            ...(person !== undefined ? { person } : {}),
            ...(settings.labelFrom === 'folder' && folder !== undefined ? { label: folder } : {}),
            embedding: [],
          });
        }
        facesNow += kept.length;
        pending.push({ line, kept });
        pendingFaces += kept.length;
        if (pendingFaces >= EMBED_BATCH) await flush();
      }
      const seconds = (performance.now() - started) / 1000;
      const rate = done / seconds;
      progress.update(
        `images ${bar((files.length - todo.length + done) / files.length)} ${files.length - todo.length + done}/${files.length} · faces ${facesNow} · failures ${failuresNow} · ${rate.toFixed(1)} img/s · ETA ${duration((todo.length - done) / rate)}`,
      );
    }
    await flush();
  } finally {
    process.off('SIGINT', onSigint);
    progress.done();
    aligner?.dispose();
    await embedder.dispose();
  }

  const report = summarise(files, lines);
  if (controller.signal.aborted) {
    console.log(`${report}\nstopped early: ${files.length - lines.size} images left; rerun the same command to continue`);
    process.exitCode = 130;
    return;
  }
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
  if (faces.length === 0) {
    console.log(`${report}\nno faces to embed: no gallery written`);
    process.exitCode = 1;
    return;
  }
  const gallery = createGallery(faces, embeddingMatrix(Float32Array.from(values), embedder.dim), { runId });
  await saveGallery(out, gallery);
  console.log(
    `${report}\nengine: ${embedder.engine.description}\ntime: ${duration((performance.now() - started) / 1000)} for ${done} images this run\ngallery: ${out} (${faces.length} faces, ${embedder.dim}-d, run ${runId})`,
  );
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
    `faces: ${kept + dropped} found, ${kept} kept (${framed} of them by the framed look)${dropped ? `, ${dropped} dropped for quality (${listed(issues)}; --keep-all keeps them)` : ''}`,
    `failures: ${failed ? listed(failures) : 'none'}`,
  ].join('\n');
}
