/**
 * Worker-thread entry of `alignFolder`: one aligner (its own tfjs wasm instance, one thread) per worker.
 * Protocol: init → ready | init-error; job → result | job-error.
 */
import { parentPort } from 'node:worker_threads';
import { createAligner, type Aligner, type AlignerOptions, type AlignImageResult } from './aligner';
import { alignFileToCrops } from './align-file';

export type WorkerRequest =
  | { type: 'init'; options: AlignerOptions }
  | { type: 'job'; id: number; absolutePath: string; source: string; outputDir: string }
  /** Align one image and send the faces back (`createAlignerPool`) instead of writing crops. */
  | { type: 'align'; id: number; input: string | Uint8Array };

export type WorkerReply =
  | { type: 'ready'; description: string }
  | { type: 'init-error'; message: string }
  | { type: 'result'; id: number; result: Awaited<ReturnType<typeof alignFileToCrops>> }
  | { type: 'job-error'; id: number; message: string }
  | { type: 'aligned'; id: number; result: AlignImageResult };

const port = parentPort;
if (port) {
  let aligner: Aligner | undefined;
  const reply = (m: WorkerReply) => port.postMessage(m);
  port.on('message', (msg: WorkerRequest) => {
    void (async () => {
      if (msg.type === 'init') {
        try {
          aligner = await createAligner(msg.options);
          reply({ type: 'ready', description: aligner.description });
        } catch (err) {
          reply({ type: 'init-error', message: err instanceof Error ? err.message : String(err) });
        }
        return;
      }
      try {
        if (!aligner) throw new Error('worker not initialised');
        if (msg.type === 'align') reply({ type: 'aligned', id: msg.id, result: await aligner.alignImage(msg.input) });
        else reply({ type: 'result', id: msg.id, result: await alignFileToCrops(aligner, msg.absolutePath, msg.source, msg.outputDir) });
      } catch (err) {
        reply({ type: 'job-error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
}
