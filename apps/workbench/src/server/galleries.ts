/**
 * Galleries the workbench can open: every `test-gallery` and `galleries/*` of a run, and `data/galleries/*`.
 * A gallery is named by its path from the workspace-like root prefix, e.g. `experiments/<run>/test-gallery`, and
 * only ever resolved through the roots.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Gallery, faceImagePath, loadGallery } from '@feenet/clustering';
import { galleriesOfRun, isRunId, listExperimentRows } from './experiments';
import { OutsideRootError, type WorkbenchRoots, isInsideRoots, resolveInRoot } from './roots';

export interface GalleryListing {
  readonly id: string;
  readonly faces: number;
  readonly runId: string | null;
  readonly persons: number;
  readonly labels: readonly string[];
}

/** The faces of a gallery as the browser needs them: parallel arrays, no embeddings. */
export interface GalleryFaces {
  readonly id: string;
  readonly runId: string | null;
  readonly ids: readonly string[];
  readonly persons: readonly (string | null)[];
  readonly labels: readonly (string | null)[];
}

export function galleryDir(roots: WorkbenchRoots, id: string): string {
  const [rootName, ...rest] = id.split('/');
  const relative = rest.join('/');
  if (rootName === 'experiments') return resolveInRoot(roots.experiments, relative);
  if (rootName === 'data') return resolveInRoot(roots.data, relative);
  throw new OutsideRootError('a gallery id starts with experiments/ or data/');
}

export function listGalleryIds(roots: WorkbenchRoots): string[] {
  const ids = listExperimentRows(roots.experiments).flatMap((run) => galleriesOfRun(roots.experiments, run.runId).map((g) => `experiments/${g}`));
  const dataGalleries = path.join(roots.data, 'galleries');
  if (existsSync(dataGalleries)) {
    for (const d of readdirSync(dataGalleries, { withFileTypes: true })) {
      if (d.isDirectory() && isRunId(d.name) && existsSync(path.join(dataGalleries, d.name, 'gallery.json'))) ids.push(`data/galleries/${d.name}`);
    }
  }
  return ids;
}

const cache = new Map<string, { mtimeMs: number; gallery: Gallery; rowOf: Map<string, number> }>();

/** The gallery, loaded once per change of its gallery.json. */
export async function openGallery(roots: WorkbenchRoots, id: string): Promise<{ dir: string; gallery: Gallery; rowOf: Map<string, number> }> {
  const dir = galleryDir(roots, id);
  const mtimeMs = statSync(path.join(dir, 'gallery.json')).mtimeMs;
  let entry = cache.get(dir);
  if (!entry || entry.mtimeMs !== mtimeMs) {
    const gallery = await loadGallery(dir);
    entry = { mtimeMs, gallery, rowOf: new Map(gallery.faces.map((f, i) => [f.id, i])) };
    cache.set(dir, entry);
  }
  return { dir, gallery: entry.gallery, rowOf: entry.rowOf };
}

export async function listGalleries(roots: WorkbenchRoots): Promise<GalleryListing[]> {
  const listings: GalleryListing[] = [];
  for (const id of listGalleryIds(roots)) {
    try {
      const { gallery } = await openGallery(roots, id);
      listings.push({
        id,
        faces: gallery.faces.length,
        runId: gallery.model?.runId ?? null,
        persons: new Set(gallery.faces.map((f) => f.person).filter(Boolean)).size,
        labels: [...new Set(gallery.faces.flatMap((f) => (f.label ? [f.label] : [])))].sort(),
      });
    } catch {
      // A gallery being written or damaged is left out of the list rather than failing it.
    }
  }
  return listings;
}

export async function galleryFaces(roots: WorkbenchRoots, id: string): Promise<GalleryFaces> {
  const { gallery } = await openGallery(roots, id);
  return {
    id,
    runId: gallery.model?.runId ?? null,
    ids: gallery.faces.map((f) => f.id),
    persons: gallery.faces.map((f) => f.person ?? null),
    labels: gallery.faces.map((f) => f.label ?? null),
  };
}

/** The image file of one face, if it lies inside the roots (a gallery may point anywhere; we serve only there). */
export async function faceImageFile(roots: WorkbenchRoots, galleryId: string, faceId: string): Promise<string | null> {
  const { dir, gallery, rowOf } = await openGallery(roots, galleryId);
  const row = rowOf.get(faceId);
  if (row === undefined) return null;
  const file = faceImagePath(dir, gallery.faces[row]!);
  if (!isInsideRoots(roots, file)) throw new OutsideRootError(`face ${faceId}'s image lies outside the workbench roots`);
  return file;
}
