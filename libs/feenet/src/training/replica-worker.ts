/**
 * Worker-thread entry of `ReplicaPool`: one model replica on its own tfjs backend instance (wasm: one core).
 * Protocol: init → ready | error; step → gradients | error. Weights arrive through the pool's shared buffer
 * before every step, so a replica never drifts from the main thread's model.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '@feenet/tfjs-runtime';
import '../model/custom-layers';
import type { TripletObjective } from './triplet-loss';
import { shareGradients, WeightLayout } from './replica-step';

export type ReplicaRequest =
  | { type: 'init'; backend: BackendName; artifacts: tf.io.ModelArtifacts; weights: SharedArrayBuffer; objective: TripletObjective }
  | { type: 'step'; inputs: Float32Array; shape: number[]; triplets: number; labels?: Int32Array };

export type ReplicaReply =
  | { type: 'ready'; backend: string }
  | { type: 'gradients'; loss: number; gradients: Float32Array; state: Float32Array }
  | { type: 'error'; message: string };

const port = parentPort;
if (port) {
  let replica: { model: tf.LayersModel; layout: WeightLayout; weights: Float32Array; objective: TripletObjective } | undefined;
  const reply = (m: ReplicaReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  port.on('message', (msg: ReplicaRequest) => {
    void (async () => {
      try {
        if (msg.type === 'init') {
          const backend = await selectBackend({ prefer: msg.backend });
          const model = await tf.loadLayersModel(tf.io.fromMemory(msg.artifacts));
          replica = { model, layout: new WeightLayout(model), weights: new Float32Array(msg.weights), objective: msg.objective };
          reply({ type: 'ready', backend: backend.description });
          return;
        }
        if (!replica) throw new Error('replica not initialised');
        replica.layout.read(replica.weights);
        const x = tf.tensor(msg.inputs, msg.shape, 'float32');
        const result = shareGradients(replica.model, replica.layout, x, replica.objective, msg.labels);
        x.dispose();
        reply({ type: 'gradients', ...result }, [result.gradients.buffer as ArrayBuffer, result.state.buffer as ArrayBuffer]);
      } catch (err) {
        reply({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
    })();
  });
}
