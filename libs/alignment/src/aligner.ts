import type { BackendReport } from '@feenet/tfjs-runtime';
import { alignFace, DEFAULT_ALIGNED_SIZE } from './align-face';
import { decodeImage, framedView, type DecodedImage, type DecodeOptions, type DetectionView } from './decode';
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
  /** Where the detector finds nothing, look again with the photo inside a grey frame (default on); `false` turns it off. */
  framedSearch?: FramedSearchOptions | false;
}

/**
 * The second look for a face that fills its photo. The photo is shrunk to `side` px inside a grey frame of each
 * `padShares` share in turn, and a face counts only if its box covers at least `minCover` of the photo's shorter
 * side and its 5 landmarks lie inside the photo: a face that fills the frame is the only thing this pass is for.
 */
export interface FramedSearchOptions {
  /** Default: face-api's tiny detector at 224 px, score ≥ 0.1 (the cover and landmark checks reject what a low score lets through). */
  detector?: FaceDetector;
  padShares?: readonly number[];
  side?: number;
  minCover?: number;
}

export const DEFAULT_FRAMED_SEARCH = { padShares: [0.75, 0.5, 1.0], side: 160, minCover: 0.4, minConfidence: 0.1, tinyInputSize: 224 } as const;

/** How a face was found: by the detector on the photo as given, or in the photo inside a grey frame. */
export type FoundBy = 'detector' | 'framed';

/** One aligned face; every coordinate except the crop's is in source pixels (after EXIF orientation). */
export interface AlignedFace {
  /** 0-based, in decreasing detection score. */
  index: number;
  foundBy: FoundBy;
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
  const framed = options.framedSearch === false ? undefined : { ...DEFAULT_FRAMED_SEARCH, ...options.framedSearch };
  const framedDetector: FaceDetector | undefined = !framed
    ? undefined
    : (framed.detector ??
      (options.detector ??
        (await createFaceApiDetector({
          model: 'tiny-face-detector',
          tinyInputSize: DEFAULT_FRAMED_SEARCH.tinyInputSize,
          minConfidence: DEFAULT_FRAMED_SEARCH.minConfidence,
          ...(options.faceApi?.modelDir ? { modelDir: options.faceApi.modelDir } : {}),
        }))));
  // face-api keeps per-call state in shared tensors: serialise calls so concurrent alignImage calls are safe.
  let queue: Promise<unknown> = Promise.resolve();

  async function alignOne(input: Uint8Array | string): Promise<AlignImageResult> {
    const timings: StageTimings = { decodeMs: 0, detectMs: 0, landmarksMs: 0, warpMs: 0 };
    let t = performance.now();
    const decoded = await decodeImage(input, options.decode);
    timings.decodeMs = performance.now() - t;
    if (!decoded.ok) return { ok: false, error: decoded.error, timings };
    const img = decoded.image;

    let found: { face: DetectedFace; foundBy: FoundBy }[];
    try {
      found = await searchFaces(img, timings);
    } catch (err) {
      // A model failure on one image (e.g. a degenerate size) must not end a batch.
      return { ok: false, error: failure('corrupt', `detector failed: ${(err as Error).message}`), timings };
    }
    if (found.length === 0) return { ok: false, error: failure('no-face', `no face found in ${img.width}×${img.height} ${img.format}`), timings };

    t = performance.now();
    const ws = img.workingScale;
    const faces = found
      .sort((a, b) => b.face.score - a.face.score)
      .map(({ face, foundBy }, index): AlignedFace => {
        const { box, landmarks } = face;
        const crop = alignFace(img.working, mapLandmarks(landmarks, (p) => ({ x: p.x * ws, y: p.y * ws })), {
          size,
          ...(options.weights ? { weights: options.weights } : {}),
          ...(options.borderColor ? { borderColor: options.borderColor } : {}),
        });
        const [a, b, tx, c, d, ty] = crop.transform;
        const quality = measureQuality({ score: face.score, box, landmarks, aligned: crop.image });
        // The framed look has its own, lower score threshold (its detector and its checks differ): minScore is
        // the main detector's.
        const issues = qualityIssues(quality, foundBy === 'framed' ? { ...options.qualityThresholds, minScore: 0 } : options.qualityThresholds);
        return {
          index,
          foundBy,
          image: crop.image,
          box,
          landmarks,
          ...(face.landmarks68 ? { landmarks68: face.landmarks68 } : {}),
          transform: [a * ws, b * ws, tx, c * ws, d * ws, ty],
          quality,
          passesQuality: issues.length === 0,
          qualityIssues: issues,
        };
      });
    timings.warpMs = performance.now() - t;
    return { ok: true, faces, width: img.width, height: img.height, format: img.format, timings };
  }

  /** The detector on the photo as given; where it finds nothing, the framed passes in turn. Source coordinates. */
  async function searchFaces(img: DecodedImage, timings: StageTimings): Promise<{ face: DetectedFace; foundBy: FoundBy }[]> {
    const plain = (await detectFaces(detector, img.detect, timings)).map((f) => toSource(f, { image: img.detect, scale: img.detectScale, offset: img.detectOffset }));
    if (plain.length > 0 || !framed || !framedDetector) return plain.map((face) => ({ face, foundBy: 'detector' }));
    for (const padShare of framed.padShares) {
      const t = performance.now();
      const view = await framedView(img, padShare, framed.side);
      timings.detectMs += performance.now() - t;
      const faces = (await detectFaces(framedDetector, view.image, timings))
        .map((f) => toSource(f, view))
        .filter((f) => fillsFrame(f, img.width, img.height, framed.minCover));
      if (faces.length > 0) return faces.map((face) => ({ face, foundBy: 'framed' }));
    }
    return [];
  }

  async function detectOnce(faceDetector: FaceDetector, image: RgbImage, timings: StageTimings): Promise<DetectedFace[]> {
    const t = performance.now();
    const faces = await faceDetector.detect(image);
    const elapsed = performance.now() - t;
    timings.detectMs += faceDetector.lastTimings?.detectMs ?? elapsed;
    timings.landmarksMs += faceDetector.lastTimings?.landmarksMs ?? 0;
    return faces;
  }

  async function detectFaces(faceDetector: FaceDetector, image: RgbImage, timings: StageTimings): Promise<DetectedFace[]> {
    if (!options.rotationSearch) return detectOnce(faceDetector, image, timings);
    const candidates: { face: DetectedFace; tilt: number }[] = [];
    for (const turn of [0, 90, 180, 270] as const) {
      for (const face of await detectOnce(faceDetector, rotateRgb(image, turn), timings)) {
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
    description: framedDetector && framedDetector !== detector ? `${detector.description}; framed: ${framedDetector.description}` : detector.description,
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

/** A detection in a view mapped back to source pixels. */
function toSource(face: DetectedFace, view: DetectionView): DetectedFace {
  const f = (p: Point): Point => ({ x: (p.x - view.offset) / view.scale, y: (p.y - view.offset) / view.scale });
  const topLeft = f({ x: face.box.x, y: face.box.y });
  return {
    box: { x: topLeft.x, y: topLeft.y, width: face.box.width / view.scale, height: face.box.height / view.scale },
    score: face.score,
    landmarks: mapLandmarks(face.landmarks, f),
    ...(face.landmarks68 ? { landmarks68: face.landmarks68.map(f) } : {}),
  };
}

/** A framed-pass detection is kept only if it is the photo's face: large, with its 5 landmarks inside the photo. */
function fillsFrame(face: DetectedFace, width: number, height: number, minCover: number): boolean {
  const inside = (p: Point) => p.x >= 0 && p.y >= 0 && p.x <= width && p.y <= height;
  const l = face.landmarks;
  return (
    Math.min(face.box.width, face.box.height) >= minCover * Math.min(width, height) &&
    [l.leftEye, l.rightEye, l.noseTip, l.mouthLeft, l.mouthRight].every(inside)
  );
}

function eyeMid(l: FaceLandmarks5): Point {
  return { x: (l.leftEye.x + l.rightEye.x) / 2, y: (l.leftEye.y + l.rightEye.y) / 2 };
}

function mapLandmarks(l: FaceLandmarks5, f: (p: Point) => Point): FaceLandmarks5 {
  return { leftEye: f(l.leftEye), rightEye: f(l.rightEye), noseTip: f(l.noseTip), mouthLeft: f(l.mouthLeft), mouthRight: f(l.mouthRight) };
}
