import type { Worker } from 'node:worker_threads';
import type { Aligner, AlignerOptions, AlignImageResult } from './aligner';
import { spawnAlignWorker } from './align-folder';
import type { WorkerReply, WorkerRequest } from './align-worker';
import { failure } from './failure';

interface Job {
  input: string | Uint8Array;
  resolve: (result: AlignImageResult) => void;
}

const NO_TIMINGS = { decodeMs: 0, detectMs: 0, landmarksMs: 0, warpMs: 0 };

/**
 * An `Aligner` over worker threads, each with its own aligner on its own tfjs wasm instance: tfjs-wasm runs one
 * core per instance under Node, so a pool with calls in flight on every worker uses every core. Each call gives
 * what one aligner would. A worker that dies costs its current image (reported as a failure), not the pool.
 * Options must be structured-cloneable (no detector objects).
 */
export async function createAlignerPool(workers: number, options: Omit<AlignerOptions, 'detector'> = {}): Promise<Aligner> {
  if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be a whole number ≥ 1, got ${workers}`);
  const queue: Job[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, Job>();
  const live = new Set<Worker>();
  let description = '';

  const pump = () => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const job = queue.shift()!;
      busy.set(worker, job);
      worker.postMessage({ type: 'align', id: 0, input: job.input } satisfies WorkerRequest);
    }
  };
  const lose = (worker: Worker, why: string) => {
    if (!live.delete(worker)) return;
    const job = busy.get(worker);
    busy.delete(worker);
    const i = idle.indexOf(worker);
    if (i >= 0) idle.splice(i, 1);
    job?.resolve({ ok: false, error: failure('corrupt', `align worker died: ${why}`), timings: NO_TIMINGS });
    if (live.size === 0) for (const queued of queue.splice(0)) queued.resolve({ ok: false, error: failure('corrupt', `no align worker left: ${why}`), timings: NO_TIMINGS });
  };

  const started = Array.from({ length: workers }, () => spawnAlignWorker());
  try {
    await Promise.all(
      started.map(
        (worker) =>
          new Promise<void>((ready, fail) => {
            let isReady = false;
            worker.on('message', (reply: WorkerReply) => {
              if (reply.type === 'ready') {
                isReady = true;
                description = reply.description;
                live.add(worker);
                idle.push(worker);
                ready();
                pump();
              } else if (reply.type === 'init-error') {
                fail(new Error(`align worker failed to start: ${reply.message}`));
              } else if (reply.type === 'aligned' || reply.type === 'job-error') {
                const job = busy.get(worker);
                busy.delete(worker);
                idle.push(worker);
                job?.resolve(reply.type === 'aligned' ? reply.result : { ok: false, error: failure('corrupt', reply.message), timings: NO_TIMINGS });
                pump();
              }
            });
            worker.on('error', (err) => (isReady ? lose(worker, err.message) : fail(new Error(`align worker failed to start: ${err.message}`))));
            worker.on('exit', (code) => (isReady ? lose(worker, `exit code ${code}`) : fail(new Error(`align worker exited (code ${code}) before it was ready`))));
            worker.postMessage({ type: 'init', options } satisfies WorkerRequest);
          }),
      ),
    );
  } catch (err) {
    await Promise.all(started.map((w) => w.terminate()));
    throw err;
  }

  return {
    description: `${description} × ${workers} workers`,
    alignImage(input) {
      return new Promise<AlignImageResult>((resolve) => {
        if (live.size === 0) return resolve({ ok: false, error: failure('corrupt', 'the align workers have stopped'), timings: NO_TIMINGS });
        queue.push({ input, resolve });
        pump();
      });
    },
    dispose() {
      for (const worker of started) {
        live.delete(worker);
        void worker.terminate();
      }
    },
  };
}
