/**
 * Fine-tuning the `faceapi` backbone (`backboneTraining: 'fine-tune'`): the top `fineTuneBlocks` dense blocks of
 * face-api's expression net and its output layer train together with the FEENet head, each step computing the
 * triplet loss through the expression net's forward pass on the batch's faces.
 *
 * - The blocks below the trainable ones never change, so their outputs are computed once per face (and its
 *   mirror image) at the start and kept in memory: a step pays only for the trainable blocks. Measured on wasm,
 *   per face: the whole net forward 19 ms; forward + backward of the top block 7 ms, of the top two 16 ms, of
 *   all four 131 ms (the 56 px first block's gradients dominate).
 * - The landmark net stays frozen: its features come from the ordinary feature cache.
 * - Training sees one view of each face per step, the face or its mirror image at random (seeded by the step,
 *   so a resumed run sees the same views): augmentation at half the cost of both. Evaluation and every saved
 *   embedding average the two views, as frozen features do.
 * - The backbone has its own Adam optimizer and a lower learning rate (`backboneLearningRate`, on the head's
 *   warm-up and cosine schedule): the pretrained weights should move a little towards the triplet objective,
 *   not be overwritten by the large early gradients of a randomly initialised head.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { faceApiCrops, faceApiExpressionColumns, FACEAPI_INPUT_SIZE } from '../backbones/faceapi';
import type { FaceRegion } from '../inputs/face-region';
import { ExpressionNet, normaliseFaces } from '../backbones/faceapi-expression-net';
import { type Dataset, type FaceRecord, type Triplet, SeededRandom } from '@feenet/datasets';
import { readFaceImages } from '../inputs/face-images';
import { gatherInputs, type FaceInputs, type LoadProgress } from './face-inputs';
import { batchLabels, tripletObjective, type FaceLabels, type TripletObjective } from './triplet-loss';

/** Faces per forward pass when caching and evaluating: bounds the activations held at once. */
const BATCH = 32;

export class ExpressionFineTuning {
  readonly optimizer: tf.Optimizer;

  private constructor(
    readonly net: ExpressionNet,
    /** Per face: the frozen blocks' output for the face, then for its mirror image. */
    private readonly frozenOutputs: Map<string, Float32Array>,
    private readonly frozenShape: number[],
    learningRate: number,
  ) {
    this.optimizer = tf.train.adam(learningRate);
  }

  /** Runs the frozen blocks once for every face and both views, on `region` of each face image. */
  static async prepare(
    dataset: Dataset,
    faces: readonly FaceRecord[],
    net: ExpressionNet,
    learningRate: number,
    region: FaceRegion,
    onProgress?: LoadProgress,
  ): Promise<ExpressionFineTuning> {
    const frozenOutputs = new Map<string, Float32Array>();
    let frozenShape: number[] = [];
    for (let start = 0; start < faces.length; start += BATCH) {
      const batch = faces.slice(start, start + BATCH);
      const pixels = await readFaceImages(batch.map((f) => path.resolve(dataset.root, f.file)), FACEAPI_INPUT_SIZE);
      const [direct, mirrored] = tf.tidy(() => {
        const crops = faceApiCrops(tf.tensor4d(pixels, [batch.length, FACEAPI_INPUT_SIZE, FACEAPI_INPUT_SIZE, 3], 'int32').toFloat(), region);
        return [net.frozenPart(normaliseFaces(crops)), net.frozenPart(normaliseFaces(tf.image.flipLeftRight(crops)))];
      });
      frozenShape = direct.shape.slice(1);
      const [a, b] = [(await direct.data()) as Float32Array, (await mirrored.data()) as Float32Array];
      tf.dispose([direct, mirrored]);
      const per = a.length / batch.length;
      batch.forEach((f, i) => {
        const both = new Float32Array(2 * per);
        both.set(a.subarray(i * per, (i + 1) * per), 0);
        both.set(b.subarray(i * per, (i + 1) * per), per);
        frozenOutputs.set(f.id, both);
      });
      onProgress?.('expression net, frozen blocks', start + batch.length, faces.length);
    }
    return new ExpressionFineTuning(net, frozenOutputs, frozenShape, learningRate);
  }

  /** Frozen-block outputs of faces in one view each (0 = face, 1 = mirror image) as one tensor. */
  private gatherFrozen(ids: readonly string[], views: readonly number[]): tf.Tensor4D {
    const per = this.frozenShape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(ids.length * per);
    ids.forEach((id, i) => {
      const both = this.frozenOutputs.get(id);
      if (!both) throw new Error(`no expression-net activations for face ${id}`);
      out.set(both.subarray(views[i]! * per, (views[i]! + 1) * per), i * per);
    });
    return tf.tensor4d(out, [ids.length, ...this.frozenShape] as [number, number, number, number]);
  }

  /**
   * One step on a batch: the 3·B faces through the trainable blocks, their expression features in place of the
   * cached ones, the head, the triplet loss; each optimizer updates its own weights. `step` seeds the views.
   */
  step(head: tf.LayersModel, headOptimizer: tf.Optimizer, inputs: FaceInputs, batch: readonly Triplet[], objective: TripletObjective, step: number, seed: number, labelOf?: FaceLabels): number {
    const ids = [...batch.map((t) => t.anchor), ...batch.map((t) => t.positive), ...batch.map((t) => t.negative)];
    const random = new SeededRandom(seed * 104_729 + step);
    const frozen = this.gatherFrozen(ids, ids.map(() => (random.next() < 0.5 ? 0 : 1)));
    const cached = gatherInputs(inputs, ids);
    const headVars = head.trainableWeights.map((w) => w.read() as tf.Variable);
    const netVars = this.net.trainableVariables;
    const { value, grads } = tf.variableGrads(() => {
      const features = withExpressionFeatures(cached as tf.Tensor2D, this.net.trainablePart(frozen));
      return tripletObjective(head.apply(features, { training: true }) as tf.Tensor2D, objective, labelOf && batchLabels(batch, labelOf));
    }, [...headVars, ...netVars]);
    const pick = (vars: tf.Variable[]) => Object.fromEntries(vars.map((v) => [v.name, grads[v.name]!]));
    headOptimizer.applyGradients(pick(headVars));
    this.optimizer.applyGradients(pick(netVars));
    const loss = value.dataSync()[0]!;
    tf.dispose([value, frozen, cached, ...Object.values(grads)]);
    return loss;
  }

  /** The faces' features with the current expression net (both views averaged): what evaluation and galleries use. */
  async currentInputs(inputs: FaceInputs, ids: readonly string[]): Promise<FaceInputs> {
    const dim = inputs.shape[0]!;
    const values = new Float32Array(ids.length * dim);
    for (let start = 0; start < ids.length; start += BATCH) {
      const batch = ids.slice(start, start + BATCH);
      const features = tf.tidy(() => {
        const views = [0, 1].map((v) => this.net.trainablePart(this.gatherFrozen(batch, batch.map(() => v))));
        return withExpressionFeatures(gatherInputs(inputs, batch) as tf.Tensor2D, tf.div(tf.add(views[0]!, views[1]!), 2));
      });
      values.set((await features.data()) as Float32Array, start * dim);
      features.dispose();
    }
    return { kind: 'features', shape: [dim], count: ids.length, rowOf: new Map(ids.map((id, i) => [id, i])), values };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.frozenOutputs.clear();
  }
}

/** Full faceapi features [n, 655] with the expression net's columns replaced by `expression` [n, 256 + 7]. */
export function withExpressionFeatures(features: tf.Tensor2D, expression: tf.Tensor2D): tf.Tensor2D {
  const { pooled, output } = faceApiExpressionColumns();
  const n = features.shape[0];
  const pooledDim = pooled[1] - pooled[0];
  return tf.concat(
    [
      features.slice([0, 0], [n, pooled[0]]),
      expression.slice([0, 0], [n, pooledDim]),
      features.slice([0, pooled[1]], [n, output[0] - pooled[1]]),
      expression.slice([0, pooledDim], [n, output[1] - output[0]]),
    ],
    1,
  );
}
