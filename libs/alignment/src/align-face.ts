import { applyAffine, fitSimilarity } from './similarity-transform';
import { DEFAULT_LANDMARK_WEIGHTS, templateForSize } from './template';
import { landmarksToArray, type AffineMatrix, type FaceLandmarks5, type RgbImage } from './types';
import { warpAffine } from './warp';

export interface AlignFaceOptions {
  /** Output side in pixels; the template scales with it (inter-ocular distance = 70/224 of the side). Default 224. */
  size?: number;
  /** Least-squares weights of leftEye, rightEye, noseTip, mouthLeft, mouthRight; default `DEFAULT_LANDMARK_WEIGHTS`. */
  weights?: readonly number[];
  /** Constant border colour; default: replicate edge pixels. */
  borderColor?: readonly [number, number, number];
}

export interface AlignedCrop {
  image: RgbImage;
  /** Source → aligned similarity transform. */
  transform: AffineMatrix;
  /** The five source landmarks mapped into the crop. */
  alignedLandmarks: FaceLandmarks5;
}

export const DEFAULT_ALIGNED_SIZE = 224;

/** Fits the similarity that maps `landmarks` onto the reference template and warps `rgb` with it. Pure. */
export function alignFace(rgb: RgbImage, landmarks: FaceLandmarks5, options: AlignFaceOptions = {}): AlignedCrop {
  const size = options.size ?? DEFAULT_ALIGNED_SIZE;
  if (!Number.isInteger(size) || size < 8) throw new Error(`alignFace: size must be an integer >= 8, got ${size}`);
  const transform = fitSimilarity(landmarksToArray(landmarks), landmarksToArray(templateForSize(size)), options.weights ?? DEFAULT_LANDMARK_WEIGHTS);
  const image = warpAffine(rgb, transform, size, size, options.borderColor ? { borderColor: options.borderColor } : {});
  const map = (p: { x: number; y: number }) => applyAffine(transform, p);
  return {
    image,
    transform,
    alignedLandmarks: {
      leftEye: map(landmarks.leftEye),
      rightEye: map(landmarks.rightEye),
      noseTip: map(landmarks.noseTip),
      mouthLeft: map(landmarks.mouthLeft),
      mouthRight: map(landmarks.mouthRight),
    },
  };
}
