/**
 * A region of a stored face image, [top, left, bottom, right] as fractions of its height and width: what part
 * of each face a backbone reads (`TrainConfig.inputRegion`).
 */
export type FaceRegion = readonly [top: number, left: number, bottom: number, right: number];
/**
 * Where a face detector's tight box sits in an aligned crop (eyes level at 0.40·size, 0.31·size apart): the face
 * from brows to chin, without hair and background. face-api's nets were trained on such boxes; measured on
 * synthetic faces, ridge regression from their features to the expression parameters reached R² 0.64–0.90 on
 * this crop against 0.26–0.73 on the whole aligned image.
 */
export const ALIGNED_FACE_BOX: FaceRegion = [0.16, 0.125, 0.96, 0.875];
/**
 * The inner face of an aligned crop, from above the brows to below the mouth and between the cheeks: where the
 * expression is, at 1.3x the face box's scale. What B0 at 64 px reads best on synthetic faces (libs/feenet README,
 * README): the same pixels go to the features that change with expression.
 */
export const ALIGNED_INNER_FACE: FaceRegion = [0.24, 0.2, 0.84, 0.8];
/** The whole stored image: for faces already cropped tightly, as face-api's detector would (FER2013's). */
export const WHOLE_IMAGE: FaceRegion = [0, 0, 1, 1];

/** The regions a flag or script argument may name instead of writing four fractions. */
export const NAMED_FACE_REGIONS: Readonly<Record<string, FaceRegion>> = {
  'face-box': ALIGNED_FACE_BOX,
  'inner-face': ALIGNED_INNER_FACE,
  whole: WHOLE_IMAGE,
};

/** A region from its name (`NAMED_FACE_REGIONS`) or "top,left,bottom,right" fractions, or why the text is neither. */
export function faceRegionFromText(text: string): { region: FaceRegion } | { problem: string } {
  const named = NAMED_FACE_REGIONS[text];
  if (named) return { region: named };
  const parts = text.split(',').map((v) => (v.trim() === '' ? NaN : Number(v)));
  const problem = faceRegionProblem(parts);
  if (!problem) return { region: parts as unknown as FaceRegion };
  const names = Object.keys(NAMED_FACE_REGIONS).join(', ');
  return { problem: text.includes(',') ? `"${text}": ${problem}` : `"${text}" is neither a named region (${names}) nor top,left,bottom,right fractions` };
}

/** Why `region` cannot be read from a face image, or null when it can. */
export function faceRegionProblem(region: unknown): string | null {
  if (!Array.isArray(region) || region.length !== 4 || !region.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return `a region is four numbers [top, left, bottom, right], got ${JSON.stringify(region)}`;
  }
  const [top, left, bottom, right] = region as number[];
  if (!(top! >= 0 && left! >= 0 && bottom! <= 1 && right! <= 1 && top! < bottom! && left! < right!)) {
    return `a region needs 0 <= top < bottom <= 1 and 0 <= left < right <= 1, got ${JSON.stringify(region)}`;
  }
  return null;
}

export function sameRegion(a: FaceRegion, b: FaceRegion): boolean {
  return a.every((v, i) => v === b[i]);
}

/** The region in pixels of a width × height image, as sharp's `extract` takes it (at least 1 × 1). */
export function regionInPixels(region: FaceRegion, width: number, height: number): { left: number; top: number; width: number; height: number } {
  const [top, left, bottom, right] = region;
  const x0 = Math.round(left * width);
  const y0 = Math.round(top * height);
  return { left: x0, top: y0, width: Math.max(1, Math.round(right * width) - x0), height: Math.max(1, Math.round(bottom * height) - y0) };
}
