/**
 * face-api's expression net as plain tfjs ops over named weights, so that its weights can be `tf.Variable`s and
 * gradients reach them (fine-tuning). face-api's own forward (`FaceFeatureExtractor.forwardInput`) computes the
 * same function over constant tensors inside tidy(); test/faceapi-fine-tune.test.ts checks the two agree.
 *
 * The net: normalise (subtract face-api's mean RGB, divide by 255) → four dense blocks (`dense0`…`dense3`, 32,
 * 64, 128, 256 channels, each halving the side: 112 → 56 → 28 → 14 → 7) → global mean (face-api's 7×7 average
 * pool) → the 256-d pooled feature → `fc` → 7 expression logits.
 */
import * as tf from '@tensorflow/tfjs';

export const EXPRESSION_BLOCKS = ['dense0', 'dense1', 'dense2', 'dense3'] as const;
/** face-api's per-channel mean, subtracted before dividing by 255. */
const MEAN_RGB = [122.782, 117.001, 104.298];

/** Weights by name, `dense2/conv1/depthwise_filter`, `fc/weights` … (face-api's parameter paths). */
export type NetWeights = ReadonlyMap<string, tf.Tensor>;

/** Flattens a face-api params object ({ dense0: { conv0: { filters, bias } }, fc: {...} }) into named tensors. */
export function flattenParams(params: object, prefix = ''): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}/${key}` : key;
    if (value instanceof tf.Tensor) out.set(name, value);
    else if (value && typeof value === 'object') for (const [k, v] of flattenParams(value as object, name)) out.set(k, v);
  }
  return out;
}

function weight(w: NetWeights, name: string): tf.Tensor {
  const t = w.get(name);
  if (!t) throw new Error(`expression net weight ${name} is missing`);
  return t;
}

/** Sum of same-shaped activations (tf.add loses the rank in its types). */
function sum(...xs: tf.Tensor4D[]): tf.Tensor4D {
  return tf.addN(xs);
}

function separableConv(x: tf.Tensor4D, w: NetWeights, conv: string, stride: number): tf.Tensor4D {
  const out = tf.separableConv2d(x, weight(w, `${conv}/depthwise_filter`) as tf.Tensor4D, weight(w, `${conv}/pointwise_filter`) as tf.Tensor4D, stride, 'same');
  return tf.add(out, weight(w, `${conv}/bias`)) as tf.Tensor4D;
}

/** face-api's `denseBlock4`: four convolutions, each fed the ReLU of the sum of all earlier outputs. */
function denseBlock(x: tf.Tensor4D, w: NetWeights, block: string): tf.Tensor4D {
  const first =
    block === 'dense0'
      ? (tf.add(tf.conv2d(x, weight(w, 'dense0/conv0/filters') as tf.Tensor4D, 2, 'same'), weight(w, 'dense0/conv0/bias')) as tf.Tensor4D)
      : separableConv(x, w, `${block}/conv0`, 2);
  const out1 = tf.relu(first);
  const out2 = separableConv(out1, w, `${block}/conv1`, 1);
  const out3 = separableConv(tf.relu(sum(out1, out2)), w, `${block}/conv2`, 1);
  const out4 = separableConv(tf.relu(sum(out1, out2, out3)), w, `${block}/conv3`, 1);
  return tf.relu(sum(out1, out2, out3, out4));
}

/** RGB faces in [0, 255] at 112 px → the net's normalised input. */
export function normaliseFaces(images: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(images, tf.tensor1d(MEAN_RGB)), 255));
}

/** Runs blocks [from, to) of the feature extractor on `x` (the normalised faces when from = 0). */
export function expressionBlocks(x: tf.Tensor4D, w: NetWeights, from: number, to: number): tf.Tensor4D {
  let out = x;
  for (let b = from; b < to; b++) out = denseBlock(out, w, EXPRESSION_BLOCKS[b]!);
  return out;
}

/** dense3's output [n, 7, 7, 256] → [pooled 256 | logits 7], the expression net's part of the faceapi features. */
export function expressionHead(x: tf.Tensor4D, w: NetWeights): tf.Tensor2D {
  const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
  const logits = tf.add(tf.matMul(pooled, weight(w, 'fc/weights') as tf.Tensor2D), weight(w, 'fc/bias')) as tf.Tensor2D;
  return tf.concat([pooled, logits], 1);
}

/**
 * The expression net with its own copy of the weights: the top `trainableBlocks` dense blocks and `fc` are
 * `tf.Variable`s (fine-tuned), the blocks below stay constants. face-api's loaded net is never modified, so
 * frozen features (and their cache) keep meaning the stock weights.
 */
export class ExpressionNet {
  private static copies = 0;

  private constructor(
    private readonly weights: Map<string, tf.Tensor>,
    /** Blocks [0, firstTrainable) are frozen; [firstTrainable, 4) and fc train. */
    readonly firstTrainable: number,
  ) {}

  /** From named weights (face-api's, or a saved run's); copies them, so the source may be disposed. */
  static fromWeights(named: ReadonlyMap<string, tf.Tensor>, trainableBlocks: number): ExpressionNet {
    if (!(Number.isInteger(trainableBlocks) && trainableBlocks >= 1 && trainableBlocks <= EXPRESSION_BLOCKS.length)) {
      throw new RangeError(`trainable blocks must be 1–${EXPRESSION_BLOCKS.length}, got ${trainableBlocks}`);
    }
    const firstTrainable = EXPRESSION_BLOCKS.length - trainableBlocks;
    const trains = (name: string) => name.startsWith('fc/') || EXPRESSION_BLOCKS.slice(firstTrainable).some((b) => name.startsWith(`${b}/`));
    const weights = new Map<string, tf.Tensor>();
    // Variable names are global to the tfjs engine: each copy gets its own prefix.
    const prefix = `faceapi_expression_${++ExpressionNet.copies}`;
    for (const [name, t] of named) {
      // A fresh buffer, not a view of the source's data: a variable's updates must never reach face-api's net.
      const copy = tf.tensor(t.dataSync(), t.shape, 'float32');
      weights.set(name, trains(name) ? tf.variable(copy, true, `${prefix}/${name}`) : copy);
      if (trains(name)) copy.dispose();
    }
    for (const block of EXPRESSION_BLOCKS) if (![...weights.keys()].some((n) => n.startsWith(`${block}/`))) throw new Error(`expression net weights lack ${block}`);
    return new ExpressionNet(weights, firstTrainable);
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.weights.values()].filter((t): t is tf.Variable => t instanceof tf.Variable);
  }

  /** Parameters in all (what a run saves) and in the trainable blocks and output layer. */
  get parameterCount(): { total: number; trainable: number } {
    const count = (ts: tf.Tensor[]) => ts.reduce((n, t) => n + t.size, 0);
    return { total: count([...this.weights.values()]), trainable: count(this.trainableVariables) };
  }

  /** Weights by name, trainable or not: what a run saves. */
  get named(): NetWeights {
    return this.weights;
  }

  /** Normalised faces → the input of the first trainable block (what fine-tuning caches per face). */
  frozenPart(normalised: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => expressionBlocks(normalised, this.weights, 0, this.firstTrainable));
  }

  /** Output of `frozenPart` → [pooled 256 | logits 7]; differentiable in the trainable weights. */
  trainablePart(x: tf.Tensor4D): tf.Tensor2D {
    return expressionHead(expressionBlocks(x, this.weights, this.firstTrainable, EXPRESSION_BLOCKS.length), this.weights);
  }

  /** The whole net on faces cropped and resized as face-api expects (112 px, RGB in [0, 255]). */
  features(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.trainablePart(this.frozenPart(normaliseFaces(images))));
  }

  dispose(): void {
    tf.dispose([...this.weights.values()]);
  }
}
