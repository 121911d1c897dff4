/**
 * Embedding aligned faces with a trained run, whatever its backbone: the one function the trainer's gallery
 * commands and the workbench call.
 *
 *   faceapi           aligned crop → `FACEAPI_INPUT_SIZE` px (as the training feature cache reads faces) →
 *                     face-api features (`extractFaceApiFeatures`, which crops the run's input region itself; a
 *                     fine-tuned run's features come from its own expression net, `backbone/`) → the run's saved
 *                     head (the model) → 16-d embedding
 *   efficientnet-b0   aligned crop → its input region at `config.inputSize` px (as training reads faces) → the
 *                     model → embedding
 *
 * The model part runs on `createEmbeddingEngine` (onnxruntime when a fresh model.onnx exists, or with prefer
 * 'fastest'; tfjs otherwise). Faces are resized with the same sharp call as training (`readFaceImage`), so a face
 * embedded here and the same face in a dataset get the same embedding.
 */
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@feenet/tfjs-runtime';
import type { RgbFace } from '@feenet/datasets';
import {
  Experiment,
  backboneOf,
  extractFaceApiFeatures,
  faceApiFeatureDim,
  inputRegionOf,
  regionInPixels,
  resizedRgb,
  sameRegion,
  FACEAPI_EXTRACTORS,
  FACEAPI_FACE_BOX,
  FACEAPI_FEATURE_LAYOUT,
  FACEAPI_INPUT_SIZE,
  WHOLE_IMAGE,
  type BackboneName,
  type ExpressionNet,
  type FaceRegion,
} from '@feenet/feenet';
import { createEmbeddingEngine, type EmbeddingEngine, type EnginePreference } from './engine';

export interface RunEmbedderOptions {
  /** Engine choice, as for createEmbeddingEngine; default 'auto'. */
  prefer?: EnginePreference;
  /** onnxruntime intra-op threads (default: the cores). */
  threads?: number;
}

export interface RunEmbedder {
  runId: string;
  backbone: BackboneName;
  /** Side the faces are resized to before the backbone: 112 for faceapi, the run's inputSize for B0. */
  inputSize: number;
  /** Embedding dimension (16). */
  dim: number;
  engine: { name: EmbeddingEngine['name']; description: string; skipped: string[] };
  /** One line for commands to print, e.g. "run r1 (faceapi): face-api features on wasm → onnxruntime-node …". */
  description: string;
  /** Aligned RGB faces (any size; 224×224 from the aligner) → row-major [n, dim] L2-normalised embeddings. */
  embedFaces(faces: readonly RgbFace[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Faces per face-api feature batch: bounds the tensors held at once (112 px × 3 × 32 ≈ 5 MB). */
const FEATURE_BATCH = 32;

/** Opens `runDir` (`experiments/<run-id>`, with config.json and model/ or model.onnx) for embedding aligned faces. */
export async function openRunEmbedder(runDir: string, options: RunEmbedderOptions = {}): Promise<RunEmbedder> {
  const experiment = Experiment.open(runDir);
  const config = experiment.readConfig();
  const backbone = config.backbone;
  const backend = await selectBackend();
  const engine = await createEmbeddingEngine({ runDir, prefer: options.prefer ?? 'auto', ...(options.threads ? { threads: options.threads } : {}) });
  const runId = path.basename(path.resolve(runDir));
  try {
    if (backboneOf(backbone).input === 'features') {
      const net = config.backboneTraining === 'fine-tune' ? await experiment.loadExpressionNet() : undefined;
      return faceApiEmbedder(runId, engine, backend.description, inputRegionOf(config), net);
    }
    return imageEmbedder(runId, backbone, engine, config.inputSize, inputRegionOf(config));
  } catch (err) {
    await engine.dispose();
    throw err;
  }
}

function base(runId: string, backbone: BackboneName, inputSize: number, engine: EmbeddingEngine, how: string) {
  return {
    runId,
    backbone,
    inputSize,
    dim: engine.dim,
    engine: { name: engine.name, description: engine.description, skipped: engine.skipped },
    description: `run ${runId} (${backbone}): ${how} → ${engine.description}`,
    dispose: () => engine.dispose(),
  };
}

function faceApiEmbedder(runId: string, engine: EmbeddingEngine, backend: string, region: FaceRegion, expressionNet?: ExpressionNet): RunEmbedder {
  const modelDim = engine.inputShape.length === 1 ? engine.inputShape[0]! : NaN;
  const fullDim = faceApiFeatureDim();
  // Runs trained before the nets' output layers joined the features consumed only the pooled features, which are
  // the first columns of today's features in the same order.
  const pooledDim = FACEAPI_EXTRACTORS.reduce((n, e) => n + FACEAPI_FEATURE_LAYOUT[e].pooled, 0);
  if (modelDim !== fullDim && modelDim !== pooledDim) {
    throw new Error(
      `run ${runId}: the model takes inputs of shape [${engine.inputShape.join(', ')}], but faceapi features have ${fullDim} values (${pooledDim} pooled)`,
    );
  }
  const layout = modelDim === fullDim ? `${fullDim}` : `${pooledDim} pooled of ${fullDim}`;
  const tuned = expressionNet ? ', fine-tuned expression net' : '';
  const where = sameRegion(region, FACEAPI_FACE_BOX) ? '' : `, region [${region.join(', ')}]`;
  return {
    ...base(runId, 'faceapi', FACEAPI_INPUT_SIZE, engine, `face-api features (${layout}${tuned}${where}) on ${backend}`),
    async dispose() {
      expressionNet?.dispose();
      await engine.dispose();
    },
    async embedFaces(faces) {
      const features = new Float32Array(faces.length * modelDim);
      for (let start = 0; start < faces.length; start += FEATURE_BATCH) {
        const batch = faces.slice(start, start + FEATURE_BATCH);
        const pixels = await resizeFaces(batch, FACEAPI_INPUT_SIZE);
        const images = tf.tidy(() => tf.tensor4d(pixels, [batch.length, FACEAPI_INPUT_SIZE, FACEAPI_INPUT_SIZE, 3], 'int32').toFloat());
        let values: Float32Array;
        try {
          values = await extractFaceApiFeatures(images as tf.Tensor4D, { region, ...(expressionNet ? { expressionNet } : {}) });
        } finally {
          images.dispose();
        }
        for (let i = 0; i < batch.length; i++) {
          features.set(values.subarray(i * fullDim, i * fullDim + modelDim), (start + i) * modelDim);
        }
      }
      return engine.embed(features, faces.length);
    },
  };
}

function imageEmbedder(runId: string, backbone: BackboneName, engine: EmbeddingEngine, inputSize: number, region: FaceRegion): RunEmbedder {
  const [h, w, c] = engine.inputShape;
  if (engine.inputShape.length !== 3 || c !== 3 || h !== w) {
    throw new Error(`run ${runId}: expected an image model, got inputs of shape [${engine.inputShape.join(', ')}]`);
  }
  const size = h!;
  if (size !== inputSize) throw new Error(`run ${runId}: config.json says inputSize ${inputSize} but the model takes ${size} px`);
  return {
    ...base(runId, backbone, size, engine, `aligned faces at ${size} px`),
    async embedFaces(faces) {
      return engine.embed(await resizeFaces(faces, size, region), faces.length);
    },
  };
}

/** `region` of RGB faces at size×size as `readFaceImage` reads them for training (sharp, lanczos3, fill), in one buffer. */
async function resizeFaces(faces: readonly RgbFace[], size: number, region: FaceRegion = WHOLE_IMAGE): Promise<Uint8Array> {
  const per = size * size * 3;
  const out = new Uint8Array(faces.length * per);
  await Promise.all(
    faces.map(async (face, i) => {
      if (face.data.length !== face.width * face.height * 3) {
        throw new RangeError(`face ${i}: ${face.data.length} bytes is not ${face.width}×${face.height} RGB`);
      }
      let image = sharp(face.data, { raw: { width: face.width, height: face.height, channels: 3 } });
      if (!sameRegion(region, WHOLE_IMAGE)) image = image.extract(regionInPixels(region, face.width, face.height));
      out.set(await resizedRgb(image, size), i * per);
    }),
  );
  return out;
}
