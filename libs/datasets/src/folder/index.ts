export { prepareFolderDataset, scanLabelledFolder, deriveTwoClassTriplets, folderSettings, DEFAULT_FOLDER_OPTIONS } from './folder-source';
export type { FolderSourceOptions, FolderEntry, FolderPrepareProgress, FolderPrepareSummary } from './folder-source';
export { pickFace } from './face-aligner';
export type { FaceAligner, SourceFace, SourceAlignResult } from './face-aligner';
export { validateFolderOptions } from './folder-source';
export { ensureFolderDataset } from './ensure';
export type { DatasetEvent } from './ensure';
