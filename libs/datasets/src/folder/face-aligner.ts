/**
 * What the dataset sources need of @feenet/alignment's aligner (`createAligner()` satisfies it; tests pass
 * stand-ins): the crop, the box and the quality verdict of each face found, or the failure.
 */
import type { AlignedFace, AlignImageResult, FaceQuality } from '@feenet/alignment';

/** The fields of a found face that a source reads. */
export type SourceFace = Pick<AlignedFace, 'image' | 'box' | 'passesQuality' | 'qualityIssues'> & { quality: Pick<FaceQuality, 'score'> };

export type SourceAlignResult = { ok: true; faces: readonly SourceFace[]; width: number; height: number } | Pick<Extract<AlignImageResult, { ok: false }>, 'ok' | 'error'>;

export interface FaceAligner {
  readonly description: string;
  /** Never throws for bad input: failures come back as `{ ok: false }` with a kind (no-face, corrupt, ...). */
  alignImage(input: Uint8Array | string): Promise<SourceAlignResult>;
  dispose?(): void;
}

/** The face to keep from an image expected to hold one: the one nearest `centre` if given, else the best scored. */
export function pickFace<F extends SourceFace>(faces: readonly F[], centre?: { x: number; y: number }): F | undefined {
  if (!centre) return faces[0];
  let best: F | undefined;
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
