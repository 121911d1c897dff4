/**
 * ONNX export: the graph's structure, onnx.checker, and parity with tfjs (max |Δ| ≤ 1e-4 per embedding
 * component) at 112 and 224 px, batch 1 and 32, on models whose weights are not at initialisation.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@feenet/tfjs-runtime';
import { buildFeenet, embed, loadLayersModel, saveLayersModel } from '@feenet/feenet';
import { decodeOnnxModel, exportRunToOnnx, modelToOnnx, onnxExportState, tfjsModelDir, ONNX_OPSET, UnsupportedLayerError } from '../src/index';
import { maxAbsDiff, perturbWeights, randomImages, randomiseBatchNorm, seedWeights } from './onnx-helpers';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
const TOLERANCE = 1e-4;
const EXPERIMENTS = fileURLToPath(new URL('../../../experiments', import.meta.url));

const PYTHON = '/usr/bin/python3';
const pythonOnnx = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
const CHECKER_SKIP = pythonOnnx ? '' : ` (skipped: ${PYTHON} has no onnx module; apt-get install python3-onnx, see .ci/install-python-onnx.sh)`;

let tmp: string;
/** Largest |Δ| per case, printed at the end (the README quotes them). */
const measured: Record<string, number> = {};

async function onnxEmbed(bytes: Uint8Array, inputs: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  try {
    const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', inputs, shape) });
    return result[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

async function parity(label: string, model: tf.LayersModel, bytes: Uint8Array, batch: number, seed: number): Promise<number> {
  const inputShape = (model.inputs[0]!.shape as number[]).slice(1);
  const inputs =
    inputShape.length === 3
      ? randomImages(batch, inputShape[0]!, seed)
      : Float32Array.from({ length: batch * inputShape[0]! }, (_, i) => Math.sin(i * 0.37 + seed) * 2 + Math.cos(i * 0.011) * 0.5);
  const expected = await embed(model, inputs, batch);
  const got = await onnxEmbed(bytes, inputs, [batch, ...inputShape]);
  const diff = maxAbsDiff(expected, got);
  measured[label] = diff;
  // Non-degenerate outputs: unit rows that differ between faces.
  const dim = expected.length / batch;
  const norm = Math.hypot(...got.subarray(0, dim));
  expect(norm).toBeCloseTo(1, 5);
  if (batch > 1) expect(maxAbsDiff(got.subarray(0, dim), got.subarray(dim, 2 * dim))).toBeGreaterThan(1e-3);
  return diff;
}

function checkWithPython(file: string): void {
  execFileSync(PYTHON, ['-c', 'import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(m.opset_import[0].version)', file], {
    stdio: 'pipe',
  });
}

beforeAll(async () => {
  await selectBackend();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'feenet-onnx-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  console.log(`ONNX vs tfjs max |Δ| per component:\n${Object.entries(measured).map(([k, v]) => `  ${k.padEnd(34)} ${v.toExponential(2)}`).join('\n')}`);
});

describe('EfficientNet-B0 FEENet at 112 px, random weights and random batch-norm statistics, saved and reloaded', () => {
  let runDir: string;
  let model: tf.LayersModel;
  let bytes: Uint8Array;

  beforeAll(async () => {
    runDir = path.join(tmp, 'b0-112');
    const built = buildFeenet({ backbone: 'efficientnet-b0', inputSize: 112 });
    seedWeights(built, 10);
    expect(randomiseBatchNorm(built, 11)).toBe(49);
    await saveLayersModel(built, tfjsModelDir(runDir));
    built.dispose();
    model = await loadLayersModel(tfjsModelDir(runDir));
    const result = await exportRunToOnnx(runDir);
    bytes = new Uint8Array(require('node:fs').readFileSync(result.file) as Buffer);
    expect(result.report.foldedBatchNorms).toBe(49);
  });

  afterAll(() => model?.dispose());

  it('writes <run>/model.onnx: opset 17, IR 8, dynamic batch, NHWC input, BN folded into convolutions', () => {
    expect(onnxExportState(runDir)).toBe('fresh');
    const proto = decodeOnnxModel(bytes);
    expect(Number(proto.irVersion)).toBe(8);
    expect(Number(proto.opsetImport[0]!.version)).toBe(ONNX_OPSET);
    expect(ONNX_OPSET).toBeGreaterThanOrEqual(17);
    const graph = proto.graph!;
    const input = graph.input![0]!;
    const dims = input.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims).toEqual(['batch', 112, 112, 3]);
    const output = graph.output![0]!;
    expect(output.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 16]);
    const ops = graph.node!.map((n) => n.opType);
    expect(ops).not.toContain('BatchNormalization');
    expect(ops).not.toContain('Pad'); // every zero padding folded into its convolution's pads
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(1);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(81);
    const depthwise = graph.node!.filter((n) => n.opType === 'Conv' && n.attribute!.some((a) => a.name === 'group' && Number(a.i) > 1));
    expect(depthwise).toHaveLength(16);
    const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    expect(meta['feenet.run_id']).toBe('b0-112');
    expect(meta['feenet.source_weights_sha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('matches tfjs to 1e-4 at batch 1 and batch 32 (one session, dynamic batch)', async () => {
    expect(await parity('B0 112 px, batch 1', model, bytes, 1, 1)).toBeLessThan(TOLERANCE);
    expect(await parity('B0 112 px, batch 32', model, bytes, 32, 2)).toBeLessThan(TOLERANCE);
  });

  it.skipIf(!pythonOnnx)(`passes onnx.checker (full check, python3-onnx)${CHECKER_SKIP}`, () => {
    checkWithPython(path.join(runDir, 'model.onnx'));
  });

  it('goes stale when the tfjs weights are newer', async () => {
    const { utimesSync } = await import('node:fs');
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(tfjsModelDir(runDir), 'weights.bin'), later, later);
    expect(onnxExportState(runDir)).toBe('stale');
  });
});

describe('EfficientNet-B0 FEENet at 224 px, perturbed weights and random batch-norm statistics (in memory)', () => {
  it('matches tfjs to 1e-4 at batch 1 and batch 32', async () => {
    const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: 224 });
    try {
      seedWeights(model, 22);
      perturbWeights(model, 24, 0.2);
      randomiseBatchNorm(model, 23);
      const { bytes } = modelToOnnx(model);
      expect(await parity('B0 224 px, batch 1', model, bytes, 1, 3)).toBeLessThan(TOLERANCE);
      expect(await parity('B0 224 px, batch 32', model, bytes, 32, 4)).toBeLessThan(TOLERANCE);
    } finally {
      model.dispose();
    }
  });
});

describe('faceapi head (feature standardisation, dropout, FC 512, FC 16, L2): random statistics, perturbed weights', () => {
  it('matches tfjs to 1e-4 at batch 1 and 32, and passes onnx.checker where present', async () => {
    const mean = Array.from({ length: 512 }, (_, i) => Math.sin(i) * 0.8);
    const variance = Array.from({ length: 512 }, (_, i) => 0.2 + (i % 7) * 0.3);
    const model = buildFeenet({ backbone: 'faceapi', featureDim: 512, featureMean: mean, featureVariance: variance }, { dropout: 0.3 });
    try {
      seedWeights(model, 30);
      perturbWeights(model, 31, 0.3);
      const report = modelToOnnx(model);
      expect(report.inputShape).toEqual([512]);
      expect(Object.keys(report.opCounts).sort()).toEqual(['Div', 'Gemm', 'Identity', 'Max', 'ReduceSumSquare', 'Relu', 'Sqrt', 'Sub']);
      expect(await parity('faceapi head, batch 1', model, report.bytes, 1, 5)).toBeLessThan(TOLERANCE);
      expect(await parity('faceapi head, batch 32', model, report.bytes, 32, 6)).toBeLessThan(TOLERANCE);
      if (pythonOnnx) {
        const file = path.join(tmp, 'faceapi.onnx');
        writeFileSync(file, report.bytes);
        checkWithPython(file);
      }
    } finally {
      model.dispose();
    }
  });
});

/** Trained runs under experiments/ (none in a fresh clone): each one's model/ exported and compared. */
const trainedRuns = existsSync(EXPERIMENTS)
  ? readdirSync(EXPERIMENTS)
      .map((d) => path.join(EXPERIMENTS, d))
      .filter((d) => existsSync(path.join(d, 'model', 'model.json')))
      .slice(0, 2)
  : [];

describe('trained runs found under experiments/', () => {
  it.skipIf(trainedRuns.length === 0)(
    `a real trained model matches tfjs to 1e-4 at batch 1 and 32${trainedRuns.length === 0 ? ' (skipped: no experiments/<run>/model/ on this machine; the perturbed-weight cases above stand in)' : ''}`,
    async () => {
      for (const dir of trainedRuns) {
        const model = await loadLayersModel(path.join(dir, 'model'));
        try {
          const { bytes } = modelToOnnx(model);
          const name = path.basename(dir);
          expect(await parity(`run ${name}, batch 1`, model, bytes, 1, 7)).toBeLessThan(TOLERANCE);
          expect(await parity(`run ${name}, batch 32`, model, bytes, 32, 8)).toBeLessThan(TOLERANCE);
        } finally {
          model.dispose();
        }
      }
    },
  );
});

describe('layers and options outside the FEENet fast path', () => {
  it('unfolded batch norm, materialised Pad, SAME stride-2 conv, Flatten, relu6 and sigmoid activations', async () => {
    const input = tf.input({ shape: [33, 33, 3] });
    let x = tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]] }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ axis: 3 }).apply(x) as tf.SymbolicTensor; // padding not before a conv: a Pad node
    x = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ axis: -1 }).apply(x) as tf.SymbolicTensor; // after an activation: not foldable
    x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 5, activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    try {
      seedWeights(model, 40);
      perturbWeights(model, 42, 0.5);
      randomiseBatchNorm(model, 41);
      const report = modelToOnnx(model);
      expect(report.foldedBatchNorms).toBe(0);
      expect(report.opCounts.Pad).toBe(1);
      const inputs = randomImages(3, 33, 9);
      const got = await onnxEmbed(report.bytes, inputs, [3, 33, 33, 3]);
      const expected = (model.predict(tf.tensor(inputs, [3, 33, 33, 3])) as tf.Tensor).dataSync() as Float32Array;
      expect(maxAbsDiff(expected, got)).toBeLessThan(TOLERANCE);
    } finally {
      model.dispose();
    }
  });

  it('refuses a layer it cannot convert, naming it', () => {
    const input = tf.input({ shape: [8, 4] });
    const output = tf.layers.lstm({ units: 3, name: 'my_lstm' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    expect(() => modelToOnnx(model)).toThrow(UnsupportedLayerError);
    expect(() => modelToOnnx(model)).toThrow(/my_lstm|rank 3/);
    model.dispose();
  });
});
