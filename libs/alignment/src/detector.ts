import type { Box, FaceLandmarks5, Point, RgbImage } from './types';

/** One face found by a detector, in the coordinates of the image it was given. */
export interface DetectedFace {
  box: Box;
  /** Detector confidence, 0..1. */
  score: number;
  landmarks: FaceLandmarks5;
  /** The full 68-point (iBUG 300-W) landmarks, when the model provides them. */
  landmarks68?: Point[];
}

/** Milliseconds spent per stage by the last `detect` call (for benchmarks). */
export interface DetectionTimings {
  detectMs: number;
  landmarksMs: number;
}

/**
 * A face detector with 5-point landmarks. Implementations own their model and backend; `detect` may be
 * called concurrently only if the implementation says so (face-api's may not).
 */
export interface FaceDetector {
  /** e.g. "face-api ssd-mobilenet-v1 + landmark68 on wasm (SIMD, 1 thread)". */
  readonly description: string;
  detect(image: RgbImage): Promise<DetectedFace[]>;
  readonly lastTimings?: DetectionTimings;
  dispose?(): void;
}

/** The 5 alignment points from iBUG 68-point landmarks: eye centres = mean of each eye's 6 contour points. */
export function landmarks5From68(p: readonly Point[]): FaceLandmarks5 {
  if (p.length !== 68) throw new Error(`expected 68 landmarks, got ${p.length}`);
  const mean = (from: number, to: number): Point => {
    let x = 0, y = 0;
    for (let i = from; i <= to; i++) { x += p[i]!.x; y += p[i]!.y; }
    const n = to - from + 1;
    return { x: x / n, y: y / n };
  };
  const at = (i: number): Point => ({ x: p[i]!.x, y: p[i]!.y });
  return { leftEye: mean(36, 41), rightEye: mean(42, 47), noseTip: at(30), mouthLeft: at(48), mouthRight: at(54) };
}
