import type { FaceLandmarks5 } from './types';

/**
 * The reference positions of the five landmarks, as fractions of the output side.
 * Derived from the ArcFace 112×112 template (insightface), made left-right symmetric and rescaled so that at
 * 224 px the eyes sit at y = 0.4·size, x = size/2 ± 35 (inter-ocular distance 70 px); nose and mouth keep the
 * ArcFace proportions relative to the eyes (nose 40 px, mouth 81 px below the eye line at 224).
 */
export const REFERENCE_TEMPLATE: FaceLandmarks5 = {
  leftEye: { x: 0.5 - 35 / 224, y: 0.4 },
  rightEye: { x: 0.5 + 35 / 224, y: 0.4 },
  noseTip: { x: 0.5, y: 0.4 + 40.0 / 224 },
  mouthLeft: { x: 0.5 - 28.98 / 224, y: 0.4 + 80.82 / 224 },
  mouthRight: { x: 0.5 + 28.98 / 224, y: 0.4 + 80.82 / 224 },
};

/**
 * Per-landmark weights of the least-squares fit (same order as the landmarks): eyes 40, nose 2, mouth corners 1.
 * Measured on the 22 demo faces: with equal weights, pitch (looking down) and expression (mouth corners move
 * when smiling or speaking) tilt the eye line by up to 8 px and change the eye distance by up to 14 px; at
 * 40:2:1 the eyes of faces with |yaw| <= 25° stay level within 1.4 px and 70 ± 1.8 px apart, while nose and
 * mouth still pull on rotation and scale when an eye landmark is off. For an expression embedding this is the
 * right bias: eye centres are the most rigid of the five points.
 */
export const DEFAULT_LANDMARK_WEIGHTS = [40, 40, 2, 1, 1] as const;

/** The reference template in pixels for an output of `size`×`size`. */
export function templateForSize(size: number): FaceLandmarks5 {
  const at = (p: { x: number; y: number }) => ({ x: p.x * size, y: p.y * size });
  return {
    leftEye: at(REFERENCE_TEMPLATE.leftEye),
    rightEye: at(REFERENCE_TEMPLATE.rightEye),
    noseTip: at(REFERENCE_TEMPLATE.noseTip),
    mouthLeft: at(REFERENCE_TEMPLATE.mouthLeft),
    mouthRight: at(REFERENCE_TEMPLATE.mouthRight),
  };
}
