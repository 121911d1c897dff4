/**
 * What the dataset sources need from a face aligner. `@feenet/alignment` provides it (`createAligner`), but that
 * library depends on this one, so the sources take an aligner as an argument (the trainer app creates it) instead
 * of importing it: a structural interface that `Aligner` satisfies.
 */
export interface AlignedFaceLike {
  /** The aligned crop, packed RGB. */
  image: { data: Uint8Array; width: number; height: number };
  /** Detection box in the input image's pixels. */
  box: { x: number; y: number; width: number; height: number };
  quality: { score: number };
  passesQuality: boolean;
  qualityIssues: readonly string[];
}

export type AlignResultLike =
  | { ok: true; faces: readonly AlignedFaceLike[]; width: number; height: number }
  | { ok: false; error: { kind: string; message: string } };

export interface FaceAligner {
  readonly description: string;
  /** Never throws for bad input: failures come back as `{ ok: false }` with a kind (no-face, corrupt, ...). */
  alignImage(input: Uint8Array | string): Promise<AlignResultLike>;
  dispose?(): void;
}

/** Makes an aligner writing `size`×`size` crops (the trainer passes `createAligner` of @feenet/alignment). */
export type FaceAlignerFactory = (options: { size: number; detector: string }) => Promise<FaceAligner>;

let provided: FaceAlignerFactory | undefined;

/**
 * Registers the aligner factory `ensureDataset` uses when a training config asks for a labelled folder that is
 * not aligned yet. Apps call this once (the trainer does when it builds such a config).
 */
export function provideFaceAligner(factory: FaceAlignerFactory | undefined): void {
  provided = factory;
}

export function providedFaceAligner(): FaceAlignerFactory | undefined {
  return provided;
}

/** The face to keep from an image expected to hold one: the one nearest `centre` if given, else the best scored. */
export function pickFace(faces: readonly AlignedFaceLike[], centre?: { x: number; y: number }): AlignedFaceLike | undefined {
  if (!centre) return faces[0];
  let best: AlignedFaceLike | undefined;
  let bestD = Infinity;
  for (const f of faces) {
    const d = Math.hypot(f.box.x + f.box.width / 2 - centre.x, f.box.y + f.box.height / 2 - centre.y);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}
