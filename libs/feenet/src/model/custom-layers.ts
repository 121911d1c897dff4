/**
 * The two layers FEENet needs that tfjs-layers lacks. Both are registered for serialization, so saved models
 * load with plain `tf.loadLayersModel` once this module has been imported.
 */
import * as tf from '@tensorflow/tfjs';

/** Divides each embedding by its L2 norm: distances between outputs then lie in [0, 2]. */
export class L2Normalize extends tf.layers.Layer {
  static className = 'L2Normalize';

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      // As tf.math.l2_normalize: x / √max(Σx², ε). The floor only acts on an all-zero vector, so outputs are
      // exactly unit length even when a fresh network's outputs are tiny.
      return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-12)));
    });
  }
}
tf.serialization.registerClass(L2Normalize);

/**
 * Keras' `Normalization` layer as EfficientNet uses it: (x − mean) / √variance per channel, with `mean`,
 * `variance` and `count` as non-trainable weights so that Keras-converted ImageNet weights load by name.
 */
export class ChannelNormalization extends tf.layers.Layer {
  static className = 'Normalization';
  private readonly initialMean: number[];
  private readonly initialVariance: number[];
  private mean?: tf.LayerVariable;
  private variance?: tf.LayerVariable;

  constructor(args: tf.serialization.ConfigDict & { mean?: number[]; variance?: number[]; name?: string }) {
    super(args as object);
    this.initialMean = (args.mean as number[] | undefined) ?? [0.485, 0.456, 0.406];
    this.initialVariance = (args.variance as number[] | undefined) ?? [0.229 ** 2, 0.224 ** 2, 0.225 ** 2];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1]!;
    if (channels !== this.initialMean.length) {
      throw new Error(`Normalization expects ${this.initialMean.length} channels, got ${channels}`);
    }
    this.mean = this.addWeight('mean', [channels], 'float32', tf.initializers.constant({ value: 0 }), undefined, false);
    this.variance = this.addWeight('variance', [channels], 'float32', tf.initializers.constant({ value: 1 }), undefined, false);
    this.addWeight('count', [], 'float32', tf.initializers.zeros(), undefined, false);
    this.mean.write(tf.tensor1d(this.initialMean));
    this.variance.write(tf.tensor1d(this.initialVariance));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.div(tf.sub(x, this.mean!.read()), tf.sqrt(tf.maximum(this.variance!.read(), 1e-7)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mean: this.initialMean, variance: this.initialVariance };
  }
}
tf.serialization.registerClass(ChannelNormalization);
