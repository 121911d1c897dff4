import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendReport } from '@feenet/tfjs-runtime';
import { landmarks5From68, type DetectedFace, type DetectionTimings, type FaceDetector } from './detector';
import type { Point, RgbImage } from './types';

type FaceApi = typeof import('@vladmandic/face-api');

export const FACE_API_DETECTOR_MODELS = ['ssd-mobilenet-v1', 'tiny-face-detector'] as const;
export type FaceApiDetectorModel = (typeof FACE_API_DETECTOR_MODELS)[number];

export function isFaceApiDetectorModel(value: unknown): value is FaceApiDetectorModel {
  return (FACE_API_DETECTOR_MODELS as readonly unknown[]).includes(value);
}

export interface FaceApiDetectorOptions {
  /**
   * ssd-mobilenet-v1 (default): ~0.3–0.4 s per photo at any size on wasm (it reads 512 px); its boxes give the
   * landmark net its most accurate landmarks. tiny-face-detector: ~0.16 s per 1024-px photo, ~0.05 s at 350 px;
   * misses strong profiles, lower scores, eyes ~2 px less level after alignment.
   */
  model?: FaceApiDetectorModel;
  /** Minimum detection score; default 0.4 for the tiny detector, 0.5 for ssd. */
  minConfidence?: number;
  /** Most faces returned per image; default 100. */
  maxFaces?: number;
  /**
   * Input side of the tiny detector (a multiple of 32), or `auto` (default): the image's longest side rounded
   * up to 32, within 224..608 — a small photo is not upsampled for nothing, a large one keeps its small faces.
   */
  tinyInputSize?: number | 'auto';
  /** Folder with the face-api weight manifests; default the package's own `model/`. */
  modelDir?: string;
}

const require = createRequire(import.meta.url);
let faceApi: FaceApi | undefined;
const loaded = new Set<string>();

/**
 * face-api's node-wasm bundle binds to whichever `@tensorflow/tfjs` instance `require` returns, so it is
 * loaded only after `selectBackend` has configured that instance.
 */
async function loadFaceApi(model: FaceApiDetectorModel, modelDir: string): Promise<{ api: FaceApi; backend: BackendReport }> {
  const backend = await selectBackend();
  faceApi ??= require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const nets = faceApi.nets;
  const wanted = [model === 'ssd-mobilenet-v1' ? 'ssdMobilenetv1' : 'tinyFaceDetector', 'faceLandmark68Net'] as const;
  for (const name of wanted) {
    const key = `${name}@${modelDir}`;
    if (loaded.has(key)) continue;
    await nets[name].loadFromDisk(modelDir);
    loaded.add(key);
  }
  return { api: faceApi, backend };
}

export function defaultFaceApiModelDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

/** Detector + 68-point landmarks from @vladmandic/face-api, on the tfjs backend chosen by `selectBackend`. */
export async function createFaceApiDetector(options: FaceApiDetectorOptions = {}): Promise<FaceDetector & { backend: BackendReport }> {
  const model = options.model ?? 'ssd-mobilenet-v1';
  const minConfidence = options.minConfidence ?? (model === 'tiny-face-detector' ? 0.4 : 0.5);
  const maxFaces = options.maxFaces ?? 100;
  const { api, backend } = await loadFaceApi(model, options.modelDir ?? defaultFaceApiModelDir());
  const tinyInputSize = options.tinyInputSize ?? 'auto';
  const ssdOptions = new api.SsdMobilenetv1Options({ minConfidence, maxResults: maxFaces });
  const detectorOptions = (width: number, height: number) =>
    model === 'ssd-mobilenet-v1'
      ? ssdOptions
      : new api.TinyFaceDetectorOptions({ inputSize: tinyInputSize === 'auto' ? autoTinyInputSize(width, height) : tinyInputSize, scoreThreshold: minConfidence });
  let lastTimings: DetectionTimings | undefined;

  async function detect(image: RgbImage): Promise<DetectedFace[]> {
    const { width, height } = image;
    const input = tf.tensor3d(image.data, [height, width, 3], 'int32');
    try {
      const t0 = performance.now();
      const detections = (await api.detectAllFaces(input as never, detectorOptions(width, height))).slice(0, maxFaces);
      const t1 = performance.now();
      const faces: DetectedFace[] = [];
      for (const detection of detections) {
        const b = detection.box;
        // face-api's own landmark task shifts by the unclipped box; crop and shift consistently here instead.
        const x0 = Math.max(0, Math.floor(b.x)), y0 = Math.max(0, Math.floor(b.y));
        const x1 = Math.min(width, Math.ceil(b.x + b.width)), y1 = Math.min(height, Math.ceil(b.y + b.height));
        if (x1 - x0 < 4 || y1 - y0 < 4) continue;
        const crop = tf.slice3d(input, [y0, x0, 0], [y1 - y0, x1 - x0, 3]);
        let raw;
        try {
          raw = await api.nets.faceLandmark68Net.detectLandmarks(crop as never);
        } finally {
          crop.dispose();
        }
        const marks = (Array.isArray(raw) ? raw[0] : raw)?.positions;
        if (!marks || marks.length !== 68) continue;
        const landmarks68: Point[] = marks.map((p) => ({ x: p.x + x0, y: p.y + y0 }));
        faces.push({
          box: { x: b.x, y: b.y, width: b.width, height: b.height },
          score: detection.score,
          landmarks: landmarks5From68(landmarks68),
          landmarks68,
        });
      }
      lastTimings = { detectMs: t1 - t0, landmarksMs: performance.now() - t1 };
      return faces;
    } finally {
      input.dispose();
    }
  }

  return {
    description: `face-api ${model}${model === 'tiny-face-detector' ? ` (${tinyInputSize === 'auto' ? 'auto' : tinyInputSize} px)` : ''} + landmark68 on ${backend.description}`,
    backend,
    detect,
    get lastTimings() {
      return lastTimings;
    },
  };
}

export function autoTinyInputSize(width: number, height: number): number {
  return Math.min(608, Math.max(224, Math.ceil(Math.max(width, height) / 32) * 32));
}
