/**
 * @feenet/tfjs-runtime: where tfjs runs. Picks the fastest backend present (tfjs-node-gpu, tfjs-node, wasm, cpu)
 * and reports which one ran, registers the wasm gradient kernels that make training on wasm practical, and starts
 * worker threads (one wasm instance, so one core, each) on TypeScript or built entry modules.
 */
export { selectBackend, describeBackend, BACKENDS } from './backend';
export type { BackendName, BackendReport, BackendOptions } from './backend';
export { registerWasmGradientKernels } from './wasm-gradients';
export { registerBatchNormGradient } from './batch-norm-gradient';
export { startWorkerThread } from './worker-thread';
