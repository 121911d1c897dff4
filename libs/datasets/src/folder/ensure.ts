/** Training on a labelled folder: prepare it once under `out`, reuse it while the settings match. */
import { createAligner } from '@feenet/alignment';
import { datasetExists, readDataset, type Dataset } from '../store';
import { folderSettings, prepareFolderDataset, type FolderSourceOptions } from './folder-source';

export type DatasetEvent = { kind: 'status'; message: string } | { kind: 'loading'; stage: string; done: number; total: number };

export async function ensureFolderDataset(out: string, options: FolderSourceOptions, onEvent?: (e: DatasetEvent) => void): Promise<Dataset> {
  const current = datasetExists(out) ? readDataset(out) : undefined;
  if (current && JSON.stringify(current.info.settings) === JSON.stringify(folderSettings(options))) return current;
  onEvent?.({ kind: 'status', message: `preparing ${options.root} into ${out} (${options.aligned ? 'faces used as given' : 'detecting and aligning faces'})` });
  // face-api loads only here, for folders whose faces still have to be found.
  const aligner = options.aligned ? undefined : await createAligner({ size: options.imageSize ?? 224, faceApi: { model: options.detector } });
  try {
    const s = await prepareFolderDataset(out, options, { ...(aligner ? { aligner } : {}), onProgress: (p) => onEvent?.({ kind: 'loading', stage: `folder ${p.stage}`, done: p.done, total: p.total }) });
    const failed = Object.entries(s.failures).map(([k, n]) => `${k} ${n}`);
    onEvent?.({
      kind: 'status',
      message: `prepared ${s.info.faces.train + s.info.faces.validation + s.info.faces.test} faces (train ${s.info.faces.train}, validation ${s.info.faces.validation}, test ${s.info.faces.test}) of ${s.found} found${s.capped ? `, ${s.capped} left out by the caps` : ''}${failed.length ? `; dropped: ${failed.join(', ')}` : ''} in ${s.seconds.toFixed(0)} s`,
    });
  } finally {
    aligner?.dispose?.();
  }
  return readDataset(out);
}
