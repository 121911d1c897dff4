/**
 * The one on-disk dataset format every source writes (synthetic, FEC, labelled folders), so the trainer,
 * evaluator and workbench never special-case a source:
 *
 *   <root>/dataset.json     DatasetInfo
 *   <root>/faces.jsonl      one FaceRecord per line (the face table)
 *   <root>/triplets.jsonl   one Triplet per line (the triplet table)
 *   <root>/faces/...        aligned face images (PNG), paths relative to <root>
 */

/** FEC's triplet kinds: how many coarse expression classes the three faces span. */
export const TRIPLET_TYPES = ['ONE_CLASS', 'TWO_CLASS', 'THREE_CLASS'] as const;
export type TripletType = (typeof TRIPLET_TYPES)[number];

export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export interface FaceRecord {
  id: string;
  /** Image path relative to the dataset root. */
  file: string;
  split: Split;
  /** Who the face belongs to, when known: splits never share a person. */
  person?: string;
  /** A coarse expression label, when the source has one (colouring, evaluation, and label triplets in training). */
  label?: string;
  /** Where the face came from (source image, URL, generator parameters ...), source-specific. */
  source?: Record<string, unknown>;
}

/** A rated triplet: raters judged (anchor, positive) the most similar pair; negative is the odd one out. */
export interface Triplet {
  anchor: string;
  positive: string;
  negative: string;
  type: TripletType;
  /** Share of raters who chose this odd one out, in (0, 1]. */
  agreement: number;
  split: Split;
}

export interface DatasetInfo {
  formatVersion: 1;
  name: string;
  source: 'synthetic' | 'fec' | 'folder';
  createdAt: string;
  /** Side of the square face images, in pixels. */
  imageSize: number;
  faces: Record<Split, number>;
  triplets: Record<Split, number>;
  /** Source-specific settings that produced the dataset (seed, agreement threshold, ...). */
  settings: Record<string, unknown>;
}
