/**
 * `nx run trainer:export --run <run-id> --format onnx [--experiments-dir experiments] [--out file] [--no-verify]`
 *
 * Writes `experiments/<run-id>/model.onnx` from the run's tfjs model, then (unless --no-verify) loads it in
 * onnxruntime-node and compares its embeddings with tfjs on a few random inputs.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { embed, loadLayersModel } from '@feenet/feenet';
import { createOnnxEngine, exportRunToOnnx, loadOnnxRuntime, tfjsModelDir } from '@feenet/inference';
import { EXPRESSION_PROTOTYPES, randomIdentity, randomPose, renderFace, sampleExpression, SeededRandom } from '@feenet/datasets';
import { describeBackend, selectBackend } from '@feenet/tfjs-runtime';
import { booleanFlag, flagKinds, parseCommandFlags, stringFlag, UsageError } from '../cli-args';

const FORMATS = ['onnx'] as const;
const VERIFY_TOLERANCE = 1e-4;

function verificationInputs(inputShape: number[], count: number): Float32Array {
  const rng = new SeededRandom(8);
  const perItem = inputShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count * perItem);
  const labels = Object.keys(EXPRESSION_PROTOTYPES);
  for (let i = 0; i < count; i++) {
    if (inputShape.length === 3) {
      const face = renderFace(inputShape[0]!, randomIdentity(rng), sampleExpression(rng, labels[i % labels.length]!), randomPose(rng), rng);
      out.set(face, i * perItem);
    } else {
      for (let j = 0; j < perItem; j++) out[i * perItem + j] = rng.normal();
    }
  }
  return out;
}

function resolveRun(runFlag: string, experimentsDir: string): string {
  const dir = runFlag.includes('/') ? runFlag : path.join(experimentsDir, runFlag);
  if (!existsSync(path.join(tfjsModelDir(dir), 'model.json'))) {
    throw new UsageError(`no trained model at ${path.join(tfjsModelDir(dir), 'model.json')} (is --run ${runFlag} a finished run under ${experimentsDir}?)`);
  }
  return dir;
}

const HELP = `usage: nx run trainer:export --run <run-id> [--format onnx] [--experiments-dir experiments] [--out file] [--no-verify]

  --run <id|dir>            the run whose model/ is exported
  --format onnx             the only format (ONNX opset 17)
  --out <file>              default <run>/model.onnx
  --no-verify               skip the onnxruntime-vs-tfjs comparison`;

const FLAGS = flagKinds(['run', 'format', 'experiments-dir', 'out'], ['verify']);

export async function run(argv: string[]): Promise<void> {
  const flags = parseCommandFlags(argv, HELP, FLAGS);
  if (!flags) return;
  const runFlag = stringFlag(flags, 'run');
  if (!runFlag) throw new UsageError('--run <run-id> is required');
  const format = stringFlag(flags, 'format') ?? 'onnx';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of: ${FORMATS.join(', ')} (got "${format}")`);
  const experimentsDir = stringFlag(flags, 'experiments-dir') ?? 'experiments';
  const runDir = resolveRun(runFlag, experimentsDir);
  const verify = booleanFlag(flags, 'verify', true);

  console.log(describeBackend(await selectBackend()));
  const out = stringFlag(flags, 'out');
  const { file, report, seconds } = await exportRunToOnnx(runDir, out ? { out } : {});
  const ops = Object.entries(report.opCounts)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  console.log(`wrote ${file} (${(report.bytes.length / 1e6).toFixed(1)} MB, ${report.parameters.toLocaleString('en-US')} parameters) in ${seconds.toFixed(1)} s`);
  console.log(`  input ${report.inputName} [batch, ${report.inputShape.join(', ')}] → ${report.outputName} [batch, ${report.outputDim}]; opset 17`);
  console.log(`  ${report.foldedBatchNorms} batch norms folded into convolutions, ${report.foldedPaddings} zero paddings into conv pads`);
  console.log(`  nodes: ${ops}`);
  if (!verify) return;

  const loaded = loadOnnxRuntime();
  if (!loaded.ok) {
    console.log(`not verified: ${loaded.reason}`);
    return;
  }
  // Face-like inputs: a model's float32 rounding is amplified far more by inputs unlike its training data (pure
  // noise makes even two tfjs backends disagree by ~0.1 on an untrained B0).
  const count = 8;
  const inputs = verificationInputs(report.inputShape, count);
  const model = await loadLayersModel(tfjsModelDir(runDir));
  const engine = await createOnnxEngine(loaded.ort, report.bytes, { source: path.basename(file) });
  try {
    const expected = await embed(model, inputs, count);
    const got = await engine.embed(inputs, count);
    let diff = 0;
    for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - expected[i]!));
    const ok = diff <= VERIFY_TOLERANCE;
    console.log(`verified with ${engine.description}: max |Δ| vs tfjs ${diff.toExponential(2)} on ${count} ${report.inputShape.length === 3 ? 'synthetic faces' : 'random feature vectors'}${ok ? '' : ` — ABOVE ${VERIFY_TOLERANCE}`}`);
    if (!ok) process.exitCode = 1;
  } finally {
    model.dispose();
    await engine.dispose();
  }
}
