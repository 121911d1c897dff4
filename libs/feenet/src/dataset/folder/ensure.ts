/** Training on a labelled folder: prepare it once under `out`, reuse it while the settings match. */
import { datasetExists, readDataset, type Dataset } from '../store';
import { providedFaceAligner } from './face-aligner';
import { folderSettings, prepareFolderDataset, type FolderSourceOptions } from './folder-source';

export type DatasetEvent = { kind: 'status'; message: string } | { kind: 'loading'; stage: string; done: number; total: number };

export async function ensureFolderDataset(out: string, options: FolderSourceOptions, onEvent?: (e: DatasetEvent) => void): Promise<Dataset> {
  const current = datasetExists(out) ? readDataset(out) : undefined;
  if (current && JSON.stringify(current.info.settings) === JSON.stringify(folderSettings(options))) return current;
  onEvent?.({ kind: 'status', message: `preparing ${options.root} into ${out} (${options.aligned ? 'faces used as given' : 'detecting and aligning faces'})` });
  const factory = options.aligned ? undefined : providedFaceAligner();
  if (!options.aligned && !factory) throw new Error(`${options.root} must be aligned first: run "nx run trainer:prepare --source folder --root ${options.root}" or pass --aligned for already-cropped faces`);
  const aligner = factory ? await factory({ size: options.imageSize ?? 224, detector: options.detector }) : undefined;
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
