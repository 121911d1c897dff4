import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { type EmbeddingMatrix, decodeFloat32LE, embeddingMatrix, encodeFloat32LE } from './embeddings';

/** Per-face metadata; `image` is relative to the gallery folder unless absolute. */
export interface FaceRecord {
  readonly id: string;
  readonly image: string;
  readonly person?: string;
  readonly label?: string;
  readonly split?: string;
}

export interface GalleryModel {
  readonly runId: string;
}

/** A set of faces with one embedding row per face (row i belongs to faces[i]). */
export interface Gallery {
  readonly faces: readonly FaceRecord[];
  readonly embeddings: EmbeddingMatrix;
  /** The model run that produced the embeddings, or null if unknown. */
  readonly model: GalleryModel | null;
}

export const GALLERY_JSON = 'gallery.json';
export const GALLERY_EMBEDDINGS = 'embeddings.f32';
const FORMAT_VERSION = 1;

/** Raised for any gallery that cannot be trusted: missing files, size mismatch, bad values. */
export class GalleryFormatError extends Error {
  override readonly name = 'GalleryFormatError';
}

/** Builds a gallery in memory, checking the same invariants as loadGallery. */
export function createGallery(
  faces: readonly FaceRecord[],
  embeddings: EmbeddingMatrix,
  model: GalleryModel | null = null,
): Gallery {
  const gallery: Gallery = { faces, embeddings, model };
  validateGallery(gallery, '(in memory)');
  return gallery;
}

function validateGallery(gallery: Gallery, where: string): void {
  const { faces, embeddings } = gallery;
  if (faces.length !== embeddings.count) {
    throw new GalleryFormatError(
      `${where}: ${faces.length} faces but ${embeddings.count} embedding rows (dim ${embeddings.dim})`,
    );
  }
  const seen = new Set<string>();
  faces.forEach((face, i) => {
    if (typeof face.id !== 'string' || face.id === '') throw new GalleryFormatError(`${where}: face ${i} has no id`);
    if (seen.has(face.id)) throw new GalleryFormatError(`${where}: duplicate face id "${face.id}"`);
    seen.add(face.id);
    if (typeof face.image !== 'string' || face.image === '') {
      throw new GalleryFormatError(`${where}: face "${face.id}" has no image path`);
    }
    for (const key of ['person', 'label', 'split'] as const) {
      const v = face[key];
      if (v !== undefined && typeof v !== 'string') {
        throw new GalleryFormatError(`${where}: face "${face.id}" field "${key}" must be a string`);
      }
    }
  });
  const { data, dim } = embeddings;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const row = Math.floor(i / dim);
      throw new GalleryFormatError(
        `${where}: non-finite value ${data[i]} in embedding of face "${faces[row]?.id ?? row}" (row ${row}, column ${i % dim})`,
      );
    }
  }
}

/** Reads `gallery.json` + `embeddings.f32` (row-major little-endian float32) from `dir`. */
export async function loadGallery(dir: string): Promise<Gallery> {
  const jsonPath = join(dir, GALLERY_JSON);
  const binPath = join(dir, GALLERY_EMBEDDINGS);
  if (!existsSync(dir)) throw new GalleryFormatError(`gallery folder not found: ${dir}`);
  if (!existsSync(jsonPath)) throw new GalleryFormatError(`missing ${GALLERY_JSON} in gallery folder ${dir}`);
  if (!existsSync(binPath)) throw new GalleryFormatError(`missing ${GALLERY_EMBEDDINGS} in gallery folder ${dir}`);

  let header: unknown;
  try {
    header = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (err) {
    throw new GalleryFormatError(`${jsonPath} is not valid JSON: ${(err as Error).message}`);
  }
  const h = header as Record<string, unknown>;
  if (typeof header !== 'object' || header === null) throw new GalleryFormatError(`${jsonPath}: expected an object`);
  if (h.version !== FORMAT_VERSION) {
    throw new GalleryFormatError(`${jsonPath}: unsupported version ${String(h.version)} (expected ${FORMAT_VERSION})`);
  }
  const dim = h.dim;
  const count = h.count;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0) {
    throw new GalleryFormatError(`${jsonPath}: "dim" must be a positive integer`);
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new GalleryFormatError(`${jsonPath}: "count" must be a non-negative integer`);
  }
  if (!Array.isArray(h.faces)) throw new GalleryFormatError(`${jsonPath}: "faces" must be an array`);
  if (h.faces.length !== count) {
    throw new GalleryFormatError(`${jsonPath}: "count" is ${count} but "faces" has ${h.faces.length} entries`);
  }
  const model = parseModel(h.model, jsonPath);

  const expectedBytes = count * dim * 4;
  const actualBytes = (await stat(binPath)).size;
  if (actualBytes !== expectedBytes) {
    throw new GalleryFormatError(
      `${binPath}: size mismatch, expected ${expectedBytes} bytes (${count} × ${dim} float32) but found ${actualBytes}`,
    );
  }
  const bytes = await readFile(binPath);
  const data = decodeFloat32LE(bytes);
  const gallery: Gallery = { faces: h.faces as FaceRecord[], embeddings: embeddingMatrix(data, dim), model };
  validateGallery(gallery, dir);
  return gallery;
}

function parseModel(value: unknown, where: string): GalleryModel | null {
  if (value === null || value === undefined) return null;
  const runId = (value as { runId?: unknown }).runId;
  if (typeof value !== 'object' || typeof runId !== 'string') {
    throw new GalleryFormatError(`${where}: "model" must be null or { "runId": string }`);
  }
  return { runId };
}

/**
 * Writes a gallery folder. Each file goes to a temporary name first and is then renamed,
 * so a reader never sees a half-written file.
 */
export async function saveGallery(dir: string, gallery: Gallery): Promise<void> {
  validateGallery(gallery, '(save)');
  await mkdir(dir, { recursive: true });
  const { dim, count } = gallery.embeddings;
  const header = {
    version: FORMAT_VERSION,
    dim,
    count,
    model: gallery.model ? { runId: gallery.model.runId } : null,
    faces: gallery.faces.map((f) => ({
      id: f.id,
      image: f.image,
      ...(f.person !== undefined ? { person: f.person } : {}),
      ...(f.label !== undefined ? { label: f.label } : {}),
      ...(f.split !== undefined ? { split: f.split } : {}),
    })),
  };
  const suffix = `.tmp-${process.pid}-${Date.now()}`;
  const binPath = join(dir, GALLERY_EMBEDDINGS);
  const jsonPath = join(dir, GALLERY_JSON);
  await writeFile(binPath + suffix, encodeFloat32LE(gallery.embeddings.data));
  await writeFile(jsonPath + suffix, JSON.stringify(header));
  await rename(binPath + suffix, binPath);
  await rename(jsonPath + suffix, jsonPath);
}

/** Absolute path of a face's image, resolving relative paths against the gallery folder. */
export function faceImagePath(galleryDir: string, face: FaceRecord): string {
  return isAbsolute(face.image) ? face.image : resolve(galleryDir, face.image);
}

/** Row indices of the faces matching a predicate, e.g. one person or one split; use as a search subset. */
export function rowsWhere(gallery: Gallery, predicate: (face: FaceRecord, row: number) => boolean): Uint32Array {
  const rows: number[] = [];
  gallery.faces.forEach((face, row) => {
    if (predicate(face, row)) rows.push(row);
  });
  return Uint32Array.from(rows);
}

/** Row index of a face id, or throws. Builds no index: O(N), fine for interactive use. */
export function rowOfFace(gallery: Gallery, faceId: string): number {
  const row = gallery.faces.findIndex((f) => f.id === faceId);
  if (row < 0) throw new RangeError(`face "${faceId}" is not in the gallery`);
  return row;
}
