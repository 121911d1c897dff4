/**
 * Faces out of image files: detected and aligned in a photo, or taken as an already-cropped face with a border;
 * each with whether it passes the quality thresholds and how it was found. Bad files come back as a failure
 * with a kind (not-an-image, corrupt, no-face, ...), never as an exception.
 */
import { readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import type { Aligner, AlignedFace, FoundBy } from '@feenet/alignment';
import { padTightFace, type RgbFace } from '@feenet/datasets';

/** How faces are found in an image: detected and aligned, or taken as already-cropped faces (with a border). */
export type FaceSource = { kind: 'photos'; aligner: Aligner } | { kind: 'crops'; pad: number };

/** One face of an image, ready to embed; `issues` is empty when it passes the quality thresholds. */
export interface FoundFace {
  index: number;
  image: RgbFace;
  passesQuality: boolean;
  issues: string[];
  /** Box area in source pixels (0 for crops): the largest face is the query face. */
  area: number;
  /** How the face was found: the detector, its framed second look (a face filling its photo), or given as a crop. */
  foundBy: FoundBy | 'crop';
}

export type FoundFaces = { ok: true; faces: FoundFace[] } | { ok: false; kind: string; message: string };

export async function findFaces(source: FaceSource, file: string): Promise<FoundFaces> {
  if (source.kind === 'crops') {
    try {
      const image = await padTightFace(file, { pad: source.pad });
      return { ok: true, faces: [{ index: 0, image, passesQuality: true, issues: [], area: 0, foundBy: 'crop' }] };
    } catch (err) {
      const message = (err as Error).message.split('\n')[0] ?? '';
      const kind = /unsupported image format|input file is missing|EISDIR/i.test(message) ? 'not-an-image' : 'corrupt';
      return { ok: false, kind, message: `${kind}: ${message}` };
    }
  }
  const result = await source.aligner.alignImage(file);
  if (!result.ok) return { ok: false, kind: result.error.kind, message: result.error.message };
  return {
    ok: true,
    faces: result.faces.map((f: AlignedFace) => ({
      index: f.index,
      image: f.image,
      passesQuality: f.passesQuality,
      issues: f.qualityIssues,
      area: f.box.width * f.box.height,
      foundBy: f.foundBy,
    })),
  };
}

/** The query face of a photo: the largest one (a crop is its own face). */
export function largestFace(faces: readonly FoundFace[]): FoundFace | undefined {
  return [...faces].sort((a, b) => b.area - a.area || a.index - b.index)[0];
}

export async function writeFacePng(image: RgbFace, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png({ compressionLevel: 6 }).toFile(file);
}

/** Every file under `dir` (dotfiles and dot-folders skipped), relative with forward slashes, sorted. */
export function imageFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const entries = readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else if (e.isFile() || e.isSymbolicLink()) out.push(child);
    }
  };
  walk('');
  return out;
}

/** The immediate subfolder of `<dir>/<folder>/...`, or undefined for files directly in `<dir>`. */
export function folderOf(rel: string): string | undefined {
  const slash = rel.indexOf('/');
  return slash > 0 ? rel.slice(0, slash) : undefined;
}
