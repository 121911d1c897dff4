/**
 * The server's handle on the compute engine (engine/main.ts): started on first use, restarted after a crash,
 * one per server process. Requests carry an id; replies and progress come back over Node's IPC channel.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { EngineMessage, EngineProgress, EngineRequest, EngineResults } from '../engine-protocol';
import { workbenchRoots } from './roots';

/** The engine refused the request (bad parameter, unknown person, no face): a 4xx for the client. */
export class EngineRequestError extends Error {
  override readonly name = 'EngineRequestError';
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onProgress?: (progress: EngineProgress) => void;
}

class EngineClient {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  async request<Op extends EngineRequest['op']>(
    request: Extract<EngineRequest, { op: Op }>,
    onProgress?: (progress: EngineProgress) => void,
  ): Promise<EngineResults[Op]> {
    await this.start();
    const id = this.nextId++;
    return new Promise<EngineResults[Op]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(onProgress ? { onProgress } : {}) });
      this.child!.send({ id, request }, (err) => {
        if (err) {
          this.pending.delete(id);
          reject(err);
        }
      });
    });
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const { workspace } = workbenchRoots();
    // tsx runs the engine from source, as the trainer CLI runs; cwd = workspace so tsconfig's path aliases apply.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(workspace, 'apps/workbench/engine/main.ts')], {
      cwd: workspace,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.child = child;
    this.ready = new Promise<void>((resolve, reject) => {
      const onStartFailure = (err: Error) => reject(new Error(`the workbench engine did not start: ${err.message}`));
      child.once('error', onStartFailure);
      child.on('message', (message: EngineMessage) => {
        if (message.id === 0) {
          child.off('error', onStartFailure);
          resolve();
          return;
        }
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        if (message.type === 'progress') waiting.onProgress?.(message.progress);
        else {
          this.pending.delete(message.id);
          if (message.type === 'result') waiting.resolve(message.result);
          else waiting.reject(message.userError ? new EngineRequestError(message.message) : new Error(message.message));
        }
      });
      child.once('exit', (code, signal) => {
        const err = new Error(`the workbench engine exited (${signal ?? `code ${code}`}); the request can be retried`);
        for (const waiting of this.pending.values()) waiting.reject(err);
        this.pending.clear();
        this.child = null;
        this.ready = null;
        reject(err);
      });
    });
    return this.ready;
  }
}

const globalKey = Symbol.for('feenet.workbench.engine');
type WithEngine = typeof globalThis & { [globalKey]?: EngineClient };

/** The one engine of this server process (kept on globalThis so dev-mode reloads do not start another). */
export function engine(): EngineClient {
  const g = globalThis as WithEngine;
  g[globalKey] ??= new EngineClient();
  return g[globalKey];
}
