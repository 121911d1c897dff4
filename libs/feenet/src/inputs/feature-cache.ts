/**
 * Frozen-backbone features, computed once per face and cached beside the dataset. The cache is appended batch
 * by batch (ids file + float32 rows), so a killed extraction resumes where it stopped.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { extractFaceApiFeatures, FACEAPI_EXTRACTORS, FACEAPI_FACE_BOX, FACEAPI_INPUT_SIZE, faceApiFeatureDim } from '../backbones/faceapi';
import { sameRegion, type FaceRegion } from './face-region';
import type { ExpressionNet } from '../backbones/faceapi-expression-net';
import { readFaceImages } from './face-images';

export interface FeatureTable {
  dim: number;
  ids: string[];
  values: Float32Array;
  rowOf: Map<string, number>;
}

export interface FaceToEmbed {
  id: string;
  /** Absolute path of the face image. */
  file: string;
}

const BATCH = 32;

export async function faceApiFeatureTable(
  faces: readonly FaceToEmbed[],
  cacheDir: string,
  onProgress?: (done: number, total: number) => void,
  region: FaceRegion = FACEAPI_FACE_BOX,
): Promise<FeatureTable> {
  const dim = faceApiFeatureDim();
  // Each region has its own cache; the default keeps the name caches were made under before regions existed.
  const regionTag = sameRegion(region, FACEAPI_FACE_BOX) ? '' : `-region-${region.join('_')}`;
  const stem = path.join(cacheDir, `faceapi-${FACEAPI_EXTRACTORS.join('+')}-v4${regionTag}`);
  mkdirSync(cacheDir, { recursive: true });
  const cached = readCache(stem, dim);
  const missing = faces.filter((f) => !cached.has(f.id));
  for (let start = 0; start < missing.length; start += BATCH) {
    const batch = missing.slice(start, start + BATCH);
    const features = await featuresOfFiles(batch, { region });
    // Rows first, then ids: an id is only ever listed once its row is fully on disk.
    appendFileSync(`${stem}.f32`, Buffer.from(features.buffer, features.byteOffset, features.byteLength));
    appendFileSync(`${stem}.ids`, batch.map((f) => `${f.id}\n`).join(''));
    batch.forEach((f, i) => cached.set(f.id, features.subarray(i * dim, (i + 1) * dim)));
    onProgress?.(faces.length - missing.length + start + batch.length, faces.length);
  }
  const values = new Float32Array(faces.length * dim);
  const rowOf = new Map<string, number>();
  faces.forEach((f, i) => {
    values.set(cached.get(f.id)!, i * dim);
    rowOf.set(f.id, i);
  });
  return { dim, ids: faces.map((f) => f.id), values, rowOf };
}

/** The same features through a fine-tuned run's expression net: computed, never cached (they belong to that run). */
export async function faceApiFeatureTableWith(
  expressionNet: ExpressionNet,
  faces: readonly FaceToEmbed[],
  onProgress?: (done: number, total: number) => void,
  region: FaceRegion = FACEAPI_FACE_BOX,
): Promise<FeatureTable> {
  const dim = faceApiFeatureDim();
  const values = new Float32Array(faces.length * dim);
  for (let start = 0; start < faces.length; start += BATCH) {
    const batch = faces.slice(start, start + BATCH);
    values.set(await featuresOfFiles(batch, { expressionNet, region }), start * dim);
    onProgress?.(start + batch.length, faces.length);
  }
  return { dim, ids: faces.map((f) => f.id), values, rowOf: new Map(faces.map((f, i) => [f.id, i])) };
}

async function featuresOfFiles(batch: readonly FaceToEmbed[], options: { expressionNet?: ExpressionNet; region: FaceRegion }): Promise<Float32Array> {
  const pixels = await readFaceImages(batch.map((f) => f.file), FACEAPI_INPUT_SIZE);
  const images = tf.tidy(() => tf.tensor4d(pixels, [batch.length, FACEAPI_INPUT_SIZE, FACEAPI_INPUT_SIZE, 3], 'int32').toFloat());
  try {
    return await extractFaceApiFeatures(images as tf.Tensor4D, options);
  } finally {
    images.dispose();
  }
}

function readCache(stem: string, dim: number): Map<string, Float32Array> {
  const rows = new Map<string, Float32Array>();
  if (!existsSync(`${stem}.ids`) || !existsSync(`${stem}.f32`)) return rows;
  const ids = readFileSync(`${stem}.ids`, 'utf8').split('\n');
  if (!readFileSync(`${stem}.ids`, 'utf8').endsWith('\n')) ids.pop(); // a torn last line is recomputed
  const bytes = readFileSync(`${stem}.f32`);
  const complete = Math.min(ids.filter(Boolean).length, Math.floor(bytes.byteLength / (dim * 4)));
  // Drop a partly written tail so later appends stay aligned with the ids.
  if (bytes.byteLength !== complete * dim * 4) truncateSync(`${stem}.f32`, complete * dim * 4);
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + complete * dim * 4));
  for (let i = 0; i < complete; i++) rows.set(ids[i]!, floats.subarray(i * dim, (i + 1) * dim));
  if (ids.filter(Boolean).length !== complete) {
    truncateSync(`${stem}.ids`, 0);
    appendFileSync(`${stem}.ids`, ids.slice(0, complete).map((id) => `${id}\n`).join(''));
  }
  return rows;
}
