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
  FACEAPI_EXTRACTORS,
  FACEAPI_FEATURE_LAYOUT,
} from './backbones/faceapi';
export { ALIGNED_FACE_BOX, ALIGNED_INNER_FACE, WHOLE_IMAGE, NAMED_FACE_REGIONS, faceRegionFromText, faceRegionProblem, regionInPixels, sameRegion, type FaceRegion } from './inputs/face-region';
export { ExpressionNet } from './backbones/faceapi-expression-net';

// Loss and metric
export { tripletLoss, batchNegativeLoss, labelContrastLoss, tripletObjective, DEFAULT_MARGIN, PAPER_OBJECTIVE, type TripletObjective } from './training/triplet-loss';
export { tripletAccuracy, predictsTriplet, embeddingSpread } from './training/triplet-accuracy';
export type { TripletAccuracy } from './training/triplet-accuracy';

// Face images as the backbones read them
export { readFaceImage, readFaceImages, resizedRgb } from './inputs/face-images';

// Training runs and experiments
export { DEFAULT_TRAIN_CONFIG, PRESETS, TRAIN_CONFIG_FIELDS, TRAIN_CONFIG_FLAGS, TRAIN_CONFIG_SWITCHES, mergeConfig, validateConfig, trainConfigFromFlags, trainConfigHelp, resolveWorkers, inputRegionOf, ConfigError } from './training/config';
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
