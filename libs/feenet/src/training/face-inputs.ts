/**
 * What the model consumes for each face, whatever the backbone: cached frozen-backbone features, or aligned
 * images at the model's input size. The training loop only ever asks for a batch by face ids.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Dataset, FaceRecord } from '@feenet/datasets';
import type { ExpressionNet } from '../backbones/faceapi-expression-net';
import { faceApiFeatureTable, faceApiFeatureTableWith } from '../inputs/feature-cache';
import { readFaceImages } from '../inputs/face-images';
import type { FaceRegion } from '../inputs/face-region';
import { inputRegionOf } from './config';
import { backboneOf, type BackboneName } from '../model/feenet';

export interface FaceInputs {
  kind: 'features' | 'images';
  /** Shape of one face's input, e.g. [512] or [64, 64, 3]. */
  shape: number[];
  count: number;
  rowOf: ReadonlyMap<string, number>;
  /** Row-major values of all faces (float32 features, or uint8 RGB pixels). */
  values: Float32Array | Uint8Array;
}

export type LoadProgress = (stage: string, done: number, total: number) => void;

/** What decides a face's input: the backbone, the image side for image backbones, the region face-api reads. */
export interface FaceInputSpec {
  backbone: BackboneName;
  inputSize: number;
  /** The part of each stored image the backbone reads; null or absent: the backbone's own (`inputRegionOf`). */
  inputRegion?: FaceRegion | null;
}

export async function loadFaceInputs(
  dataset: Dataset,
  faces: readonly FaceRecord[],
  { backbone, inputSize, inputRegion = null }: FaceInputSpec,
  onProgress?: LoadProgress,
  /** A fine-tuned faceapi run's expression net: features through it instead of the stock (cached) ones. */
  expressionNet?: ExpressionNet,
): Promise<FaceInputs> {
  const files = faces.map((f) => ({ id: f.id, file: path.resolve(dataset.root, f.file) }));
  const region = inputRegionOf({ backbone, inputRegion });
  if (backboneOf(backbone).input === 'features') {
    const progress = (d: number, t: number) => onProgress?.('face-api features', d, t);
    const table = expressionNet
      ? await faceApiFeatureTableWith(expressionNet, files, progress, region)
      : await faceApiFeatureTable(files, path.join(dataset.root, 'cache'), progress, region);
    return { kind: 'features', shape: [table.dim], count: faces.length, rowOf: table.rowOf, values: table.values };
  }
  const pixels = await readFaceImages(files.map((f) => f.file), inputSize, (d, t) => onProgress?.('images', d, t), region);
  return {
    kind: 'images',
    shape: [inputSize, inputSize, 3],
    count: faces.length,
    rowOf: new Map(faces.map((f, i) => [f.id, i])),
    values: pixels,
  };
}

/** Stacks the inputs of the given faces into one float32 tensor [ids.length, ...shape]. */
export function gatherInputs(inputs: FaceInputs, ids: readonly string[]): tf.Tensor {
  return tf.tensor(gatherValues(inputs, ids), [ids.length, ...inputs.shape], 'float32');
}

/** The same rows as plain float32 values (for a worker thread: its buffer can be transferred). */
export function gatherValues(inputs: FaceInputs, ids: readonly string[]): Float32Array {
  const per = inputs.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(ids.length * per);
  ids.forEach((id, i) => {
    const row = inputs.rowOf.get(id);
    if (row === undefined) throw new Error(`no inputs for face ${id}`);
    const src = inputs.values.subarray(row * per, (row + 1) * per);
    if (src instanceof Float32Array) out.set(src, i * per);
    else for (let k = 0; k < per; k++) out[i * per + k] = src[k]!;
  });
  return out;
}

/** Feature statistics of the training faces, for standardisation inside the model. */
export function featureStatistics(inputs: FaceInputs, ids: readonly string[]): { mean: number[]; variance: number[] } {
  const dim = inputs.shape[0]!;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (const id of ids) {
    const row = inputs.rowOf.get(id)!;
    for (let k = 0; k < dim; k++) {
      const v = inputs.values[row * dim + k]!;
      mean[k]! += v;
      sq[k]! += v * v;
    }
  }
  const n = Math.max(1, ids.length);
  const m = Array.from(mean, (s) => s / n);
  // A floor keeps dead features (constant over the set) from dividing by zero.
  const variance = Array.from(sq, (s, k) => Math.max(s / n - m[k]! * m[k]!, 1e-6));
  return { mean: m, variance };
}
