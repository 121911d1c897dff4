/** Engine selection: onnxruntime when a fresh model.onnx exists (or when asked), tfjs otherwise, same embeddings. */
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@feenet/tfjs-runtime';
import { buildFeenet, saveLayersModel } from '@feenet/feenet';
import { createEmbeddingEngine, exportRunToOnnx, onnxModelPath, tfjsModelDir, type EmbeddingEngine } from '../src/index';
import { maxAbsDiff, perturbWeights, randomImages, randomiseBatchNorm, seedWeights } from './onnx-helpers';

let tmp: string;
let faceapiRun: string;
let b0Run: string;
const features = Uint8Array.from({ length: 40 * 512 }, (_, i) => (i * 37) % 251);

async function withEngine<T>(engine: Promise<EmbeddingEngine>, f: (e: EmbeddingEngine) => Promise<T>): Promise<T> {
  const e = await engine;
  try {
    return await f(e);
  } finally {
    await e.dispose();
  }
}

beforeAll(async () => {
  await selectBackend();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'feenet-engine-'));
  faceapiRun = path.join(tmp, 'faceapi-run');
  const mean = Array.from({ length: 512 }, (_, i) => 100 + 20 * Math.sin(i));
  const variance = Array.from({ length: 512 }, (_, i) => 400 + (i % 5) * 100);
  const head = buildFeenet({ backbone: 'faceapi', featureDim: 512, featureMean: mean, featureVariance: variance });
  seedWeights(head, 2);
  perturbWeights(head, 3, 0.3);
  await saveLayersModel(head, tfjsModelDir(faceapiRun));
  head.dispose();

  b0Run = path.join(tmp, 'b0-run');
  const b0 = buildFeenet({ backbone: 'efficientnet-b0', inputSize: 112 });
  seedWeights(b0, 4);
  randomiseBatchNorm(b0, 5);
  await saveLayersModel(b0, tfjsModelDir(b0Run));
  b0.dispose();
  await exportRunToOnnx(b0Run);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('createEmbeddingEngine', () => {
  it('auto: tfjs while the run has no model.onnx, saying why onnxruntime was passed over', async () => {
    await withEngine(createEmbeddingEngine({ runDir: faceapiRun }), async (e) => {
      expect(e.name).toBe('tfjs');
      expect(e.skipped.join('\n')).toMatch(/no model\.onnx .*trainer:export --run faceapi-run --format onnx/);
      expect(e.inputShape).toEqual([512]);
    });
  });

  it('auto: onnxruntime once model.onnx is exported, with the same embeddings (uint8 and float inputs, odd batch)', async () => {
    const tfjsOut = await withEngine(createEmbeddingEngine({ runDir: faceapiRun, prefer: 'tfjs' }), (e) => e.embed(features, 40));
    await exportRunToOnnx(faceapiRun);
    await withEngine(createEmbeddingEngine({ runDir: faceapiRun, batchSize: 16 }), async (e) => {
      expect(e.name).toBe('onnxruntime');
      expect(e.description).toMatch(/onnxruntime-node .*batch 16, model\.onnx/);
      expect(e.dim).toBe(16);
      const onnxOut = await e.embed(features, 40); // 16 + 16 + 8
      expect(maxAbsDiff(tfjsOut, onnxOut)).toBeLessThan(1e-4);
      expect(maxAbsDiff(onnxOut, await e.embed(Float32Array.from(features), 40))).toBe(0);
      await expect(e.embed(features, 39)).rejects.toThrow(/expected 39 × \[512\]/);
    });
  });

  it('auto: falls back to tfjs when model.onnx is older than the weights; fastest exports in memory instead', async () => {
    const later = new Date(Date.now() + 120_000);
    utimesSync(path.join(tfjsModelDir(faceapiRun), 'weights.bin'), later, later);
    await withEngine(createEmbeddingEngine({ runDir: faceapiRun }), async (e) => {
      expect(e.name).toBe('tfjs');
      expect(e.skipped.join('\n')).toMatch(/older than model\/weights\.bin/);
    });
    await withEngine(createEmbeddingEngine({ runDir: faceapiRun, prefer: 'fastest' }), async (e) => {
      expect(e.name).toBe('onnxruntime');
      expect(e.description).toMatch(/exported in memory/);
    });
    const now = new Date(Date.now() + 240_000);
    utimesSync(onnxModelPath(faceapiRun), now, now);
  });

  it('without onnxruntime-node: auto and fastest use tfjs with the reason; prefer onnxruntime fails clearly', async () => {
    const unavailable = ['onnxruntime-node'];
    for (const prefer of ['auto', 'fastest'] as const) {
      await withEngine(createEmbeddingEngine({ runDir: faceapiRun, prefer, unavailable }), async (e) => {
        expect(e.name).toBe('tfjs');
        expect(e.skipped).toEqual(['onnxruntime: onnxruntime-node is not installed']);
      });
    }
    await expect(createEmbeddingEngine({ runDir: faceapiRun, prefer: 'onnxruntime', unavailable })).rejects.toThrow(
      /onnxruntime engine unavailable: onnxruntime-node is not installed/,
    );
  });

  it('a run without a model is an error naming the folder', async () => {
    await expect(createEmbeddingEngine({ runDir: path.join(tmp, 'nothing') })).rejects.toThrow(/no model in .*nothing/);
  });

  it('B0 at 112 px: both engines give the same embeddings for aligned faces (batch 1 and 9)', async () => {
    const faces = randomImages(9, 112, 77);
    const fromTfjs = await withEngine(createEmbeddingEngine({ runDir: b0Run, prefer: 'tfjs' }), (e) => e.embed(faces, 9));
    await withEngine(createEmbeddingEngine({ runDir: b0Run, prefer: 'onnxruntime', batchSize: 4 }), async (e) => {
      expect(e.inputShape).toEqual([112, 112, 3]);
      expect(maxAbsDiff(fromTfjs, await e.embed(faces, 9))).toBeLessThan(1e-4);
      expect(maxAbsDiff(fromTfjs.subarray(0, 16), await e.embed(faces.subarray(0, 112 * 112 * 3), 1))).toBeLessThan(1e-4);
    });
  });
});
