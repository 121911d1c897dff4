/**
 * How well a gallery's embedding knows expressions, from its labels (and persons, where known): the figures of
 * `trainer:evaluate --faces`. Both are measured on triplets sampled with a seed, so a rerun gives the same figure.
 */
import type { EmbeddingMatrix } from './embeddings';
import type { Gallery } from './gallery';
import { seededRandom, type RandomSource } from './prng';

export interface GalleryTripletOptions {
  /** Triplets sampled; default 5,000. */
  count?: number;
  seed?: number;
}

export interface TwoClassAccuracy {
  /** Share of triplets whose anchor–positive pair (same label) is strictly the closest of the three pairs. */
  accuracy: number;
  triplets: number;
  /** Anchor and positive were drawn from different persons (persons known), so identity cannot help. */
  acrossPersons: boolean;
}

export interface IdentityInvariance {
  /**
   * Share of (face, same expression of another person, another expression of the same person) where the other
   * person's face is the closer: 1 for an embedding that ignores identity, ~0 for one that clusters by person.
   */
  share: number;
  comparisons: number;
}

function squaredDistance(m: EmbeddingMatrix, i: number, j: number): number {
  let sum = 0;
  for (let k = 0, a = i * m.dim, b = j * m.dim; k < m.dim; k++) {
    const d = m.data[a + k]! - m.data[b + k]!;
    sum += d * d;
  }
  return sum;
}

const pick = <T>(list: readonly T[], random: RandomSource): T => list[Math.floor(random() * list.length)]!;

/** Rows grouped by a key (faces without one are left out). */
function rowsBy(gallery: Gallery, key: (row: number) => string | undefined): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  gallery.faces.forEach((_, row) => {
    const k = key(row);
    if (k === undefined) return;
    const list = groups.get(k) ?? [];
    groups.set(k, list);
    list.push(row);
  });
  return groups;
}

/**
 * Two-class triplets from labels, as for a labelled dataset: anchor and positive share a label, the negative
 * has another. Where persons are known, anchor and positive are of different persons.
 */
export function twoClassTripletAccuracy(gallery: Gallery, options: GalleryTripletOptions = {}): TwoClassAccuracy {
  const { triplets, acrossPersons } = twoClassTriplets(gallery, options);
  const right = triplets.filter(([a, p, n]) => {
    const ap = squaredDistance(gallery.embeddings, a, p);
    return ap < squaredDistance(gallery.embeddings, a, n) && ap < squaredDistance(gallery.embeddings, p, n);
  }).length;
  return { accuracy: right / triplets.length, triplets: triplets.length, acrossPersons };
}

/** Gallery rows of a triplet: anchor, positive (the similar pair), negative (the odd one out). */
export type RowTriplet = readonly [anchor: number, positive: number, negative: number];

/** The two-class triplets `twoClassTripletAccuracy` scores (same seed, same triplets). */
export function twoClassTriplets(gallery: Gallery, options: GalleryTripletOptions = {}): { triplets: RowTriplet[]; acrossPersons: boolean } {
  const random = seededRandom(options.seed ?? 1);
  const count = options.count ?? 5000;
  const byLabel = rowsBy(gallery, (row) => gallery.faces[row]!.label);
  const labels = [...byLabel.keys()].filter((l) => byLabel.get(l)!.length >= 2);
  if (labels.length < 1 || byLabel.size < 2) throw new Error(`two-class triplets need two labels, one with two faces: this gallery has ${byLabel.size} label(s)`);
  const person = (row: number) => gallery.faces[row]!.person;
  const acrossPersons = gallery.faces.some((f) => f.person !== undefined);
  const triplets: RowTriplet[] = [];
  for (let attempt = 0; triplets.length < count && attempt < count * 20; attempt++) {
    const label = pick(labels, random);
    const rows = byLabel.get(label)!;
    const a = pick(rows, random);
    const p = pick(rows, random);
    if (a === p || (acrossPersons && person(a) !== undefined && person(a) === person(p))) continue;
    const n = Math.floor(random() * gallery.faces.length);
    if (gallery.faces[n]!.label === undefined || gallery.faces[n]!.label === label) continue;
    triplets.push([a, p, n]);
  }
  if (triplets.length === 0) throw new Error('no two-class triplet could be drawn from this gallery (too few faces per label and person)');
  return { triplets, acrossPersons };
}

/** A triplet as the embedding sees it, for looking at what a model gets wrong. */
export interface InspectedTriplet {
  readonly anchor: string;
  readonly positive: string;
  readonly negative: string;
  /** Euclidean distances between the three faces. */
  readonly distances: { readonly anchorPositive: number; readonly anchorNegative: number; readonly positiveNegative: number };
  /** The face the model calls the odd one out: the one not in the closest pair. */
  readonly predictedOdd: 'anchor' | 'positive' | 'negative';
  readonly correct: boolean;
  /**
   * How far the rated pair is from being the closest pair: the nearer of d(a,n) and d(p,n) minus d(a,p).
   * Positive when right (a larger margin, a surer call), negative when wrong.
   */
  readonly margin: number;
  /** A rated triplet's type (FEC: ONE_CLASS, TWO_CLASS, THREE_CLASS) and the share of raters who agreed; null for label-derived ones. */
  readonly type: string | null;
  readonly agreement: number | null;
}

/** A rated triplet as datasets store it (one JSON line each): the negative is the raters' odd one out. */
export interface RatedTriplet {
  readonly anchor: string;
  readonly positive: string;
  readonly negative: string;
  readonly type?: string;
  readonly agreement?: number;
}

/** Rated triplets whose three faces are in the gallery, as rows with their ratings; the others are counted. */
export function ratedTripletRows(gallery: Gallery, rated: readonly RatedTriplet[]): { triplets: RowTriplet[]; ratings: TripletRating[]; missing: number } {
  const rowOf = new Map(gallery.faces.map((f, i) => [f.id, i]));
  const triplets: RowTriplet[] = [];
  const ratings: TripletRating[] = [];
  let missing = 0;
  for (const t of rated) {
    const a = rowOf.get(t.anchor), p = rowOf.get(t.positive), n = rowOf.get(t.negative);
    if (a === undefined || p === undefined || n === undefined) {
      missing++;
      continue;
    }
    triplets.push([a, p, n]);
    ratings.push({ type: t.type ?? null, agreement: t.agreement ?? null });
  }
  return { triplets, ratings, missing };
}

export type TripletRating = { readonly type: string | null; readonly agreement: number | null };

export function inspectTriplets(gallery: Gallery, triplets: readonly RowTriplet[], ratings?: readonly TripletRating[]): InspectedTriplet[] {
  const d = (i: number, j: number) => Math.sqrt(squaredDistance(gallery.embeddings, i, j));
  return triplets.map(([a, p, n], i) => {
    const ap = d(a, p), an = d(a, n), pn = d(p, n);
    // The closest pair is the one the model calls similar; the third face is its odd one out.
    const predictedOdd = ap <= an && ap <= pn ? 'negative' : an <= pn ? 'positive' : 'anchor';
    return {
      anchor: gallery.faces[a]!.id,
      positive: gallery.faces[p]!.id,
      negative: gallery.faces[n]!.id,
      distances: { anchorPositive: ap, anchorNegative: an, positiveNegative: pn },
      predictedOdd,
      correct: predictedOdd === 'negative' && ap < an && ap < pn,
      margin: Math.min(an, pn) - ap,
      type: ratings?.[i]?.type ?? null,
      agreement: ratings?.[i]?.agreement ?? null,
    };
  });
}

/**
 * For a face: is another person's face with the same label closer than the same person's face with another
 * label? Needs labels and persons; undefined when no such comparison exists.
 */
export function identityInvariance(gallery: Gallery, options: GalleryTripletOptions = {}): IdentityInvariance | undefined {
  const random = seededRandom(options.seed ?? 1);
  const count = options.count ?? 5000;
  const face = (row: number) => gallery.faces[row]!;
  const byLabel = rowsBy(gallery, (row) => face(row).label);
  const byPerson = rowsBy(gallery, (row) => (face(row).label === undefined ? undefined : face(row).person));
  const anchors = [...byPerson.values()].flat();
  if (anchors.length === 0) return undefined;
  let closer = 0, made = 0;
  for (let attempt = 0; made < count && attempt < count * 20; attempt++) {
    const a = pick(anchors, random);
    const { label, person } = face(a);
    const sameLabel = byLabel.get(label!)!.filter((r) => face(r).person !== undefined && face(r).person !== person);
    const samePerson = byPerson.get(person!)!.filter((r) => face(r).label !== label);
    if (sameLabel.length === 0 || samePerson.length === 0) continue;
    made++;
    if (squaredDistance(gallery.embeddings, a, pick(sameLabel, random)) < squaredDistance(gallery.embeddings, a, pick(samePerson, random))) closer++;
  }
  return made === 0 ? undefined : { share: closer / made, comparisons: made };
}
