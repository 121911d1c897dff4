export { prepareFolderDataset, scanLabelledFolder, deriveTwoClassTriplets, folderSettings, DEFAULT_FOLDER_OPTIONS } from './folder-source';
export type { FolderSourceOptions, FolderEntry, FolderPrepareProgress, FolderPrepareSummary } from './folder-source';
export { provideFaceAligner, providedFaceAligner, pickFace } from './face-aligner';
export type { FaceAligner, FaceAlignerFactory, AlignedFaceLike, AlignResultLike } from './face-aligner';
export { validateFolderOptions } from './folder-source';
export { ensureFolderDataset } from './ensure';
export type { DatasetEvent } from './ensure';
