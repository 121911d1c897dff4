export { parseFecCsv, oddOneOut, fecFaceKey, shortHash, FEC_FIELDS } from './fec-csv';
export type { FecFace, FecTriplet, FecIssue, FecParseResult, FecParseOptions } from './fec-csv';
export { downloadImages, cachedImagePath, readDeadList, sniffImage, imageLooksComplete, urlHash } from './downloader';
export type { DownloadOptions, DownloadResult, DownloadProgress, DownloadSummary } from './downloader';
export { prepareFecDataset, cropRegion, tripletsPerType, DEFAULT_FEC_OPTIONS } from './fec-prepare';
export type { FecPrepareOptions, FecPrepareProgress, FecPrepareSummary, FecCsvReport } from './fec-prepare';
export { splitCsvLine } from './csv-line';
