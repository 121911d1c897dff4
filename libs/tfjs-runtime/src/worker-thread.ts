/**
 * Starts a worker thread on a library's entry module, whether it runs as TypeScript under tsx (CLI,
 * vitest, bench) or as built JavaScript. Node 20 ignores loader hooks for a worker's entry file, so under tsx
 * the worker starts from a small CommonJS bootstrap that registers tsx's require hook and then requires the .ts
 * entry (as @feenet/alignment's folder aligner does); TSX_TSCONFIG_PATH gives it a tsconfig whose paths resolve every @feenet/* library.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `entry`: the entry module's URL as TypeScript source, e.g. `new URL('./replica-worker.ts', import.meta.url)`. */
export function startWorkerThread(entry: URL): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(entry.href.replace(/\.ts$/, '.js')));
  const tsxApi = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const bootstrap = `require(${JSON.stringify(tsxApi)}).register();\nrequire(${JSON.stringify(fileURLToPath(entry))});`;
  return new Worker(bootstrap, {
    eval: true,
    execArgv: [],
    env: { ...process.env, TSX_TSCONFIG_PATH: process.env['TSX_TSCONFIG_PATH'] ?? fileURLToPath(new URL('../tsconfig.json', import.meta.url)) },
  });
}
