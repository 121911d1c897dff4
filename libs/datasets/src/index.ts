/**
 * @feenet/datasets: every source of faces and triplets in one on-disk format (faces.jsonl, triplets.jsonl,
 * dataset.json): Google's FEC (CSV → download → crop → align), labelled folders (FER2013 and the like), and the
 * embedded synthetic faces. Sources that need faces found use @feenet/alignment.
 */
export { TRIPLET_TYPES, SPLITS } from './types';
export type { DatasetInfo, FaceRecord, Split, Triplet, TripletType } from './types';
export { readDataset, datasetExists, DatasetWriter, DatasetError } from './store';
export type { Dataset } from './store';
export { SeededRandom } from './random';

// The embedded default: rendered faces with known expression parameters, rated by simulated raters.
export { generateSyntheticDataset, syntheticSettings, simulateRaters, sampleExpression, DEFAULT_SYNTHETIC_OPTIONS, EXPRESSION_PROTOTYPES } from './synthetic-dataset';
export type { SyntheticOptions, SyntheticSummary } from './synthetic-dataset';
export { renderFace, randomIdentity, randomPose } from './synthetic-face';
export type { ExpressionParams } from './synthetic-face';

// Labelled folders
export {
  prepareFolderDataset,
  scanLabelledFolder,
  deriveTwoClassTriplets,
  folderSettings,
  validateFolderOptions,
  ensureFolderDataset,
  DEFAULT_FOLDER_OPTIONS,
  pickFace,
} from './folder';
export type { FolderSourceOptions, FolderEntry, FolderPrepareProgress, FolderPrepareSummary, FaceAligner, SourceFace, SourceAlignResult, DatasetEvent } from './folder';
export { padTightFace, paddedFaceSize } from './padded-face';
export type { RgbFace } from './padded-face';

// Google's Facial Expression Comparison data
export { parseFecCsv, oddOneOut, fecFaceKey, downloadImages, cachedImagePath, readDeadList, prepareFecDataset, cropRegion, tripletsPerType, DEFAULT_FEC_OPTIONS, FEC_FIELDS } from './fec';
export type { FecFace, FecTriplet, FecIssue, FecParseResult, DownloadOptions, DownloadResult, DownloadProgress, DownloadSummary, FecPrepareOptions, FecPrepareProgress, FecPrepareSummary, FecCsvReport } from './fec';
