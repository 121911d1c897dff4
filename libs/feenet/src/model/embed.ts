import * as tf from '@tensorflow/tfjs';

/**
 * Batched inference: inputs row-major [n, ...inputShape] → L2-normalised embeddings [n, dim] as one
 * Float32Array. Every intermediate tensor is released, so repeated calls do not grow tf.memory().
 */
export async function embed(
  model: tf.LayersModel,
  inputs: Float32Array | Uint8Array,
  count: number,
  batchSize = 64,
): Promise<Float32Array> {
  const inputShape = (model.inputs[0]!.shape as (number | null)[]).slice(1) as number[];
  const perItem = inputShape.reduce((a, b) => a * b, 1);
  if (inputs.length !== count * perItem) {
    throw new Error(`embed: expected ${count} × [${inputShape.join(', ')}] = ${count * perItem} values, got ${inputs.length}`);
  }
  const dim = (model.outputs[0]!.shape as number[])[1]!;
  const out = new Float32Array(count * dim);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const slice = inputs.subarray(start * perItem, (start + n) * perItem);
    const result = tf.tidy(() => {
      const x = tf.tensor(slice instanceof Uint8Array ? Float32Array.from(slice) : slice, [n, ...inputShape], 'float32');
      return model.predict(x) as tf.Tensor;
    });
    out.set((await result.data()) as Float32Array, start * dim);
    result.dispose();
  }
  return out;
}
