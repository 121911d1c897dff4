// The model
export { buildFeenet, countParameters, describeModel, loadWeightsByName, modelSpecOf, BACKBONES, BACKBONE_TRAINING, backboneOf, EMBEDDING_DIM, isBackboneName } from './model/feenet';
export type { BackboneEntry, FeatureStatistics, BackboneName, BackboneTraining, ModelSpec, ParameterCount, WeightLoadReport } from './model/feenet';
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

// Face images as the backbones read them
export { readFaceImage, readFaceImages } from './inputs/face-images';

// Training runs and experiments
export { DEFAULT_TRAIN_CONFIG, PRESETS, TRAIN_CONFIG_FIELDS, TRAIN_CONFIG_FLAGS, mergeConfig, validateConfig, trainConfigFromFlags, trainConfigHelp, resolveWorkers, inputRegionOf, ConfigError } from './training/config';
export type { TrainConfig, DatasetConfig } from './training/config';
export { train, evaluateExperiment, ensureDataset, learningRateAt, NonFiniteLossError, TrainingStopped, COLLAPSE_SPREAD } from './training/train';
export type { TrainEvent, TrainOptions, TrainResult, RunEvaluation } from './training/train';
export { Experiment, listExperiments } from './training/experiment';
export type { RunSummary, MetricLine, EvalMetric, StepMetric, LoopState, TunedBackbone } from './training/experiment';
export { ExpressionFineTuning } from './training/fine-tune';
export { loadFaceInputs, gatherInputs, gatherValues } from './training/face-inputs';
export { ReplicaPool, splitBatch } from './training/data-parallel';
export type { ReplicaPoolOptions } from './training/data-parallel';
export type { FaceInputs } from './training/face-inputs';

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
