import type { Box, FaceLandmarks5, RgbImage } from './types';

/** Figures describing how usable one detected face is; all measured, none thresholded. */
export interface FaceQuality {
  /** Detector confidence, 0..1. */
  score: number;
  /** Distance between the eye centres in source pixels (after EXIF orientation). */
  interOcularPx: number;
  /** Detector box size in source pixels. */
  boxWidth: number;
  boxHeight: number;
  /**
   * Head yaw in degrees estimated from the landmarks: positive when the nose tip lies right of the eye–mouth
   * midline in the image. Landmark models fail on profiles, so beyond ~45° this is only "large".
   */
  yawDeg: number;
  /** In-plane rotation of the eye line in degrees (positive: clockwise on screen); the warp removes it. */
  rollDeg: number;
  /** Variance of the Laplacian of the aligned crop's luminance over the central face region; low = blurry. */
  blur: number;
}

export interface QualityThresholds {
  minScore: number;
  minInterOcularPx: number;
  maxAbsYawDeg: number;
  maxAbsRollDeg: number;
  minBlur: number;
}

/**
 * Defaults: drop profiles (|yaw| > 35°, where 68-point landmarks become guesses), faces with eyes under 15 px
 * apart (upsampled more than ~4.7× into a 224 crop), low-confidence detections and crops with almost no
 * high-frequency content. Roll is not limited: the warp corrects it.
 */
export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = {
  minScore: 0.5,
  minInterOcularPx: 15,
  maxAbsYawDeg: 35,
  maxAbsRollDeg: Infinity,
  minBlur: 10,
};

/** Which thresholds a face misses, as short readable reasons; empty when it passes. */
export function qualityIssues(quality: FaceQuality, thresholds: Partial<QualityThresholds> = {}): string[] {
  const t = { ...DEFAULT_QUALITY_THRESHOLDS, ...thresholds };
  const issues: string[] = [];
  if (quality.score < t.minScore) issues.push(`score ${quality.score.toFixed(2)} < ${t.minScore}`);
  if (quality.interOcularPx < t.minInterOcularPx) issues.push(`eyes ${quality.interOcularPx.toFixed(1)} px apart < ${t.minInterOcularPx}`);
  if (!(Math.abs(quality.yawDeg) <= t.maxAbsYawDeg)) issues.push(`|yaw| ${Math.abs(quality.yawDeg).toFixed(0)}° > ${t.maxAbsYawDeg}°`);
  if (!(Math.abs(quality.rollDeg) <= t.maxAbsRollDeg)) issues.push(`|roll| ${Math.abs(quality.rollDeg).toFixed(0)}° > ${t.maxAbsRollDeg}°`);
  if (quality.blur < t.minBlur) issues.push(`blur ${quality.blur.toFixed(1)} < ${t.minBlur}`);
  return issues;
}

export function passesQuality(quality: FaceQuality, thresholds: Partial<QualityThresholds> = {}): boolean {
  return qualityIssues(quality, thresholds).length === 0;
}

/**
 * Ratio of nose-tip depth (in front of the eye/mouth plane) to inter-ocular distance on an average adult
 * face; with it, the nose's sideways offset over the foreshortened eye distance is tan(yaw)·ratio.
 */
const NOSE_DEPTH_RATIO = 0.5;

export function estimateYawDeg(l: FaceLandmarks5): number {
  const eyeMid = { x: (l.leftEye.x + l.rightEye.x) / 2, y: (l.leftEye.y + l.rightEye.y) / 2 };
  const mouthMid = { x: (l.mouthLeft.x + l.mouthRight.x) / 2, y: (l.mouthLeft.y + l.mouthRight.y) / 2 };
  const ax = mouthMid.x - eyeMid.x, ay = mouthMid.y - eyeMid.y;
  const axisLen = Math.hypot(ax, ay);
  const iod = Math.hypot(l.rightEye.x - l.leftEye.x, l.rightEye.y - l.leftEye.y);
  if (axisLen === 0 || iod === 0) return 90;
  // Signed distance of the nose tip from the midline; positive to the image right for an upright face.
  const nx = l.noseTip.x - eyeMid.x, ny = l.noseTip.y - eyeMid.y;
  const offset = (ay * nx - ax * ny) / axisLen;
  return (Math.atan(offset / iod / NOSE_DEPTH_RATIO) * 180) / Math.PI;
}

export function estimateRollDeg(l: FaceLandmarks5): number {
  return (Math.atan2(l.rightEye.y - l.leftEye.y, l.rightEye.x - l.leftEye.x) * 180) / Math.PI;
}

/**
 * Variance of the 4-neighbour Laplacian of luminance inside `region` (fractions of the crop; default the
 * central face area of the template, so background and replicated borders do not count).
 */
export function laplacianVariance(img: RgbImage, region = { x0: 0.25, y0: 0.3, x1: 0.75, y1: 0.85 }): number {
  const { data, width, height } = img;
  const gray = new Float32Array(width * height);
  for (let i = 0, p = 0; i < gray.length; i++, p += 3) gray[i] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  const xs = Math.max(1, Math.floor(region.x0 * width)), xe = Math.min(width - 1, Math.ceil(region.x1 * width));
  const ys = Math.max(1, Math.floor(region.y0 * height)), ye = Math.min(height - 1, Math.ceil(region.y1 * height));
  let sum = 0, sumSq = 0, n = 0;
  for (let y = ys; y < ye; y++) {
    for (let x = xs; x < xe; x++) {
      const i = y * width + x;
      const lap = gray[i - 1]! + gray[i + 1]! + gray[i - width]! + gray[i + width]! - 4 * gray[i]!;
      sum += lap; sumSq += lap * lap; n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

export function measureQuality(input: { score: number; box: Box; landmarks: FaceLandmarks5; aligned: RgbImage }): FaceQuality {
  const l = input.landmarks;
  return {
    score: input.score,
    interOcularPx: Math.hypot(l.rightEye.x - l.leftEye.x, l.rightEye.y - l.leftEye.y),
    boxWidth: input.box.width,
    boxHeight: input.box.height,
    yawDeg: estimateYawDeg(l),
    rollDeg: estimateRollDeg(l),
    blur: laplacianVariance(input.aligned),
  };
}
