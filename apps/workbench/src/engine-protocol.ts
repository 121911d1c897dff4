/**
 * Messages between the workbench server and its compute engine (engine/main.ts), a child Node process that
 * owns the heavy work: K-Means, UMAP, person summaries, search, and aligning + embedding an uploaded photo.
 * Keeping that out of the Next server means a 3 s K-Means or a 40 s UMAP never stalls the requests that serve
 * pages and face thumbnails, and tfjs/face-api run as they do under the trainer, unbundled.
 * Paths are absolute and already checked against the roots by the server.
 */
import type { GalleryExportRow, InspectedTriplet } from '@feenet/clustering';

export interface ClusterFaces {
  readonly index: number;
  readonly size: number;
  /** Up to `nearest` member faces nearest the centre: gallery row, face id, distance. */
  readonly nearest: readonly { readonly row: number; readonly id: string; readonly distance: number }[];
}

export interface KMeansView {
  readonly k: number;
  readonly seed: number;
  readonly inertia: number;
  readonly iterations: number;
  readonly seconds: number;
  readonly assignments: Uint32Array;
  /** Clusters, largest first. */
  readonly clusters: readonly ClusterFaces[];
}

export interface ProjectionView {
  readonly key: string;
  readonly fromCache: boolean;
  readonly seconds: number;
  /** count × 2, in gallery row order. */
  readonly coordinates: Float32Array;
}

export interface SummaryView {
  readonly person: string;
  readonly faces: number;
  readonly groups: readonly { readonly size: number; readonly representative: { readonly row: number; readonly id: string; readonly distance: number } }[];
}

export interface SearchHit {
  readonly row: number;
  readonly id: string;
  readonly distance: number;
  readonly person: string | null;
  readonly label: string | null;
}

export interface QueryEmbedding {
  readonly vector: Float32Array;
  /** The aligned query face as PNG, for showing next to the results. */
  readonly facePng: Uint8Array;
  readonly facesFound: number;
  readonly qualityIssues: readonly string[];
  readonly engine: string;
  readonly seconds: number;
}

/**
 * Which triplets to inspect: two-class triplets drawn from a labelled gallery's labels (seeded), or the rated test
 * triplets of the dataset a run was trained on (a `triplets.jsonl`, split "test"), with their types and agreement.
 */
export type TripletSource = { readonly kind: 'labels'; readonly count: number; readonly seed: number } | { readonly kind: 'rated'; readonly file: string };

export type EngineRequest =
  | { readonly op: 'kmeans'; readonly gallery: string; readonly k: number; readonly seed: number; readonly nearest: number }
  | { readonly op: 'project'; readonly gallery: string; readonly cacheDir: string }
  | { readonly op: 'summary'; readonly gallery: string; readonly person: string; readonly k: number }
  | { readonly op: 'search'; readonly gallery: string; readonly vector: Float32Array; readonly k: number; readonly person: string | null; readonly tagId: number | null; readonly database: string }
  | { readonly op: 'embed-query'; readonly runDir: string; readonly image: Uint8Array }
  | { readonly op: 'tag-cluster'; readonly gallery: string; readonly k: number; readonly seed: number; readonly cluster: number; readonly name: string; readonly parentId: number | null; readonly database: string }
  | { readonly op: 'tag-faces'; readonly gallery: string; readonly faceIds: readonly string[]; readonly radius: number; readonly name: string; readonly parentId: number | null; readonly database: string }
  | { readonly op: 'apply-tags'; readonly gallery: string; readonly database: string }
  | { readonly op: 'inspect-triplets'; readonly gallery: string; readonly source: TripletSource }
  | { readonly op: 'export'; readonly gallery: string; readonly database: string; readonly k: number | null; readonly seed: number; readonly coordinates: Float32Array | null };

export interface EngineResults {
  kmeans: KMeansView;
  project: ProjectionView;
  summary: SummaryView;
  search: readonly SearchHit[];
  'embed-query': QueryEmbedding;
  'tag-cluster': { readonly tagId: number };
  'tag-faces': { readonly tagId: number };
  'apply-tags': {
    readonly counts: Record<string, number>;
    readonly untagged: number;
    readonly skipped: readonly string[];
    /** Per gallery row, the nearest tag that covers the face, or -1. */
    readonly faceTags: Int32Array;
  };
  export: readonly GalleryExportRow[];
  'inspect-triplets': { readonly accuracy: number; readonly acrossPersons: boolean; readonly triplets: readonly InspectedTriplet[]; readonly missing: number };
}

export interface EngineProgress {
  readonly phase: string;
  readonly fraction: number;
  /** A projection's layout so far (count × 2), sent now and then while UMAP lays out, for the map to show. */
  readonly layout?: { readonly epoch: number; readonly coordinates: Float32Array };
}

export type EngineMessage =
  | { readonly id: number; readonly type: 'progress'; readonly progress: EngineProgress }
  | { readonly id: number; readonly type: 'result'; readonly result: unknown }
  | { readonly id: number; readonly type: 'error'; readonly message: string; readonly userError: boolean };
