/**
 * The `faceapi` backbone: feature extractors of networks pretrained on real faces, shipped inside
 * `@vladmandic/face-api` (its landmark-68 and expression nets each end in a 256-d pooled feature). Frozen (the
 * default): features are computed once per face and cached, and only the FEENet head trains on them.
 * Fine-tuned: the expression net's top blocks train too (`faceapi-expression-net.ts`, `training/fine-tune.ts`),
 * and a run's features come from its own copy of that net.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ExpressionNet, flattenParams } from './faceapi-expression-net';
import { ALIGNED_FACE_BOX, type FaceRegion } from '../inputs/face-region';

export const FACEAPI_EXTRACTORS = ['landmark68', 'expression'] as const;
export type FaceApiExtractor = (typeof FACEAPI_EXTRACTORS)[number];
/** Per net: its 256-d pooled feature, then its own pretrained output layer (68 landmarks as x,y; 7 expression logits). */
export const FACEAPI_FEATURE_LAYOUT = { landmark68: { pooled: 256, output: 136 }, expression: { pooled: 256, output: 7 } } as const;

/** Feature dimension for a choice of extractors (pooled features first, then output layers). */
export function faceApiFeatureDim(extractors: readonly FaceApiExtractor[] = FACEAPI_EXTRACTORS): number {
  return extractors.reduce((n, e) => n + FACEAPI_FEATURE_LAYOUT[e].pooled + FACEAPI_FEATURE_LAYOUT[e].output, 0);
}
/** Where the expression net's values sit in the full feature vector: [pooled from, to) and [output from, to). */
export function faceApiExpressionColumns(): { pooled: [number, number]; output: [number, number] } {
  const { landmark68: lm, expression: ex } = FACEAPI_FEATURE_LAYOUT;
  return { pooled: [lm.pooled, lm.pooled + ex.pooled], output: [lm.pooled + ex.pooled + lm.output, faceApiFeatureDim()] };
}
/** The nets' own input side: faces are resized to it. */
export const FACEAPI_INPUT_SIZE = 112;
/** What the nets read of an aligned crop by default: the box a detector would give (`ALIGNED_FACE_BOX`). */
export const FACEAPI_FACE_BOX: FaceRegion = ALIGNED_FACE_BOX;

interface FeatureNet {
  faceFeatureExtractor: { forwardInput(input: unknown): tf.Tensor; params: object };
  /** The net's pretrained fully connected output layer on top of the pooled feature. */
  params: { fc: { weights: tf.Tensor2D; bias: tf.Tensor1D } };
  loadFromDisk(dir: string): Promise<void>;
  isLoaded: boolean;
}
interface FaceApiModule {
  nets: { faceLandmark68Net: FeatureNet; faceExpressionNet: FeatureNet };
  toNetInput(inputs: tf.Tensor3D[]): Promise<unknown>;
}

const require = createRequire(import.meta.url);
let faceapi: FaceApiModule | undefined;

/** Loads face-api (its node-wasm build shares our @tensorflow/tfjs instance and so our backend) and both nets. */
export async function loadFaceApiNets(): Promise<FaceApiModule> {
  if (!faceapi) {
    faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
  }
  const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  for (const net of [faceapi.nets.faceLandmark68Net, faceapi.nets.faceExpressionNet]) {
    if (!net.isLoaded) await net.loadFromDisk(modelDir);
  }
  return faceapi;
}

/** The stock expression net's weights by face-api's parameter paths (`dense0/conv0/filters` … `fc/bias`). */
export async function faceApiExpressionWeights(): Promise<Map<string, tf.Tensor>> {
  const net = (await loadFaceApiNets()).nets.faceExpressionNet;
  return flattenParams({ ...net.faceFeatureExtractor.params, fc: net.params.fc });
}

/**
 * Features of a batch of aligned faces: [n, h, w, 3] RGB in [0, 255] → row-major [n, faceApiFeatureDim()]:
 * each net's pooled feature, then each net's output layer applied to it. The output layers are pretrained
 * linear maps of the pooled features to landmarks and expressions: keeping them hands the head a projection
 * learned on real faces, which generalises better than one learned from a few thousand training faces
 * (measured on the synthetic test split: 78.6 % → see the README for the figure with them).
 * The tensors face-api makes are all released before returning.
 */
async function featuresOf(api: FaceApiModule, nets: (FeatureNet | ExpressionNet)[], images: tf.Tensor4D): Promise<Float32Array> {
  const n = images.shape[0];
  const singles = tf.unstack(images) as tf.Tensor3D[];
  try {
    const input = await api.toNetInput(singles);
    const combined = tf.tidy(() => {
      const parts = nets.map((net) => {
        if (net instanceof ExpressionNet) {
          const both = net.features(images);
          return { pooled: both.slice([0, 0], [n, 256]), output: both.slice([0, 256], [n, -1]) };
        }
        const pooled = net.faceFeatureExtractor.forwardInput(input).reshape([n, -1]) as tf.Tensor2D;
        return { pooled, output: tf.add(tf.matMul(pooled, net.params.fc.weights), net.params.fc.bias) };
      });
      return tf.concat([...parts.map((p) => p.pooled), ...parts.map((p) => p.output)], 1);
    });
    const values = (await combined.data()) as Float32Array;
    combined.dispose();
    return values;
  } finally {
    tf.dispose(singles);
  }
}

/** Faces [n, h, w, 3] → the nets' input: `region` (default: `FACEAPI_FACE_BOX` of an aligned crop) at `FACEAPI_INPUT_SIZE` px. */
export function faceApiCrops(images: tf.Tensor4D, region: FaceRegion = FACEAPI_FACE_BOX): tf.Tensor4D {
  const n = images.shape[0];
  return tf.tidy(() =>
    tf.image.cropAndResize(
      images,
      tf.tensor2d(Array.from({ length: n }, () => [...region])),
      tf.range(0, n, 1, 'int32') as tf.Tensor1D,
      [FACEAPI_INPUT_SIZE, FACEAPI_INPUT_SIZE],
    ),
  );
}

export interface FaceApiFeatureOptions {
  extractors?: readonly FaceApiExtractor[];
  /** A fine-tuned run's copy of the expression net, in place of the stock one. */
  expressionNet?: ExpressionNet;
  /** The part of each image the nets read (default `FACEAPI_FACE_BOX`, for aligned crops). */
  region?: FaceRegion;
}

export async function extractFaceApiFeatures(images: tf.Tensor4D, options: FaceApiFeatureOptions = {}): Promise<Float32Array> {
  const { extractors = FACEAPI_EXTRACTORS, expressionNet, region = FACEAPI_FACE_BOX } = options;
  const api = await loadFaceApiNets();
  const nets = extractors.map((name) => (name === 'landmark68' ? api.nets.faceLandmark68Net : (expressionNet ?? api.nets.faceExpressionNet)));
  const resized = faceApiCrops(images, region);
  try {
    // Features of the face and of its mirror image, averaged: expressions are near-symmetric, the nets' errors
    // are not, so the average is a steadier description of the same expression.
    const direct = await featuresOf(api, nets, resized);
    const flipped = tf.image.flipLeftRight(resized);
    const mirrored = await featuresOf(api, nets, flipped);
    flipped.dispose();
    for (let i = 0; i < direct.length; i++) direct[i] = (direct[i]! + mirrored[i]!) / 2;
    return direct;
  } finally {
    resized.dispose();
  }
}
