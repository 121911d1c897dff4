import { selectRows } from './embeddings';
import type { Gallery } from './gallery';
import { type KMeansOptions, kMeans } from './kmeans';

export interface ExpressionGroup {
  /** The face nearest the group's centre: the one to show for this expression. */
  readonly representative: { readonly id: string; readonly row: number; readonly distance: number };
  readonly size: number;
  /** Gallery rows of the group, nearest to the centre first. */
  readonly members: Uint32Array;
}

export interface ExpressionSummary {
  /** Number of groups asked for after clamping to the number of faces. */
  readonly k: number;
  /** Groups, largest first. */
  readonly groups: readonly ExpressionGroup[];
}

export interface SummaryOptions extends Omit<KMeansOptions, 'restarts'> {
  /** Number of expression groups. Default 8. */
  readonly k?: number;
  readonly restarts?: number;
}

/**
 * Summarises a set of faces (e.g. one person's) as up to K expression groups with the face
 * nearest each centre. With fewer faces than K every face is its own group.
 */
export function summariseFaces(gallery: Gallery, rows: Uint32Array, options: SummaryOptions = {}): ExpressionSummary {
  const requested = options.k ?? 8;
  if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`k must be a positive integer, got ${requested}`);
  const k = Math.min(requested, rows.length);
  if (k === 0) return { k, groups: [] };
  const subset = selectRows(gallery.embeddings, rows);
  const result = kMeans(subset, k, options);
  const groups = result.clusters
    // Only possible with duplicate embeddings: fewer distinct faces than K.
    .filter((c) => c.members.length > 0)
    .map((c) => {
      const members = Uint32Array.from(c.members, (local) => rows[local]!);
      const row = members[0]!;
      return {
        representative: { id: gallery.faces[row]!.id, row, distance: c.distances[0]! },
        size: members.length,
        members,
      };
    })
    .sort((a, b) => b.size - a.size || a.representative.row - b.representative.row);
  return { k, groups };
}

/** summariseFaces over all faces whose `person` matches; throws if the person has no faces. */
export function summarisePerson(gallery: Gallery, person: string, options: SummaryOptions = {}): ExpressionSummary {
  const rows: number[] = [];
  gallery.faces.forEach((f, i) => {
    if (f.person === person) rows.push(i);
  });
  if (rows.length === 0) throw new RangeError(`no faces of person "${person}" in the gallery`);
  return summariseFaces(gallery, Uint32Array.from(rows), options);
}

