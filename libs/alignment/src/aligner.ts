import type { BackendReport } from '@feenet/feenet';
import { alignFace, DEFAULT_ALIGNED_SIZE } from './align-face';
import { decodeImage, type DecodeOptions } from './decode';
import type { DetectedFace, FaceDetector } from './detector';
import { createFaceApiDetector, type FaceApiDetectorOptions } from './face-api-detector';
import { failure, type AlignFailure } from './failure';
import { estimateRollDeg, measureQuality, qualityIssues, type FaceQuality, type QualityThresholds } from './quality';
import { rotateRgb, unturnBox, unturnPoint } from './quarter-turn';
import type { AffineMatrix, Box, FaceLandmarks5, Point, RgbImage } from './types';

export interface AlignerOptions {
  /** Output side; default 224. */
  size?: number;
  /** A ready detector; default: face-api ssd-mobilenet-v1 with `faceApi` options. */
  detector?: FaceDetector;
  faceApi?: FaceApiDetectorOptions;
  decode?: DecodeOptions;
  /** Least-squares weights of the 5 landmarks (see `alignFace`). */
  weights?: readonly number[];
  borderColor?: readonly [number, number, number];
  /**
   * Also detect on the image turned 90°, 180° and 270° and keep, per face, the most upright detection: finds
   * faces in photos rotated without an EXIF tag, at 4× the detection cost. Default false.
   */
  rotationSearch?: boolean;
  /** Thresholds behind each face's `passesQuality`; faces failing them are still returned. */
  qualityThresholds?: Partial<QualityThresholds>;
}

/** One aligned face; every coordinate except the crop's is in source pixels (after EXIF orientation). */
export interface AlignedFace {
  /** 0-based, in decreasing detection score. */
  index: number;
  /** The aligned RGB crop, `size`×`size`. */
  image: RgbImage;
  box: Box;
  landmarks: FaceLandmarks5;
  landmarks68?: Point[];
  /** Source → aligned similarity, [a, b, tx, c, d, ty]. */
  transform: AffineMatrix;
  quality: FaceQuality;
  passesQuality: boolean;
  /** Why it fails the quality thresholds; empty when it passes. */
  qualityIssues: string[];
}

export interface StageTimings {
  decodeMs: number;
  detectMs: number;
  landmarksMs: number;
  warpMs: number;
}

export type AlignImageResult =
  | { ok: true; faces: AlignedFace[]; width: number; height: number; format: string; timings: StageTimings }
  | { ok: false; error: AlignFailure; timings: StageTimings };

export interface Aligner {
  /** What runs: detector, models and tfjs backend. */
  readonly description: string;
  readonly backend?: BackendReport;
  /** Aligns every face of an image given as bytes or a file path. Never throws for bad input. */
  alignImage(input: Uint8Array | string): Promise<AlignImageResult>;
  dispose(): void;
}

export async function createAligner(options: AlignerOptions = {}): Promise<Aligner> {
  const size = options.size ?? DEFAULT_ALIGNED_SIZE;
  const faceApiDetector = options.detector ? undefined : await createFaceApiDetector(options.faceApi);
  const detector: FaceDetector = options.detector ?? faceApiDetector!;
  // face-api keeps per-call state in shared tensors: serialise calls so concurrent alignImage calls are safe.
  let queue: Promise<unknown> = Promise.resolve();

  async function alignOne(input: Uint8Array | string): Promise<AlignImageResult> {
    const timings: StageTimings = { decodeMs: 0, detectMs: 0, landmarksMs: 0, warpMs: 0 };
    let t = performance.now();
    const decoded = await decodeImage(input, options.decode);
    timings.decodeMs = performance.now() - t;
    if (!decoded.ok) return { ok: false, error: decoded.error, timings };
    const img = decoded.image;

    let found: DetectedFace[];
    try {
      found = await detectFaces(img.detect, timings);
    } catch (err) {
      // A model failure on one image (e.g. a degenerate size) must not end a batch.
      return { ok: false, error: failure('corrupt', `detector failed: ${(err as Error).message}`), timings };
    }
    if (found.length === 0) return { ok: false, error: failure('no-face', `no face found in ${img.width}×${img.height} ${img.format}`), timings };

    t = performance.now();
    const toSource = (p: Point): Point => ({ x: (p.x - img.detectOffset) / img.detectScale, y: (p.y - img.detectOffset) / img.detectScale });
    const ws = img.workingScale;
    const faces = [...found]
      .sort((a, b) => b.score - a.score)
      .map((face, index): AlignedFace => {
        const landmarks = mapLandmarks(face.landmarks, toSource);
        const topLeft = toSource({ x: face.box.x, y: face.box.y });
        const box: Box = { x: topLeft.x, y: topLeft.y, width: face.box.width / img.detectScale, height: face.box.height / img.detectScale };
        const crop = alignFace(img.working, mapLandmarks(landmarks, (p) => ({ x: p.x * ws, y: p.y * ws })), {
          size,
          ...(options.weights ? { weights: options.weights } : {}),
          ...(options.borderColor ? { borderColor: options.borderColor } : {}),
        });
        const [a, b, tx, c, d, ty] = crop.transform;
        const quality = measureQuality({ score: face.score, box, landmarks, aligned: crop.image });
        const issues = qualityIssues(quality, options.qualityThresholds);
        return {
          index,
          image: crop.image,
          box,
          landmarks,
          ...(face.landmarks68 ? { landmarks68: face.landmarks68.map(toSource) } : {}),
          transform: [a * ws, b * ws, tx, c * ws, d * ws, ty],
          quality,
          passesQuality: issues.length === 0,
          qualityIssues: issues,
        };
      });
    timings.warpMs = performance.now() - t;
    return { ok: true, faces, width: img.width, height: img.height, format: img.format, timings };
  }

  async function detectOnce(image: RgbImage, timings: StageTimings): Promise<DetectedFace[]> {
    const t = performance.now();
    const faces = await detector.detect(image);
    const elapsed = performance.now() - t;
    timings.detectMs += detector.lastTimings?.detectMs ?? elapsed;
    timings.landmarksMs += detector.lastTimings?.landmarksMs ?? 0;
    return faces;
  }

  async function detectFaces(image: RgbImage, timings: StageTimings): Promise<DetectedFace[]> {
    if (!options.rotationSearch) return detectOnce(image, timings);
    const candidates: { face: DetectedFace; tilt: number }[] = [];
    for (const turn of [0, 90, 180, 270] as const) {
      for (const face of await detectOnce(rotateRgb(image, turn), timings)) {
        // Landmark models are trained on upright faces: the detection with the least roll in its own frame wins.
        const tilt = Math.abs(estimateRollDeg(face.landmarks));
        const back = (p: Point) => unturnPoint(p, turn, image.width, image.height);
        candidates.push({
          tilt,
          face: {
            box: unturnBox(face.box, turn, image.width, image.height),
            score: face.score,
            landmarks: mapLandmarks(face.landmarks, back),
            ...(face.landmarks68 ? { landmarks68: face.landmarks68.map(back) } : {}),
          },
        });
      }
    }
    candidates.sort((a, b) => a.tilt - b.tilt);
    const kept: DetectedFace[] = [];
    for (const { face } of candidates) {
      const c = eyeMid(face.landmarks);
      const duplicate = kept.some((k) => {
        const d = eyeMid(k.landmarks);
        return Math.hypot(c.x - d.x, c.y - d.y) < 0.5 * Math.max(k.box.width, face.box.width);
      });
      if (!duplicate) kept.push(face);
    }
    return kept;
  }

  return {
    description: detector.description,
    ...(faceApiDetector ? { backend: faceApiDetector.backend } : {}),
    alignImage(input) {
      const run = queue.then(() => alignOne(input));
      queue = run.catch(() => undefined);
      return run;
    },
    dispose() {
      detector.dispose?.();
    },
  };
}

function eyeMid(l: FaceLandmarks5): Point {
  return { x: (l.leftEye.x + l.rightEye.x) / 2, y: (l.leftEye.y + l.rightEye.y) / 2 };
}

function mapLandmarks(l: FaceLandmarks5, f: (p: Point) => Point): FaceLandmarks5 {
  return { leftEye: f(l.leftEye), rightEye: f(l.rightEye), noseTip: f(l.noseTip), mouthLeft: f(l.mouthLeft), mouthRight: f(l.mouthRight) };
}
