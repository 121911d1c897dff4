/**
 * Exporting a trained run: `experiments/<run-id>/model/` (tfjs layers) → `experiments/<run-id>/model.onnx`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadLayersModel } from '@feenet/feenet';
import { modelToOnnx, type OnnxExportReport } from './onnx/model-to-onnx';

export const ONNX_MODEL_FILE = 'model.onnx';

/** `<runDir>/model.onnx`. */
export function onnxModelPath(runDir: string): string {
  return path.join(runDir, ONNX_MODEL_FILE);
}

/** `<runDir>/model` (model.json + weights.bin). */
export function tfjsModelDir(runDir: string): string {
  return path.join(runDir, 'model');
}

export type OnnxExportState = 'missing' | 'stale' | 'fresh';

/** Whether `<runDir>/model.onnx` exists and is at least as new as the tfjs weights it was exported from. */
export function onnxExportState(runDir: string): OnnxExportState {
  const onnxFile = onnxModelPath(runDir);
  if (!existsSync(onnxFile)) return 'missing';
  const weights = path.join(tfjsModelDir(runDir), 'weights.bin');
  if (existsSync(weights) && statSync(weights).mtimeMs > statSync(onnxFile).mtimeMs) return 'stale';
  return 'fresh';
}

export interface RunExport {
  file: string;
  report: OnnxExportReport;
  seconds: number;
}

function runMetadata(runDir: string): Record<string, string> {
  const meta: Record<string, string> = { 'feenet.run_id': path.basename(path.resolve(runDir)) };
  const weights = path.join(tfjsModelDir(runDir), 'weights.bin');
  if (existsSync(weights)) meta['feenet.source_weights_sha256'] = createHash('sha256').update(readFileSync(weights)).digest('hex');
  const configFile = path.join(runDir, 'config.json');
  if (existsSync(configFile)) {
    try {
      const config = JSON.parse(readFileSync(configFile, 'utf8')) as { backbone?: string; inputSize?: number };
      if (config.backbone) meta['feenet.backbone'] = config.backbone;
      if (config.inputSize) meta['feenet.input_size'] = String(config.inputSize);
    } catch {
      // metadata only: a torn config.json does not stop the export
    }
  }
  return meta;
}

/** Converts an in-memory model; nothing is written. */
export function exportModelToOnnx(model: tf.LayersModel, metadata: Record<string, string> = {}): OnnxExportReport {
  return modelToOnnx(model, { metadata });
}

/** Loads `<runDir>/model/`, converts it and writes `<runDir>/model.onnx` (or `out`) atomically. */
export async function exportRunToOnnx(runDir: string, options: { out?: string } = {}): Promise<RunExport> {
  const modelJson = path.join(tfjsModelDir(runDir), 'model.json');
  if (!existsSync(modelJson)) throw new Error(`no trained model at ${modelJson}`);
  const started = performance.now();
  const model = await loadLayersModel(modelJson);
  try {
    const report = modelToOnnx(model, { metadata: runMetadata(runDir) });
    const file = options.out ?? onnxModelPath(runDir);
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, report.bytes);
    await rename(tmp, file);
    return { file, report, seconds: (performance.now() - started) / 1000 };
  } finally {
    model.dispose();
  }
}

/** Reads ONNX bytes from a run (for engines that load from memory). */
export function readOnnxModel(runDir: string): Promise<Buffer> {
  return readFile(onnxModelPath(runDir));
}
