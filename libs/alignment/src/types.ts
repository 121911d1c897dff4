/** A point in pixel coordinates (x right, y down), origin at the top-left pixel's corner. */
export interface Point {
  x: number;
  y: number;
}

/** An axis-aligned box in pixel coordinates. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The five landmarks every alignment is fitted to, in this order.
 * "Left"/"right" are as seen in the image (the subject's right eye is `leftEye`).
 */
export interface FaceLandmarks5 {
  leftEye: Point;
  rightEye: Point;
  noseTip: Point;
  mouthLeft: Point;
  mouthRight: Point;
}

export const LANDMARK_NAMES = ['leftEye', 'rightEye', 'noseTip', 'mouthLeft', 'mouthRight'] as const;

/** Packed 8-bit RGB, row-major, no padding: `data.length === width * height * 3`. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * A 2×3 affine matrix [a, b, tx, c, d, ty]: x' = a·x + b·y + tx, y' = c·x + d·y + ty.
 * For a similarity transform a = d = s·cosθ and c = −b = s·sinθ.
 */
export type AffineMatrix = readonly [number, number, number, number, number, number];

export function landmarksToArray(l: FaceLandmarks5): Point[] {
  return LANDMARK_NAMES.map((name) => l[name]);
}
