/**
 * A leaner gradient for FusedBatchNorm with per-channel statistics (what every batch-norm layer here uses).
 * tfjs-core's version tiles 1/√(var+ε) to the full [B, H, W, C] shape before multiplying and computes each
 * reduction separately; here the per-channel factors are broadcast and Σ dy·(x−μ) is shared, which is the same
 * mathematics with three full-size products instead of about eight. Other shapes keep tfjs' own gradient.
 */
import * as tf from '@tensorflow/tfjs';

let registered = false;

export function registerBatchNormGradient(): void {
  if (registered) return;
  const original = tf.getGradient('FusedBatchNorm');
  if (!original) return;
  registered = true;
  tf.registerGradient({
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      if (mean.rank !== 1 || variance.rank !== 1 || (scale && scale.rank !== 1)) return original.gradFunc(dy, saved, attrs);
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const dyT = dy as tf.Tensor;
      const axes = [...Array(x.rank - 1).keys()];
      const scaleValue = scale ?? tf.onesLike(mean);
      const rsqrt = tf.rsqrt(tf.add(variance, varianceEpsilon));
      const xMinusMean = tf.sub(x, mean);
      const sumDy = () => tf.sum(dyT, axes);
      const sumDyXmm = tf.sum(tf.mul(dyT, xMinusMean), axes);
      return {
        x: () => tf.mul(dyT, tf.mul(scaleValue, rsqrt)),
        mean: () => tf.neg(tf.mul(sumDy(), tf.mul(scaleValue, rsqrt))),
        variance: () => tf.mul(sumDyXmm, tf.mul(scaleValue, tf.mul(tf.pow(rsqrt, 3), -0.5))),
        scale: () => tf.mul(sumDyXmm, rsqrt),
        offset: sumDy,
      };
    },
  });
}
