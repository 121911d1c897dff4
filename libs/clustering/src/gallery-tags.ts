import { type Gallery, rowsWhere } from './gallery';
import { type ExpressionTag, type TagId, TaxonomyError, assignTags } from './taxonomy';

/**
 * The tags of a taxonomy that apply to a gallery's embeddings: same dimension, and (for tags made from clusters)
 * made on the same run's embeddings, since distances across runs mean nothing; the others are listed with why.
 */
export function applicableTags(all: readonly ExpressionTag[], gallery: Gallery): { tags: ExpressionTag[]; skipped: string[] } {
  const tags: ExpressionTag[] = [];
  const skipped: string[] = [];
  const runId = gallery.model?.runId ?? null;
  for (const tag of all) {
    if (tag.dim !== gallery.embeddings.dim) skipped.push(`tag ${tag.id} "${tag.name}": dim ${tag.dim}, the gallery's embeddings have dim ${gallery.embeddings.dim}`);
    else if (tag.provenance?.runId && runId && tag.provenance.runId !== runId) {
      skipped.push(`tag ${tag.id} "${tag.name}": made from run ${tag.provenance.runId}'s clusters, the gallery is run ${runId}'s`);
    } else tags.push(tag);
  }
  return { tags, skipped };
}

/** Gallery rows covered by a tag or any of its descendants; TaxonomyError when the tag is unknown or does not apply. */
export function rowsTaggedWith(gallery: Gallery, all: readonly ExpressionTag[], tagId: TagId): { rows: Uint32Array; name: string } {
  const tag = all.find((t) => t.id === tagId);
  if (!tag) throw new TaxonomyError(`no tag with id ${tagId}`);
  const subtree = new Set([tagId]);
  // Parents may be listed after children, so grow the subtree until it stops changing.
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of all) {
      if (t.parentId !== null && subtree.has(t.parentId) && !subtree.has(t.id)) {
        subtree.add(t.id);
        grew = true;
      }
    }
  }
  const { tags, skipped } = applicableTags(all, gallery);
  if (!tags.some((t) => t.id === tagId)) throw new TaxonomyError(skipped.find((s) => s.startsWith(`tag ${tagId} `)) ?? `tag ${tagId} does not apply`);
  const { byFace } = assignTags(tags.filter((t) => subtree.has(t.id)), gallery.embeddings);
  return { rows: rowsWhere(gallery, (_f, row) => byFace[row]!.length > 0), name: tag.name };
}
