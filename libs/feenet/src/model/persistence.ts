/**
 * Saving and loading models in the tfjs layers format (model.json + weights.bin) on any backend: the
 * `file://` handler needs tfjs-node, which most machines here do not have.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import './custom-layers';

type NamedTensor = { name: string; tensor: tf.Tensor };

const WEIGHTS_FILE = 'weights.bin';

function toBuffer(data: ArrayBuffer | ArrayBuffer[]): Buffer {
  return Buffer.concat((Array.isArray(data) ? data : [data]).map((b) => Buffer.from(b)));
}

/** Writes `<dir>/model.json` and `<dir>/weights.bin` atomically (into a sibling temp dir, then renamed). */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
      };
      await writeFile(path.join(tmp, WEIGHTS_FILE), toBuffer(artifacts.weightData!));
      await writeFile(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

/** Loads a tfjs layers model from `<dir>/model.json` (or the model.json path itself), weights from its manifest. */
export async function loadLayersModel(dirOrModelJson: string): Promise<tf.LayersModel> {
  const modelJson = dirOrModelJson.endsWith('.json') ? dirOrModelJson : path.join(dirOrModelJson, 'model.json');
  const json = JSON.parse(await readFile(modelJson, 'utf8')) as tf.io.ModelJSON;
  const base = path.dirname(modelJson);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readFile(path.join(base, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

/** Saves named tensors (e.g. optimizer slots) as `<file>` + `<file>.json` specs. */
export async function saveNamedTensors(tensors: NamedTensor[], file: string): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  await writeFile(file, Buffer.from(data));
  await writeFile(`${file}.json`, JSON.stringify(specs));
}

export async function loadNamedTensors(file: string): Promise<NamedTensor[]> {
  const specs = JSON.parse(await readFile(`${file}.json`, 'utf8')) as tf.io.WeightsManifestEntry[];
  const bytes = await readFile(file);
  const map = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, specs);
  return specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
}
