// The model
export { buildFeenet, countParameters, describeModel, loadWeightsByName, BACKBONES, EMBEDDING_DIM, isBackboneName } from './model/feenet';
export type { BackboneName, ModelSpec, ParameterCount, WeightLoadReport } from './model/feenet';
export { efficientNetB0, EFFICIENTNET_B0_BLOCKS } from './model/efficientnet';
export type { BlockArgs, EfficientNetOptions } from './model/efficientnet';
export { L2Normalize, ChannelNormalization } from './model/custom-layers';
export { embed } from './model/embed';
export { saveLayersModel, loadLayersModel } from './model/persistence';
export {
  extractFaceApiFeatures,
  loadFaceApiNets,
  faceApiFeatureDim,
  faceApiExpressionWeights,
  FACEAPI_INPUT_SIZE,
  FACEAPI_FACE_BOX,
} from './backbones/faceapi';
export { ALIGNED_FACE_BOX, ALIGNED_INNER_FACE, WHOLE_IMAGE, NAMED_FACE_REGIONS, faceRegionFromText, faceRegionProblem, type FaceRegion } from './inputs/face-region';
export { ExpressionNet } from './backbones/faceapi-expression-net';

// Loss and metric
export { tripletLoss, batchNegativeLoss, labelContrastLoss, tripletObjective, DEFAULT_MARGIN, PAPER_OBJECTIVE, type TripletObjective } from './training/triplet-loss';
export { tripletAccuracy, predictsTriplet, embeddingSpread } from './training/triplet-accuracy';
export type { TripletAccuracy } from './training/triplet-accuracy';

// Datasets: one format for every source
export { TRIPLET_TYPES, SPLITS } from './dataset/types';
export type { DatasetInfo, FaceRecord, Split, Triplet, TripletType } from './dataset/types';
export { readDataset, datasetExists, DatasetWriter, DatasetError } from './dataset/store';
export type { Dataset } from './dataset/store';
export { generateSyntheticDataset, simulateRaters, sampleExpression, DEFAULT_SYNTHETIC_OPTIONS, EXPRESSION_PROTOTYPES } from './dataset/synthetic-dataset';
export type { SyntheticOptions, SyntheticSummary } from './dataset/synthetic-dataset';
export { renderFace, randomIdentity, randomPose } from './dataset/synthetic-face';
export type { ExpressionParams } from './dataset/synthetic-face';
export { SeededRandom } from './dataset/random';
export { readFaceImage, readFaceImages } from './inputs/face-images';

// Training runs and experiments
export { DEFAULT_TRAIN_CONFIG, PRESETS, mergeConfig, validateConfig, resolveWorkers, inputRegionOf, ConfigError } from './training/config';
export { BACKBONE_TRAINING } from './training/config';
export type { TrainConfig, DatasetConfig, BackboneTraining } from './training/config';
export { train, evaluateExperiment, ensureDataset, learningRateAt, NonFiniteLossError, TrainingStopped, COLLAPSE_SPREAD } from './training/train';
export type { TrainEvent, TrainOptions, TrainResult, RunEvaluation } from './training/train';
export { Experiment, listExperiments } from './training/experiment';
export type { RunSummary, MetricLine, EvalMetric, StepMetric, LoopState, TunedBackbone } from './training/experiment';
export { ExpressionFineTuning } from './training/fine-tune';
export { loadFaceInputs, gatherInputs, gatherValues } from './training/face-inputs';
export { ReplicaPool, splitBatch } from './training/data-parallel';
export type { ReplicaPoolOptions } from './training/data-parallel';
export type { FaceInputs } from './training/face-inputs';

// Dataset sources
export {
  prepareFolderDataset,
  scanLabelledFolder,
  deriveTwoClassTriplets,
  folderSettings,
  validateFolderOptions,
  ensureFolderDataset,
  DEFAULT_FOLDER_OPTIONS,
  provideFaceAligner,
  pickFace,
} from './dataset/folder';
export type { FolderSourceOptions, FolderEntry, FolderPrepareProgress, FolderPrepareSummary, FaceAligner, FaceAlignerFactory, AlignedFaceLike, AlignResultLike, DatasetEvent } from './dataset/folder';
export { parseFecCsv, oddOneOut, fecFaceKey, downloadImages, cachedImagePath, readDeadList, prepareFecDataset, cropRegion, tripletsPerType, DEFAULT_FEC_OPTIONS, FEC_FIELDS } from './dataset/fec';
export type { FecFace, FecTriplet, FecIssue, FecParseResult, DownloadOptions, DownloadResult, DownloadProgress, DownloadSummary, FecPrepareOptions, FecPrepareProgress, FecPrepareSummary, FecCsvReport } from './dataset/fec';

// Export and inference engines
export { modelToOnnx, decodeOnnxModel, UnsupportedLayerError, ONNX_OPSET, ONNX_IR_VERSION, OUTPUT_NAME as ONNX_OUTPUT_NAME } from './export/onnx-graph';
export type { OnnxExportOptions, OnnxExportReport } from './export/onnx-graph';
export { exportRunToOnnx, exportModelToOnnx, onnxExportState, onnxModelPath, tfjsModelDir, ONNX_MODEL_FILE } from './export/export-run';
export type { OnnxExportState, RunExport } from './export/export-run';
export { createEmbeddingEngine, createOnnxEngine, createTfjsEngine, loadOnnxRuntime, defaultOnnxBatchSize, ENGINES } from './inference/engine';
export type { EmbeddingEngine, EngineName, EnginePreference, EngineOptions, OrtModule } from './inference/engine';

// Run embedder: aligned faces → embeddings with a trained run, whatever its backbone
export { openRunEmbedder } from './inference/run-embedder';
export type { RunEmbedder, RunEmbedderOptions } from './inference/run-embedder';
export { padTightFace, paddedFaceSize } from './inputs/padded-face';
export type { RgbFace } from './inputs/padded-face';
