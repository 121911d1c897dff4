export { selectBackend, describeBackend, BACKENDS } from './backend';
export type { BackendName, BackendReport, BackendOptions } from './backend';
