/**
 * The no-training baseline for a prepared dataset: face-api's 7 expression probabilities used directly as the
 * embedding, scored on the dataset's test (or validation) triplets like any run.
 *
 *   npx tsx --tsconfig tools/research/tsconfig.json tools/research/raw-expression-baseline.ts <prepared dataset dir> [validation|test]
 *
 * Two inputs: the faceapi backbone's own features (the `FACEAPI_FACE_BOX` crop of the prepared face, face and
 * mirror image averaged, from the feature cache), and, for folder datasets, the source image as it is (whole,
 * face and mirror averaged), which is how face-api would read a tight crop such as FER2013's.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FACEAPI_INPUT_SIZE, faceApiExpressionWeights, ExpressionNet, loadFaceInputs, readFaceImages, tripletAccuracy } from '@feenet/feenet';
import { readDataset } from '@feenet/datasets';
import { selectBackend } from '@feenet/tfjs-runtime';

const [root, split = 'test'] = process.argv.slice(2);
if (!root || (split !== 'test' && split !== 'validation')) {
  console.error('usage: raw-expression-baseline.ts <prepared dataset dir> [validation|test]');
  process.exit(2);
}

async function main(root: string, split: 'test' | 'validation'): Promise<void> {
  await selectBackend();
  const dataset = readDataset(root);
  const triplets = dataset.triplets.filter((t) => t.split === split);
  const ids = [...new Set(triplets.flatMap((t) => [t.anchor, t.positive, t.negative]))];
  const row = new Map(ids.map((id, i) => [id, i]));
  const faces = ids.map((id) => dataset.faces.find((f) => f.id === id)!);
  const accuracy = (probabilities: Float32Array) => tripletAccuracy(probabilities, 7, triplets, (id) => row.get(id)!).overall;

  // 1. The backbone's cached features: the expression logits are the last 7 columns.
  const inputs = await loadFaceInputs(dataset, faces, { backbone: 'faceapi', inputSize: FACEAPI_INPUT_SIZE });
  const dim = inputs.shape[0]!;
  const logits = tf.tensor2d(ids.map((id) => Array.from(inputs.values.subarray((inputs.rowOf.get(id)! + 1) * dim - 7, (inputs.rowOf.get(id)! + 1) * dim))));
  const fromFeatures = (await tf.softmax(logits).data()) as Float32Array;
  console.log(`${split} triplets: ${triplets.length}`);
  console.log(`face-api probabilities, backbone features (face box, mirror-averaged logits): ${(100 * accuracy(fromFeatures)).toFixed(1)} %`);

  // 2. The source images, whole (folder datasets record where each face came from).
  const sourceRoot = (dataset.info.settings as { root?: string } | undefined)?.root;
  const sources = faces.map((f) => (f.source as { path?: string } | undefined)?.path);
  if (sourceRoot && sources.every(Boolean)) {
    const net = ExpressionNet.fromWeights(await faceApiExpressionWeights(), 1);
    const probabilities = new Float32Array(ids.length * 7);
    for (let start = 0; start < ids.length; start += 32) {
      const files = sources.slice(start, start + 32).map((p) => path.resolve(sourceRoot, p!));
      const pixels = await readFaceImages(files, FACEAPI_INPUT_SIZE);
      const p = tf.tidy(() => {
        const images = tf.tensor4d(pixels, [files.length, FACEAPI_INPUT_SIZE, FACEAPI_INPUT_SIZE, 3], 'int32').toFloat() as tf.Tensor4D;
        const views = [images, tf.image.flipLeftRight(images)].map((v) => net.features(v).slice([0, 256], [-1, 7]));
        return tf.softmax(tf.div(tf.add(views[0]!, views[1]!), 2));
      });
      probabilities.set((await p.data()) as Float32Array, start * 7);
      p.dispose();
    }
    console.log(`face-api probabilities, whole source image (mirror-averaged logits): ${(100 * accuracy(probabilities)).toFixed(1)} %`);
  }
}

main(root, split).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
