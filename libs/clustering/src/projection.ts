import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UMAP } from 'umap-js';
import { type EmbeddingMatrix, decodeFloat32LE, encodeFloat32LE } from './embeddings';
import type { Gallery } from './gallery';
import { seededRandom } from './prng';
import { neighbourGraph } from './search';
import { useFastFuzzyGraph } from './umap-graph';

export interface ProjectionParams {
  /** UMAP neighbourhood size. Default 15. */
  readonly nNeighbors?: number;
  /** UMAP minimum distance between embedded points. Default 0.1. */
  readonly minDist?: number;
  readonly spread?: number;
  /** Optimisation epochs; default as umap-js (500 for ≤ 2,500 points, down to 200 above 7,500). */
  readonly nEpochs?: number;
  readonly seed?: number;
}

export type ProjectionProgress =
  | { readonly phase: 'neighbours'; readonly fraction: number }
  | {
      readonly phase: 'layout';
      readonly fraction: number;
      readonly epoch: number;
      readonly epochs: number;
      /** The layout so far (count × 2, row-major), copied on call: callers that show progress take it, others pay nothing. */
      readonly snapshot: () => Float32Array;
    };

export interface ProjectionOptions extends ProjectionParams {
  readonly onProgress?: (progress: ProjectionProgress) => void;
  readonly signal?: AbortSignal;
  /** Where finished projections are kept; omit to disable caching. */
  readonly cacheDir?: string;
  /**
   * Up to this many points the kNN graph is computed exactly (cancellable, deterministic);
   * above it umap-js's approximate NN-descent is used. Default 50,000.
   */
  readonly exactNeighboursUpTo?: number;
}

export interface Projection {
  readonly count: number;
  /** count × 2 coordinates, row-major, in gallery row order. */
  readonly coordinates: Float32Array;
  /** Cache key: content hash of the embeddings + model + parameters. */
  readonly key: string;
  readonly fromCache: boolean;
}

// Bump when the projection pipeline changes, so stale cache entries are not reused.
const PIPELINE_VERSION = 'umap-js-1.4.0/v1';

function resolvedParams(p: ProjectionParams): Required<Omit<ProjectionParams, 'nEpochs'>> & { nEpochs: number | null } {
  return {
    nNeighbors: p.nNeighbors ?? 15,
    minDist: p.minDist ?? 0.1,
    spread: p.spread ?? 1,
    nEpochs: p.nEpochs ?? null,
    seed: p.seed ?? 1,
  };
}

/** The cache key for (embeddings, model run, parameters). */
export function projectionKey(embeddings: EmbeddingMatrix, modelRunId: string | null, params: ProjectionParams): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ v: PIPELINE_VERSION, dim: embeddings.dim, count: embeddings.count, modelRunId, params: resolvedParams(params) }));
  hash.update(encodeFloat32LE(embeddings.data));
  return hash.digest('hex').slice(0, 32);
}

/** 2-D UMAP projection of a gallery; see projectEmbeddings. */
export function projectGallery(gallery: Gallery, options: ProjectionOptions = {}): Promise<Projection> {
  return projectEmbeddings(gallery.embeddings, gallery.model?.runId ?? null, options);
}

/**
 * 2-D UMAP of an embedding matrix, seeded (same input and parameters give the same
 * layout), reporting progress and cancellable through `signal` (rejects with the
 * signal's reason). With `cacheDir`, a projection already computed for the same
 * embeddings, model and parameters is read back instead of recomputed.
 */
export async function projectEmbeddings(
  embeddings: EmbeddingMatrix,
  modelRunId: string | null,
  options: ProjectionOptions = {},
): Promise<Projection> {
  const { signal, onProgress, cacheDir, exactNeighboursUpTo = 50_000 } = options;
  const params = resolvedParams(options);
  const { count, dim, data } = embeddings;
  signal?.throwIfAborted();
  if (count <= params.nNeighbors) {
    throw new RangeError(`UMAP needs more than nNeighbors (${params.nNeighbors}) points, got ${count}`);
  }
  const key = projectionKey(embeddings, modelRunId, options);
  const cacheFile = cacheDir ? join(cacheDir, `projection-${key}.f32`) : null;
  if (cacheFile && existsSync(cacheFile)) {
    const bytes = await readFile(cacheFile);
    // A truncated or foreign file is ignored and recomputed rather than trusted.
    if (bytes.length === count * 2 * 4) {
      return { count, coordinates: decodeFloat32LE(bytes), key, fromCache: true };
    }
  }

  const random = seededRandom(params.seed);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: params.nNeighbors,
    minDist: params.minDist,
    spread: params.spread,
    random,
    ...(params.nEpochs !== null ? { nEpochs: params.nEpochs } : {}),
  });
  useFastFuzzyGraph(umap);
  const rows: number[][] = Array.from({ length: count }, (_, i) => Array.from(data.subarray(i * dim, (i + 1) * dim)));
  if (count <= exactNeighboursUpTo) {
    const k = params.nNeighbors - 1;
    const graph = await neighbourGraph(embeddings, k, {
      ...(signal ? { signal } : {}),
      onProgress: (fraction) => onProgress?.({ phase: 'neighbours', fraction }),
    });
    // umap-js expects each point to be its own first neighbour, at distance 0.
    const indices: number[][] = [];
    const distances: number[][] = [];
    for (let i = 0; i < count; i++) {
      indices.push([i, ...graph.rows.subarray(i * k, (i + 1) * k)]);
      distances.push([0, ...graph.distances.subarray(i * k, (i + 1) * k)]);
    }
    umap.setPrecomputedKNN(indices, distances);
  }
  const epochs = umap.initializeFit(rows);
  onProgress?.({ phase: 'neighbours', fraction: 1 });
  // Yield between slices of epochs so progress can be painted and abort can be noticed.
  let lastYield = performance.now();
  for (let epoch = 0; epoch < epochs; ) {
    epoch = umap.step();
    if (performance.now() - lastYield > 50 || epoch === epochs) {
      // umap-js optimises its embedding array in place, so a snapshot mid-layout is the layout as it stands.
      onProgress?.({ phase: 'layout', fraction: epoch / epochs, epoch, epochs, snapshot: () => toCoordinates(umap.getEmbedding()) });
      await new Promise<void>((r) => setImmediate(r));
      lastYield = performance.now();
      signal?.throwIfAborted();
    }
  }
  const coordinates = toCoordinates(umap.getEmbedding());
  if (cacheFile && cacheDir) {
    await mkdir(cacheDir, { recursive: true });
    const tmp = `${cacheFile}.tmp-${process.pid}-${Date.now()}`;
    await writeFile(tmp, encodeFloat32LE(coordinates));
    await rename(tmp, cacheFile);
  }
  return { count, coordinates, key, fromCache: false };
}

function toCoordinates(embedding: readonly (readonly number[])[]): Float32Array {
  const coordinates = new Float32Array(embedding.length * 2);
  embedding.forEach((p, i) => {
    coordinates[i * 2] = p[0]!;
    coordinates[i * 2 + 1] = p[1]!;
  });
  return coordinates;
}
