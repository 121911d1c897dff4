/**
 * A gallery as a table a researcher takes elsewhere (pandas, R, a spreadsheet): one row per face with its
 * person and label, its 2-D map coordinates, its K-Means cluster and distance to that cluster's centre, and the
 * tags that cover it with their distances. The workbench's export buttons and `trainer:tag export` both write it.
 */
import type { Gallery } from './gallery';
import type { KMeansResult } from './kmeans';
import type { ExpressionTag, TagAssignment, TagTreeNode } from './taxonomy';

export interface GalleryExportRow {
  readonly id: string;
  readonly image: string;
  readonly person: string | null;
  readonly label: string | null;
  /** Map coordinates (UMAP), when the gallery has been projected. */
  readonly x: number | null;
  readonly y: number | null;
  readonly cluster: number | null;
  /** Euclidean distance from the face's embedding to its cluster's centre. */
  readonly clusterDistance: number | null;
  /** Tags covering the face, nearest first, with distances. */
  readonly tags: readonly { readonly id: number; readonly name: string; readonly distance: number }[];
}

export interface GalleryExportParts {
  /** n × 2 coordinates, row-major, in the gallery's face order. */
  readonly coordinates?: ArrayLike<number> | null;
  readonly kMeans?: KMeansResult | null;
  readonly tags?: { readonly assignment: TagAssignment; readonly names: ReadonlyMap<number, string> } | null;
}

export function galleryExportRows(gallery: Gallery, parts: GalleryExportParts = {}): GalleryExportRow[] {
  const { dim, data } = gallery.embeddings;
  const { coordinates, kMeans, tags } = parts;
  if (coordinates && coordinates.length !== gallery.faces.length * 2) throw new Error(`coordinates hold ${coordinates.length / 2} faces, the gallery ${gallery.faces.length}`);
  if (kMeans && kMeans.assignments.length !== gallery.faces.length) throw new Error(`the clustering covers ${kMeans.assignments.length} faces, the gallery ${gallery.faces.length}`);
  return gallery.faces.map((face, row) => {
    let cluster: number | null = null;
    let clusterDistance: number | null = null;
    if (kMeans) {
      cluster = kMeans.assignments[row]!;
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += (data[row * dim + d]! - kMeans.centres[cluster * dim + d]!) ** 2;
      clusterDistance = Math.sqrt(sum);
    }
    return {
      id: face.id,
      image: face.image,
      person: face.person ?? null,
      label: face.label ?? null,
      x: coordinates ? coordinates[row * 2]! : null,
      y: coordinates ? coordinates[row * 2 + 1]! : null,
      cluster,
      clusterDistance,
      tags: tags ? tags.assignment.byFace[row]!.map((m) => ({ id: m.tagId, name: tags.names.get(m.tagId) ?? String(m.tagId), distance: m.distance })) : [],
    };
  });
}

const CSV_COLUMNS = ['id', 'image', 'person', 'label', 'x', 'y', 'cluster', 'cluster_distance', 'tags', 'tag_distances'] as const;

/** RFC 4180 CSV: one header row, tags as "name;name" with their distances alongside in the same order. */
export function galleryExportCsv(rows: readonly GalleryExportRow[]): string {
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    const text = typeof v === 'number' ? String(Number(v.toFixed(6))) : v;
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = rows.map((r) =>
    [r.id, r.image, r.person, r.label, r.x, r.y, r.cluster, r.clusterDistance, r.tags.map((t) => t.name).join(';'), r.tags.map((t) => Number(t.distance.toFixed(6))).join(';')].map(cell).join(','),
  );
  return [CSV_COLUMNS.join(','), ...lines].join('\r\n') + '\r\n';
}

/** One tag of an exported taxonomy: its definition as plain numbers, its sub-tags nested. */
export interface TaxonomyExportNode {
  readonly id: number;
  readonly name: string;
  readonly radius: number;
  readonly centre: number[] | null;
  readonly examples: { readonly faceId: string | null; readonly image: string | null; readonly embedding: number[] }[];
  readonly provenance: ExpressionTag['provenance'];
  readonly createdAt: string;
  readonly children: TaxonomyExportNode[];
}

/** The tag tree as JSON-ready data (embeddings as number arrays), roots first, as the taxonomy stores it. */
export function taxonomyExport(tree: readonly TagTreeNode[]): TaxonomyExportNode[] {
  return tree.map(({ tag, children }) => ({
    id: tag.id,
    name: tag.name,
    radius: tag.radius,
    centre: tag.centre ? Array.from(tag.centre) : null,
    examples: tag.examples.map((e) => ({ faceId: e.faceId, image: e.image, embedding: Array.from(e.embedding) })),
    provenance: tag.provenance,
    createdAt: tag.createdAt,
    children: taxonomyExport(children),
  }));
}
