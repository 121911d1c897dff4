/**
 * The workbench's compute engine: a child process of the Next server (see src/server/engine-client.ts), driven
 * over Node's IPC channel with structured-clone messages so embeddings and coordinates cross as typed arrays.
 * One request at a time per op kind is not required: requests run concurrently as the event loop allows, and
 * CPU-bound ones (K-Means) simply queue behind each other here instead of stalling the web server.
 */
import { readFileSync, statSync } from 'node:fs';
import sharp from 'sharp';
import { createAligner, type Aligner } from '@feenet/alignment';
import { openRunEmbedder, type RunEmbedder } from '@feenet/inference';
import {
  ExactIndex,
  type Gallery,
  type KMeansResult,
  TaxonomyError,
  TaxonomyStore,
  applicableTags,
  assignTags,
  findSimilarFaces,
  galleryExportRows,
  inspectTriplets,
  ratedTripletRows,
  type RatedTriplet,
  twoClassTriplets,
  kMeans,
  loadGallery,
  projectGallery,
  rowsTaggedWith,
  rowsWhere,
  summarisePerson,
  tagFromCluster,
  tagFromFaces,
} from '@feenet/clustering';
import type { EngineMessage, EngineProgress, EngineRequest, EngineResults, KMeansView } from '../src/engine-protocol';

/** How often a projection in progress sends its layout so far. */
const LAYOUT_PREVIEW_MS = 1000;

/** An error caused by the request (unknown person, bad image): reported as 4xx, not 5xx. */
class RequestError extends Error {}

/** The test split of a dataset's triplets.jsonl; malformed lines are skipped (a torn last line, hand edits). */
function readTestTriplets(file: string): RatedTriplet[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new RequestError(`the run's dataset has no triplets file at ${file}`);
  }
  const out: RatedTriplet[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const t = JSON.parse(line) as RatedTriplet & { split?: string };
      if (t.split === 'test' && typeof t.anchor === 'string' && typeof t.positive === 'string' && typeof t.negative === 'string') out.push(t);
    } catch {
      // skipped
    }
  }
  return out;
}

interface LoadedGallery {
  readonly gallery: Gallery;
  readonly index: ExactIndex;
  readonly mtimeMs: number;
}

const galleries = new Map<string, LoadedGallery>();
const kMeansResults = new Map<string, KMeansResult>();
const embedders = new Map<string, RunEmbedder>();
let aligner: Promise<Aligner> | null = null;

async function openGallery(dir: string): Promise<LoadedGallery> {
  const mtimeMs = statSync(`${dir}/gallery.json`).mtimeMs;
  const cached = galleries.get(dir);
  if (cached && cached.mtimeMs === mtimeMs) return cached;
  const gallery = await loadGallery(dir);
  const loaded = { gallery, index: new ExactIndex(gallery.embeddings), mtimeMs };
  galleries.set(dir, loaded);
  return loaded;
}

function kMeansKey(gallery: string, k: number, seed: number): string {
  return `${gallery}\0${k}\0${seed}`;
}

async function runKMeans(dir: string, k: number, seed: number): Promise<KMeansResult> {
  const { gallery } = await openGallery(dir);
  if (k > gallery.embeddings.count) throw new RequestError(`K = ${k} is more than the gallery's ${gallery.embeddings.count} faces`);
  const key = kMeansKey(dir, k, seed);
  const cached = kMeansResults.get(key);
  if (cached) return cached;
  const result = kMeans(gallery.embeddings, k, { seed });
  // Keep a handful: naming a cluster refers back to the result the researcher is looking at.
  if (kMeansResults.size >= 8) kMeansResults.delete(kMeansResults.keys().next().value!);
  kMeansResults.set(key, result);
  return result;
}

async function handle(request: EngineRequest, progress: (p: EngineProgress) => void): Promise<EngineResults[EngineRequest['op']]> {
  switch (request.op) {
    case 'kmeans': {
      const started = performance.now();
      const result = await runKMeans(request.gallery, request.k, request.seed);
      const { gallery } = await openGallery(request.gallery);
      const view: KMeansView = {
        k: result.k,
        seed: request.seed,
        inertia: result.inertia,
        iterations: result.iterations,
        seconds: (performance.now() - started) / 1000,
        assignments: result.assignments,
        clusters: result.clusters
          .map((c) => ({
            index: c.index,
            size: c.members.length,
            nearest: Array.from(c.members.subarray(0, request.nearest), (row, i) => ({ row, id: gallery.faces[row]!.id, distance: c.distances[i]! })),
          }))
          .sort((a, b) => b.size - a.size || a.index - b.index),
      };
      return view;
    }
    case 'project': {
      const started = performance.now();
      const { gallery } = await openGallery(request.gallery);
      // The layout so far goes out at most once a LAYOUT_PREVIEW_MS (a 200k-point copy is 1.6 MB over IPC), never
      // for the last epoch (the result follows at once), and never in the first second (small galleries are done by then).
      let lastPreview = performance.now();
      const projection = await projectGallery(gallery, {
        cacheDir: request.cacheDir,
        onProgress: (p) => {
          const now = performance.now();
          if (p.phase === 'layout' && p.epoch < p.epochs && now - lastPreview >= LAYOUT_PREVIEW_MS) {
            lastPreview = now;
            progress({ phase: p.phase, fraction: p.fraction, layout: { epoch: p.epoch, coordinates: p.snapshot() } });
          } else progress({ phase: p.phase, fraction: p.fraction });
        },
      });
      return { key: projection.key, fromCache: projection.fromCache, seconds: (performance.now() - started) / 1000, coordinates: projection.coordinates };
    }
    case 'summary': {
      const { gallery } = await openGallery(request.gallery);
      let summary;
      try {
        summary = summarisePerson(gallery, request.person, { k: request.k });
      } catch (err) {
        throw new RequestError((err as Error).message);
      }
      return {
        person: request.person,
        faces: summary.groups.reduce((n, g) => n + g.size, 0),
        groups: summary.groups.map((g) => ({ size: g.size, representative: g.representative })),
      };
    }
    case 'search': {
      const { gallery, index } = await openGallery(request.gallery);
      let subset: Uint32Array | undefined;
      if (request.person) subset = rowsWhere(gallery, (f) => f.person === request.person);
      if (request.tagId !== null) {
        const store = TaxonomyStore.open(request.database);
        try {
          const tagged = new Set(rowsTaggedWith(gallery, store.list(), request.tagId).rows);
          subset = (subset ?? rowsWhere(gallery, () => true)).filter((r) => tagged.has(r));
        } finally {
          store.close();
        }
      }
      if (subset && subset.length === 0) return [];
      const hits = findSimilarFaces(gallery, index, { vector: request.vector }, { k: request.k, ...(subset ? { subset } : {}) });
      return hits.map((h) => ({ ...h, person: gallery.faces[h.row]!.person ?? null, label: gallery.faces[h.row]!.label ?? null }));
    }
    case 'embed-query': {
      const started = performance.now();
      aligner ??= createAligner();
      const aligned = await (await aligner).alignImage(request.image);
      // The failure's message already starts with its kind ("no-face: …").
      if (!aligned.ok) throw new RequestError(aligned.error.message);
      if (aligned.faces.length === 0) throw new RequestError('no face found in the photo');
      const face = [...aligned.faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0]!;
      let embedder = embedders.get(request.runDir);
      if (!embedder) {
        embedder = await openRunEmbedder(request.runDir, { prefer: 'fastest' });
        embedders.set(request.runDir, embedder);
      }
      const vector = await embedder.embedFaces([face.image]);
      const facePng = await sharp(face.image.data, { raw: { width: face.image.width, height: face.image.height, channels: 3 } }).png().toBuffer();
      return {
        vector,
        facePng: new Uint8Array(facePng),
        facesFound: aligned.faces.length,
        qualityIssues: face.qualityIssues,
        engine: embedder.description,
        seconds: (performance.now() - started) / 1000,
      };
    }
    case 'tag-cluster': {
      const { gallery } = await openGallery(request.gallery);
      const result = kMeansResults.get(kMeansKey(request.gallery, request.k, request.seed)) ?? (await runKMeans(request.gallery, request.k, request.seed));
      const { definition, provenance } = tagFromCluster(gallery, result, request.cluster, { mode: 'centre', seed: request.seed });
      const store = TaxonomyStore.open(request.database);
      try {
        return { tagId: store.create({ name: request.name, parentId: request.parentId, definition, provenance }).id };
      } finally {
        store.close();
      }
    }
    case 'tag-faces': {
      const { gallery } = await openGallery(request.gallery);
      let definition;
      try {
        definition = tagFromFaces(gallery, request.faceIds, request.radius);
      } catch (err) {
        throw new RequestError((err as Error).message);
      }
      const store = TaxonomyStore.open(request.database);
      try {
        return { tagId: store.create({ name: request.name, parentId: request.parentId, definition }).id };
      } finally {
        store.close();
      }
    }
    case 'inspect-triplets': {
      const { gallery } = await openGallery(request.gallery);
      const { source } = request;
      if (source.kind === 'rated') {
        const rated = readTestTriplets(source.file);
        const { triplets: rows, ratings, missing } = ratedTripletRows(gallery, rated);
        if (rows.length === 0) throw new RequestError(`none of the ${rated.length} rated test triplets has its three faces in this gallery`);
        const triplets = inspectTriplets(gallery, rows, ratings);
        return { accuracy: triplets.filter((t) => t.correct).length / triplets.length, acrossPersons: false, triplets, missing };
      }
      let drawn;
      try {
        drawn = twoClassTriplets(gallery, { count: source.count, seed: source.seed });
      } catch (err) {
        throw new RequestError((err as Error).message);
      }
      const triplets = inspectTriplets(gallery, drawn.triplets);
      return { accuracy: triplets.filter((t) => t.correct).length / triplets.length, acrossPersons: drawn.acrossPersons, triplets, missing: 0 };
    }
    case 'export': {
      const { gallery } = await openGallery(request.gallery);
      const clustering = request.k === null ? null : await runKMeans(request.gallery, request.k, request.seed);
      const store = TaxonomyStore.open(request.database);
      try {
        const all = store.list();
        const { tags } = applicableTags(all, gallery);
        const assignment = assignTags(tags, gallery.embeddings);
        return galleryExportRows(gallery, { coordinates: request.coordinates, kMeans: clustering, tags: { assignment, names: new Map(all.map((t) => [t.id, t.name])) } });
      } finally {
        store.close();
      }
    }
    case 'apply-tags': {
      const { gallery } = await openGallery(request.gallery);
      const store = TaxonomyStore.open(request.database);
      try {
        const { tags, skipped } = applicableTags(store.list(), gallery);
        const { counts, byFace } = assignTags(tags, gallery.embeddings);
        return {
          counts: Object.fromEntries([...counts].map(([id, n]) => [String(id), n])),
          untagged: byFace.filter((m) => m.length === 0).length,
          skipped,
          faceTags: Int32Array.from(byFace, (m) => m[0]?.tagId ?? -1),
        };
      } finally {
        store.close();
      }
    }
  }
}

function send(message: EngineMessage): void {
  process.send?.(message);
}

process.on('message', (raw: { id: number; request: EngineRequest }) => {
  const { id, request } = raw;
  handle(request, (progress) => send({ id, type: 'progress', progress }))
    .then((result) => send({ id, type: 'result', result }))
    .catch((err: unknown) => {
      const userError = err instanceof RequestError || err instanceof TaxonomyError || err instanceof RangeError;
      if (!userError) console.error(`workbench engine: ${request.op} failed:`, err);
      send({ id, type: 'error', message: (err as Error).message ?? String(err), userError });
    });
});

// The engine lives exactly as long as its server: when the IPC channel closes, exit.
process.on('disconnect', () => process.exit(0));
send({ id: 0, type: 'result', result: 'ready' });
