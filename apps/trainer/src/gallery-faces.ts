/**
 * What the gallery commands (embed, search, summary, tag) share: finding a run and a gallery, reading the face
 * flags, and laying gallery faces out on contact sheets. Finding faces in files is @feenet/inference's.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createAligner, type Aligner, type FaceApiDetectorModel } from '@feenet/alignment';
import { Experiment } from '@feenet/feenet';
import { ENGINES, openRunEmbedder, type EnginePreference, type RunEmbedder } from '@feenet/inference';
import {
  type ContactSheetEntry,
  type FaceRecord,
  type Gallery,
  GalleryFormatError,
  TaxonomyError,
  TaxonomyStore,
  faceImagePath,
  loadGallery,
  rowsTaggedWith,
  writeContactSheet,
} from '@feenet/clustering';
import { numberFlag, stringFlag, UsageError, type FlagValue } from './cli-args';

type Flags = Map<string, FlagValue>;

export const DEFAULT_EXPERIMENTS_DIR = 'experiments';

/** The real-face model shipped with the project (`models/feenet-fer2013`, see its MODEL_CARD.md). */
export const BUNDLED_RUN_ID = 'feenet-fer2013';
export const BUNDLED_RUN_DIR = fileURLToPath(new URL(`../../../models/${BUNDLED_RUN_ID}`, import.meta.url));

/**
 * `--run` as a run id under the experiments folder, or a path to a run folder; without one, the bundled model
 * (which is also what its id names when no run of that id exists, so its galleries find it).
 */
export function runDirOf(run: string | undefined, experimentsDir: string): string {
  const id = run ?? BUNDLED_RUN_ID;
  const dir = id.includes('/') || id.includes(path.sep) ? id : path.join(experimentsDir, id);
  if (!existsSync(path.join(dir, 'config.json')) && id === BUNDLED_RUN_ID && existsSync(path.join(BUNDLED_RUN_DIR, 'config.json'))) return BUNDLED_RUN_DIR;
  if (!existsSync(path.join(dir, 'config.json'))) {
    const known = existsSync(experimentsDir)
      ? readdirSync(experimentsDir).filter((d) => existsSync(path.join(experimentsDir, d, 'config.json')))
      : [];
    throw new UsageError(`no run at ${dir} (missing config.json)${known.length ? `; runs under ${experimentsDir}: ${known.join(', ')}` : ''}`);
  }
  return dir;
}

/** The run's settings that matter to embedding: backbone, and the pad its labelled-folder dataset used, if any. */
export function runFaceSettings(runDir: string): { backbone: string; folderPad: number | null } {
  const config = Experiment.open(runDir).readConfig();
  const folderPad = config.dataset.source === 'folder' && config.dataset.folder.aligned ? config.dataset.folder.pad : null;
  return { backbone: config.backbone, folderPad };
}

export async function openGallery(dir: string): Promise<Gallery> {
  try {
    return await loadGallery(dir);
  } catch (err) {
    if (err instanceof GalleryFormatError) throw new UsageError(err.message);
    throw err;
  }
}

export function enginePreference(flags: Flags): EnginePreference {
  const v = stringFlag(flags, 'engine') ?? 'auto';
  const allowed = ['auto', 'fastest', ...ENGINES];
  if (!allowed.includes(v)) throw new UsageError(`--engine must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as EnginePreference;
}

/** Opens the run's embedder and says which engine runs (and why faster ones did not). */
export async function openEmbedder(runDir: string, prefer: EnginePreference, log: (line: string) => void): Promise<RunEmbedder> {
  const embedder = await openRunEmbedder(runDir, { prefer });
  log(`embedding: ${embedder.description}`);
  for (const reason of embedder.engine.skipped) log(`  skipped ${reason}`);
  return embedder;
}

export function alignerFlags(flags: Flags): { model?: FaceApiDetectorModel; minConfidence?: number } {
  const detector = stringFlag(flags, 'detector');
  if (detector !== undefined && detector !== 'ssd-mobilenet-v1' && detector !== 'tiny-face-detector') {
    throw new UsageError(`--detector must be ssd-mobilenet-v1 or tiny-face-detector, got "${detector}"`);
  }
  const minConfidence = numberFlag(flags, 'min-confidence');
  if (minConfidence !== undefined && !(minConfidence > 0 && minConfidence < 1)) throw new UsageError('--min-confidence must be between 0 and 1');
  return { ...(detector ? { model: detector } : {}), ...(minConfidence !== undefined ? { minConfidence } : {}) };
}

export function padFlag(flags: Flags, fallback: number): number {
  const pad = numberFlag(flags, 'pad') ?? fallback;
  if (!(pad >= 0 && pad <= 1)) throw new UsageError(`--pad must be between 0 and 1, got ${pad}`);
  return pad;
}

/** The aligner of a query photo. */
export async function openAligner(flags: Flags): Promise<Aligner> {
  return createAligner({ faceApi: alignerFlags(flags) });
}

/** A file-name-safe form of a person, tag or query name. */
export function fileNameOf(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'unnamed';
}

/** The short caption of a face on a sheet: its label, else its person, else its (shortened) id, and a figure. */
export function faceCaption(face: FaceRecord, figure?: string): string {
  const name = face.label ?? face.person ?? (face.id.length > 18 ? `…${face.id.slice(-17)}` : face.id);
  return figure ? `${name} ${figure}` : name;
}

/** A contact sheet of gallery faces. */
export function sheetEntries(galleryDir: string, gallery: Gallery, rows: ArrayLike<number>, caption: (face: FaceRecord, i: number) => string): ContactSheetEntry[] {
  return Array.from(rows, (row, i) => {
    const face = gallery.faces[row]!;
    return { image: faceImagePath(galleryDir, face), caption: caption(face, i) };
  });
}

/**
 * One sheet with a row per group (a cluster, a tag): each row's faces left to right, its first cell captioned with
 * the group's name; short rows are filled with blank cells.
 */
export async function writeGroupRowsSheet(
  groups: readonly { caption: string; entries: readonly ContactSheetEntry[] }[],
  outPath: string,
  options: { columns: number; cellSize: number; title: string },
): Promise<void> {
  const blank = path.join(path.dirname(outPath), `.blank-${process.pid}.png`);
  await mkdir(path.dirname(outPath), { recursive: true });
  await writeFile(blank, await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ffffff' } }).png().toBuffer());
  try {
    const entries: ContactSheetEntry[] = groups.flatMap((g) =>
      Array.from({ length: options.columns }, (_, i) => {
        const e = g.entries[i];
        if (!e) return { image: blank, caption: '' };
        return { image: e.image, caption: i === 0 ? g.caption : (e.caption ?? '') };
      }),
    );
    await writeContactSheet(entries, outPath, { columns: options.columns, cellSize: options.cellSize, gap: 4, title: options.title });
  } finally {
    await rm(blank, { force: true });
  }
}

/** Width and height of a PNG, for telling the user what was written. */
export async function imageSize(file: string): Promise<string> {
  const meta = await sharp(file).metadata();
  return `${meta.width}×${meta.height}`;
}

export function openTaxonomy(dbPath: string, mustExist: boolean): TaxonomyStore {
  if (mustExist && !existsSync(dbPath)) throw new UsageError(`no taxonomy database at ${dbPath} (create a tag first, or pass --db)`);
  return TaxonomyStore.open(dbPath);
}

/** Rows of the faces a tag or any of its descendants covers. */
export function tagRows(gallery: Gallery, dbPath: string, tagId: number): { rows: Uint32Array; name: string } {
  const store = openTaxonomy(dbPath, true);
  try {
    return rowsTaggedWith(gallery, store.list(), tagId);
  } catch (err) {
    if (err instanceof TaxonomyError) throw new UsageError(`${err.message} in ${dbPath} (nx run trainer:tag list)`);
    throw err;
  } finally {
    store.close();
  }
}
