/**
 * Worker-thread entry of the bench's multi-worker tfjs inference rows: one B0 FEENet on its own backend
 * instance (wasm: one core), warmed up, then timed on the parent's signal so all workers measure together.
 * Protocol: {size, batch, minSeconds} → ready → go → {items, seconds} | {error}.
 */
import { parentPort } from 'node:worker_threads';
import { selectBackend } from '@feenet/tfjs-runtime';
import { buildFeenet } from '@feenet/feenet';
import { createTfjsEngine } from '../src/engine';

export type InferenceWorkerRequest = { type: 'start'; size: number; batch: number; minSeconds: number } | { type: 'go' };
export type InferenceWorkerReply = { type: 'ready'; backend: string } | { type: 'done'; items: number; seconds: number } | { type: 'error'; message: string };

const port = parentPort;
if (port) {
  let run: (() => Promise<{ items: number; seconds: number }>) | undefined;
  const reply = (m: InferenceWorkerReply) => port.postMessage(m);
  port.on('message', (msg: InferenceWorkerRequest) => {
    void (async () => {
      try {
        if (msg.type === 'start') {
          const backend = await selectBackend({ prefer: 'wasm' });
          const engine = createTfjsEngine(buildFeenet({ backbone: 'efficientnet-b0', inputSize: msg.size }), { batchSize: msg.batch });
          const inputs = new Float32Array(msg.batch * msg.size * msg.size * 3).map(() => Math.random() * 255);
          await engine.embed(inputs, msg.batch);
          run = async () => {
            let items = 0;
            const start = performance.now();
            let seconds = 0;
            do {
              await engine.embed(inputs, msg.batch);
              items += msg.batch;
              seconds = (performance.now() - start) / 1000;
            } while (seconds < msg.minSeconds || items < 2 * msg.batch);
            return { items, seconds };
          };
          reply({ type: 'ready', backend: backend.description });
          return;
        }
        reply({ type: 'done', ...(await run!()) });
      } catch (err) {
        reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
}
