import { rowOf } from './embeddings';
import type { Gallery } from './gallery';
import type { KMeansResult } from './kmeans';
import type { ClusterProvenance, TagDefinition, TagExample } from './taxonomy';

export type ClusterTagOptions =
  /** Tag = the cluster centre plus a radius; default radius covers 90% of the members. */
  | { readonly mode: 'centre'; readonly radius?: number; readonly seed: number; readonly runId?: string | null }
  /** Tag = the member faces themselves as examples; a radius around each must be given. */
  | { readonly mode: 'members'; readonly radius: number; readonly seed: number; readonly runId?: string | null };

/**
 * A tag definition (and its provenance) from one cluster of a K-Means run over `gallery`,
 * ready for TaxonomyStore.create({ name, ...tagFromCluster(...) }).
 */
export function tagFromCluster(
  gallery: Gallery,
  result: KMeansResult,
  clusterIndex: number,
  options: ClusterTagOptions,
): { definition: TagDefinition; provenance: ClusterProvenance } {
  const cluster = result.clusters[clusterIndex];
  if (!cluster) throw new RangeError(`cluster ${clusterIndex} out of range 0..${result.k - 1}`);
  if (result.assignments.length !== gallery.embeddings.count) {
    throw new RangeError('the K-Means result was not computed on this gallery');
  }
  const provenance: ClusterProvenance = {
    runId: options.runId ?? gallery.model?.runId ?? null,
    k: result.k,
    seed: options.seed,
    clusterIndex,
    mode: options.mode,
  };
  if (options.mode === 'centre') {
    const centre = result.centres.slice(clusterIndex * result.dim, (clusterIndex + 1) * result.dim);
    const d = cluster.distances;
    const radius = options.radius ?? (d.length > 0 ? d[Math.min(d.length - 1, Math.ceil(0.9 * d.length) - 1)]! : 0);
    return { definition: { kind: 'centre', centre, radius }, provenance };
  }
  const examples = Array.from(cluster.members, (row) => exampleOf(gallery, row));
  const [first, ...rest] = examples;
  if (!first) throw new RangeError(`cluster ${clusterIndex} has no members`);
  return { definition: { kind: 'examples', examples: [first, ...rest], radius: options.radius }, provenance };
}

/** A tag definition from one or more example faces of a gallery (e.g. "add a tag from this one image"). */
export function tagFromFaces(gallery: Gallery, faceIds: readonly string[], radius: number): TagDefinition {
  const examples = faceIds.map((id) => {
    const row = gallery.faces.findIndex((f) => f.id === id);
    if (row < 0) throw new RangeError(`face "${id}" is not in the gallery`);
    return exampleOf(gallery, row);
  });
  const [first, ...rest] = examples;
  if (!first) throw new RangeError('a tag needs at least one example face');
  return { kind: 'examples', examples: [first, ...rest], radius };
}

function exampleOf(gallery: Gallery, row: number): TagExample {
  const face = gallery.faces[row]!;
  return { faceId: face.id, image: face.image, embedding: rowOf(gallery.embeddings, row).slice() };
}
