import * as tf from '@tensorflow/tfjs';
import type { Triplet } from '@feenet/datasets';

/** A labelled dataset's class index of each face id. */
export type FaceLabels = ReadonlyMap<string, number>;

/** The class of each face of `batch` in step order (anchors, then positives, then negatives). */
export function batchLabels(batch: readonly Triplet[], labelOf: FaceLabels): Int32Array {
  const ids = [...batch.map((t) => t.anchor), ...batch.map((t) => t.positive), ...batch.map((t) => t.negative)];
  return Int32Array.from(ids, (id) => {
    const label = labelOf.get(id);
    if (label === undefined) throw new Error(`face ${id} has no label, but the objective uses class labels`);
    return label;
  });
}

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

/** What a training step minimises: FEENet's triplet loss, plus optionally in-batch terms. */
export interface TripletObjective {
  margin: number;
  /** Weight of `batchNegativeLoss` (0: the paper's loss alone). */
  batchNegatives: number;
  /** Weight of `labelContrastLoss` over the batch's class labels (0: labels unused). */
  labelContrast: number;
}

export const PAPER_OBJECTIVE: TripletObjective = { margin: DEFAULT_MARGIN, batchNegatives: 0, labelContrast: 0 };

/**
 * In-batch semi-hard negatives: every face of the batch outside a triplet serves as an extra negative for that
 * triplet's anchor and for its positive, max(0, d(a,p) − d(a,x) + m), but only where it is already farther than
 * the positive (FaceNet's semi-hard rule). Raters never compared x with the pair, so x is only probably farther:
 * on the synthetic data a random face is farther from an anchor than its rated positive 85 % of the time (the
 * rated negative: 97 %); the rule skips the faces the embedding already places closer, where the guess is most
 * likely wrong. Averaged over the terms still active, so it keeps pulling once most are satisfied. A batch of
 * B triplets adds 2·B·(3B − 3) comparisons to the rated 2·B at no extra forward pass: what lets a B0 trained
 * from random initialisation find expressions within a CPU budget (libs/feenet README).
 */
export function batchNegativeLoss(anchor: tf.Tensor2D, positive: tf.Tensor2D, negative: tf.Tensor2D, margin = DEFAULT_MARGIN): tf.Scalar {
  return tf.tidy(() => {
    const b = anchor.shape[0];
    const all = tf.concat([anchor, positive, negative]);
    const ap = tf.reshape(squaredDistance(anchor, positive), [b, 1]);
    // Row i's own triplet sits in columns i, b + i and 2b + i.
    const eye = tf.eye(b);
    const others = tf.sub(1, tf.concat([eye, eye, eye], 1));
    let sum: tf.Tensor = tf.scalar(0);
    let active: tf.Tensor = tf.scalar(0);
    for (const rows of [anchor, positive]) {
      const toAll = pairwiseSquaredDistances(rows, all);
      const terms = tf.relu(tf.add(tf.sub(ap, toAll), margin));
      // tf.step has a (zero) gradient, so the mask is a constant to the backward pass.
      const semiHard = tf.mul(others, tf.step(tf.sub(toAll, ap)));
      const kept = tf.mul(terms, semiHard);
      sum = tf.add(sum, tf.sum(kept));
      active = tf.add(active, tf.sum(tf.step(kept)));
    }
    return tf.div(sum, tf.maximum(active, 1)) as tf.Scalar;
  });
}

/** [n, d] × [m, d] → [n, m] squared distances. */
function pairwiseSquaredDistances(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  return tf.sum(tf.square(tf.sub(tf.expandDims(x, 1), tf.expandDims(y, 0))), -1) as tf.Tensor2D;
}

/** Temperature of `labelContrastLoss`: Khosla et al.'s value for unit-length embeddings. */
export const LABEL_CONTRAST_TEMPERATURE = 0.1;

/**
 * Supervised contrastive loss (Khosla et al., 2020) over a batch's class labels: each face i is pulled towards
 * every other face of its label and pushed from the rest, −mean over j of log(exp(s_ij/τ) / Σ_{k≠i} exp(s_ik/τ)),
 * s the cosine similarity of unit embeddings. Where a dataset has labels (FER2013's seven expressions), a batch of
 * 3·B faces holds O(B²) label pairs for the price of its forward pass, against the B triplets it was drawn as; the
 * softmax over all other faces keeps any one mislabelled face from dominating a step. O(B²) memory, unlike
 * batch-all triplets (O(B³)). Faces alone in their class in the batch contribute nothing.
 */
export function labelContrastLoss(embeddings: tf.Tensor2D, labels: Int32Array, temperature = LABEL_CONTRAST_TEMPERATURE): tf.Scalar {
  return tf.tidy(() => {
    const n = embeddings.shape[0];
    if (labels.length !== n) throw new Error(`labelContrastLoss: ${labels.length} labels for ${n} faces`);
    const eye = tf.eye(n);
    // A face is not its own candidate: -1e4 / … vanishes in the softmax.
    const logits = tf.sub(tf.div(tf.matMul(embeddings, embeddings, false, true), temperature), tf.mul(eye, 1e4));
    const logProb = tf.sub(logits, tf.logSumExp(logits, 1, true));
    const l = tf.tensor1d(labels, 'int32');
    const positive = tf.sub(tf.cast(tf.equal(tf.expandDims(l, 1), tf.expandDims(l, 0)), 'float32'), eye);
    const count = tf.sum(positive, 1);
    const perFace = tf.div(tf.neg(tf.sum(tf.mul(positive, logProb), 1)), tf.maximum(count, 1));
    const has = tf.step(count);
    return tf.div(tf.sum(tf.mul(perFace, has)), tf.maximum(tf.sum(has), 1)) as tf.Scalar;
  });
}

/**
 * The loss a step minimises on embeddings laid out as anchors, then positives, then negatives; `labels` gives
 * each of those faces' class when the objective uses them (`labelContrast` > 0).
 */
export function tripletObjective(embeddings: tf.Tensor2D, objective: TripletObjective, labels?: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const [a, p, n] = tf.split(embeddings, 3) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    let loss = tripletLoss(a, p, n, objective.margin);
    if (objective.batchNegatives > 0) loss = tf.add(loss, tf.mul(batchNegativeLoss(a, p, n, objective.margin), objective.batchNegatives));
    if (objective.labelContrast > 0) {
      if (!labels) throw new Error('the objective uses class labels but the batch came without them');
      loss = tf.add(loss, tf.mul(labelContrastLoss(embeddings, labels), objective.labelContrast));
    }
    return loss;
  });
}
