/** Tags as the browser sees them: no embeddings, just what the taxonomy cell shows and edits. */
import type { ExpressionTag, TagTreeNode } from '@feenet/clustering';

export interface TagView {
  readonly id: number;
  readonly name: string;
  readonly parentId: number | null;
  readonly depth: number;
  readonly radius: number;
  readonly kind: 'centre' | 'examples';
  readonly examples: readonly string[];
  readonly provenance: ExpressionTag['provenance'];
}

/** The tree flattened depth-first, parents before children, siblings by name. */
export function tagViews(tree: readonly TagTreeNode[], depth = 0): TagView[] {
  return tree.flatMap((node) => [
    {
      id: node.tag.id,
      name: node.tag.name,
      parentId: node.tag.parentId,
      depth,
      radius: node.tag.radius,
      kind: node.tag.centre ? ('centre' as const) : ('examples' as const),
      examples: node.tag.examples.map((e) => e.faceId ?? '(unnamed face)'),
      provenance: node.tag.provenance,
    },
    ...tagViews(node.children, depth + 1),
  ]);
}
