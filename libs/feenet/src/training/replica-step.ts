/**
 * What one model replica computes in a data-parallel step, and the flat float32 layout in which weights and
 * gradients travel between threads (trainable weights first, so a gradient is a prefix of the weights).
 */
import * as tf from '@tensorflow/tfjs';
import { leanVariableGrads } from './lean-backprop';
import { tripletObjective, type TripletObjective } from './triplet-loss';

export class WeightLayout {
  /** Floats of the trainable weights: the gradient's length. */
  readonly trainableSize: number;
  /** Floats of all weights: trainable, then the rest (batch-norm moving statistics, normalisation constants). */
  readonly size: number;
  private readonly order: tf.LayerVariable[];
  private readonly trainableCount: number;

  constructor(model: tf.LayersModel) {
    this.order = [...model.trainableWeights, ...model.nonTrainableWeights];
    for (const w of this.order) if (w.dtype !== 'float32') throw new Error(`weight ${w.name} is ${w.dtype}: only float32 weights can be shared`);
    const floats = (ws: readonly tf.LayerVariable[]) => ws.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0);
    this.trainableSize = floats(model.trainableWeights);
    this.trainableCount = model.trainableWeights.length;
    this.size = floats(this.order);
  }

  /** Copies the model's current weights into `into` (length `size`). */
  write(into: Float32Array): void {
    let offset = 0;
    for (const w of this.order) {
      const values = w.read().dataSync() as Float32Array;
      into.set(values, offset);
      offset += values.length;
    }
  }

  /** Sets every weight of the model from `from` (as `write` laid it out, in any thread's copy of the model). */
  read(from: Float32Array): void {
    this.assign(this.order, from);
  }

  /** The non-trainable suffix (what a training-mode pass updates besides the gradient). */
  state(): Float32Array {
    const out = new Float32Array(this.size - this.trainableSize);
    let offset = 0;
    for (const w of this.order.slice(this.trainableCount)) {
      const values = w.read().dataSync() as Float32Array;
      out.set(values, offset);
      offset += values.length;
    }
    return out;
  }

  /** Sets only the non-trainable weights, from a `state()`-shaped array. */
  setState(state: Float32Array): void {
    this.assign(this.order.slice(this.trainableCount), state);
  }

  private assign(weights: readonly tf.LayerVariable[], from: Float32Array): void {
    let offset = 0;
    for (const w of weights) {
      const n = tf.util.sizeFromShape(w.shape as number[]);
      const t = tf.tensor(from.subarray(offset, offset + n), w.shape as number[], 'float32');
      w.write(t);
      t.dispose();
      offset += n;
    }
  }
}

export interface ShareResult {
  /** Mean triplet loss over the share's triplets. */
  loss: number;
  /** d(loss)/d(trainable weights), flat in `WeightLayout` order. */
  gradients: Float32Array;
  /** Non-trainable weights after the pass (batch-norm moving statistics updated from this share). */
  state: Float32Array;
}

/**
 * Triplet loss of `x` (anchors, then positives, then negatives) in training mode, and its gradients for every
 * trainable weight, through the backward pass that releases activations as it goes (lean-backprop.ts). The one
 * step computation behind both the in-thread step and each data-parallel replica's share.
 */
export function tripletGradients(model: tf.LayersModel, x: tf.Tensor, objective: TripletObjective, labels?: Int32Array): { value: tf.Scalar; grads: tf.NamedTensorMap; vars: tf.Variable[] } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = leanVariableGrads(() => tripletObjective(model.apply(x, { training: true }) as tf.Tensor2D, objective, labels), vars);
  return { value, grads, vars };
}

/**
 * Loss and gradients of the objective on one share of a batch: `x` holds the share's anchors, then its
 * positives, then its negatives (`labels`: their classes, when the objective uses them). Batch norm normalises
 * with this share's own statistics, and in-batch negatives and label triplets come from this share's faces.
 */
export function shareGradients(model: tf.LayersModel, layout: WeightLayout, x: tf.Tensor, objective: TripletObjective, labels?: Int32Array): ShareResult {
  const { value, grads, vars } = tripletGradients(model, x, objective, labels);
  const gradients = new Float32Array(layout.trainableSize);
  let offset = 0;
  for (const v of vars) {
    const g = grads[v.name]!;
    gradients.set(g.dataSync() as Float32Array, offset);
    offset += g.size;
  }
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, gradients, state: layout.state() };
}
