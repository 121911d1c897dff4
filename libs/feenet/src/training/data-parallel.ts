/**
 * Data-parallel training steps on worker threads. tfjs-wasm runs one core per backend instance under Node, so
 * each worker holds a replica of the model on its own wasm instance and computes the triplet loss and its
 * gradients on a share of the batch. This thread averages the gradients weighted by each share's triplet count
 * (each replica's loss is a mean over its triplets, so that is exactly the whole batch's mean-loss gradient),
 * applies the optimizer to the one authoritative model (checkpoints, evaluation and saving never see a
 * replica), and before every step publishes all weights through a SharedArrayBuffer that the replicas read.
 *
 * Batch norm: each replica normalises with its own share's batch statistics, as synchronous data-parallel
 * training without cross-replica batch norm does; a step on two half-batches is therefore close to, but not the
 * same function as, a step on the whole batch. Moving statistics: each replica updates its own from its share,
 * and the main model takes their triplet-weighted average. The update is linear in the batch statistics, so
 * the moving mean gets exactly the whole-batch update; the moving variance gets the mean of the shares'
 * variances, which leaves out the spread between the shares' means.
 */
import * as tf from '@tensorflow/tfjs';
import { type BackendName, startWorkerThread } from '@feenet/tfjs-runtime';
import type { Triplet } from '@feenet/datasets';
import { gatherValues, type FaceInputs } from './face-inputs';
import { WeightLayout } from './replica-step';
import { batchLabels, type FaceLabels, type TripletObjective } from './triplet-loss';
import type { ReplicaReply, ReplicaRequest } from './replica-worker';

export interface ReplicaPoolOptions {
  /** Worker threads, each with one replica (≥ 1). */
  workers: number;
  /** The backend every replica starts (the main thread's, so replicas compute with the same kernels). */
  backend: BackendName;
  objective: TripletObjective;
}

/** Contiguous shares of a batch whose sizes differ by at most one triplet; empty shares are dropped. */
export function splitBatch<T>(batch: readonly T[], shares: number): T[][] {
  const out: T[][] = [];
  for (let i = 0, from = 0; i < shares; i++) {
    const to = Math.round(((i + 1) * batch.length) / shares);
    if (to > from) out.push(batch.slice(from, to));
    from = to;
  }
  return out;
}

export class ReplicaPool {
  private constructor(
    private readonly model: tf.LayersModel,
    private readonly layout: WeightLayout,
    private readonly weights: Float32Array,
    private readonly replicas: Replica[],
    /** e.g. "2 workers × wasm (SIMD, 1 thread)". */
    readonly description: string,
  ) {}

  get workers(): number {
    return this.replicas.length;
  }

  static async start(model: tf.LayersModel, options: ReplicaPoolOptions): Promise<ReplicaPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error(`workers must be a positive integer, got ${options.workers}`);
    const layout = new WeightLayout(model);
    const weights = new Float32Array(new SharedArrayBuffer(layout.size * 4));
    layout.write(weights);
    const artifacts = await modelArtifacts(model);
    const replicas = Array.from({ length: options.workers }, () => new Replica());
    try {
      const ready = await Promise.all(
        replicas.map((r) => r.call({ type: 'init', backend: options.backend, artifacts, weights: weights.buffer as SharedArrayBuffer, objective: options.objective })),
      );
      const backend = ready[0]!.type === 'ready' ? ready[0]!.backend : '';
      return new ReplicaPool(model, layout, weights, replicas, `${replicas.length} worker${replicas.length === 1 ? '' : 's'} × ${backend}`);
    } catch (err) {
      await Promise.all(replicas.map((r) => r.terminate()));
      throw err;
    }
  }

  /**
   * One optimizer step on `batch`, split across the replicas. Returns the batch's mean triplet loss. The
   * optimizer's learning rate is whatever the caller set.
   */
  async step(optimizer: tf.Optimizer, inputs: FaceInputs, batch: readonly Triplet[], labelOf?: FaceLabels): Promise<number> {
    this.layout.write(this.weights);
    const shares = splitBatch(batch, this.replicas.length);
    const replies = await Promise.all(
      shares.map((share, i) => {
        const ids = [...share.map((t) => t.anchor), ...share.map((t) => t.positive), ...share.map((t) => t.negative)];
        const values = gatherValues(inputs, ids);
        const labels = labelOf && batchLabels(share, labelOf);
        return this.replicas[i]!.call({ type: 'step', inputs: values, shape: [ids.length, ...inputs.shape], triplets: share.length, labels }, [values.buffer as ArrayBuffer]);
      }),
    );
    const gradients = new Float32Array(this.layout.trainableSize);
    const state = new Float32Array(this.layout.size - this.layout.trainableSize);
    let loss = 0;
    replies.forEach((reply, i) => {
      if (reply.type !== 'gradients') throw new Error(`replica ${i} answered ${reply.type}`);
      const weight = shares[i]!.length / batch.length;
      loss += weight * reply.loss;
      accumulate(gradients, reply.gradients, weight);
      accumulate(state, reply.state, weight);
    });
    const named: { name: string; tensor: tf.Tensor }[] = [];
    let offset = 0;
    for (const w of this.model.trainableWeights) {
      const n = tf.util.sizeFromShape(w.shape as number[]);
      named.push({ name: (w.read() as tf.Variable).name, tensor: tf.tensor(gradients.subarray(offset, offset + n), w.shape as number[], 'float32') });
      offset += n;
    }
    optimizer.applyGradients(named);
    tf.dispose(named.map((g) => g.tensor));
    this.layout.setState(state);
    return loss;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.terminate()));
  }
}

/** sum += weight · values (a plain loop over locals: 4 M floats per replica and step for B0). */
function accumulate(sum: Float32Array, values: Float32Array, weight: number): void {
  for (let k = 0; k < sum.length; k++) sum[k]! += weight * values[k]!;
}

/** The model's topology and weights in memory, as `tf.io.fromMemory` takes them back in a worker. */
async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

/** One worker thread and its single outstanding request. */
class Replica {
  private readonly worker = startWorkerThread(new URL('./replica-worker.ts', import.meta.url));
  private pending: { resolve: (r: ReplicaReply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor() {
    this.worker.on('message', (reply: ReplicaReply) => {
      const pending = this.pending;
      this.pending = undefined;
      if (reply.type === 'error') pending?.reject(new Error(`replica worker: ${reply.message}`));
      else pending?.resolve(reply);
    });
    const fail = (err: Error) => {
      this.failure = err;
      this.pending?.reject(err);
      this.pending = undefined;
    };
    this.worker.on('error', (err) => fail(new Error(`replica worker crashed: ${err.message}`)));
    this.worker.on('exit', (code) => fail(new Error(`replica worker exited (code ${code})`)));
  }

  call(request: ReplicaRequest, transfer: ArrayBuffer[] = []): Promise<ReplicaReply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('replica is busy'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(request, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error('replica terminated');
    await this.worker.terminate();
  }
}
