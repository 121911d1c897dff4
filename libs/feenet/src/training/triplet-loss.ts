import * as tf from '@tensorflow/tfjs';

export const DEFAULT_MARGIN = 0.2;

function squaredDistance(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.square(tf.sub(x, y)), -1) as tf.Tensor1D;
}

/**
 * FEENet's triplet loss on L2-normalised embeddings, with squared L2 distances d:
 *   max(0, d(a,p) − d(a,n) + m) + max(0, d(a,p) − d(p,n) + m), averaged over the batch.
 * Both the anchor and the positive must be closer to each other than either is to the negative.
 */
export function tripletLoss(
  anchor: tf.Tensor2D,
  positive: tf.Tensor2D,
  negative: tf.Tensor2D,
  margin = DEFAULT_MARGIN,
): tf.Scalar {
  return tf.tidy(() => {
    const ap = squaredDistance(anchor, positive);
    const an = squaredDistance(anchor, negative);
    const pn = squaredDistance(positive, negative);
    const first = tf.relu(tf.add(tf.sub(ap, an), margin));
    const second = tf.relu(tf.add(tf.sub(ap, pn), margin));
    return tf.mean(tf.add(first, second)) as tf.Scalar;
  });
}
