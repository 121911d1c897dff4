// A trained run as an ONNX graph: one converter per tfjs layer class
export { modelToOnnx, decodeOnnxModel } from './onnx/model-to-onnx';
export type { OnnxExportOptions, OnnxExportReport } from './onnx/model-to-onnx';
export { UnsupportedLayerError, ONNX_OPSET, ONNX_IR_VERSION, OUTPUT_NAME as ONNX_OUTPUT_NAME } from './onnx/graph-builder';
export { LAYER_CONVERTERS } from './onnx/layer-converters';
export type { LayerConverter } from './onnx/layer-converters';
export { exportRunToOnnx, exportModelToOnnx, onnxExportState, onnxModelPath, tfjsModelDir, ONNX_MODEL_FILE } from './export-run';
export type { OnnxExportState, RunExport } from './export-run';

// Engines: onnxruntime-node where it loads, tfjs otherwise
export { createEmbeddingEngine, createOnnxEngine, createTfjsEngine, loadOnnxRuntime, defaultOnnxBatchSize, ENGINES } from './engine';
export type { EmbeddingEngine, EngineName, EnginePreference, EngineOptions, OrtModule } from './engine';

// Photos → faces → a gallery (trainer:embed, the workbench's imports)
export { findFaces, largestFace, writeFacePng, imageFilesUnder, folderOf } from './photo-faces';
export type { FaceSource, FoundFace, FoundFaces } from './photo-faces';
export { buildPhotoGallery, personRuleProblem, PhotoGalleryError, EMBED_LOG } from './photo-gallery';
export type { PersonRule, PhotoGalleryEvent, PhotoGalleryOptions, PhotoGalleryResult } from './photo-gallery';

// Aligned faces → embeddings with a trained run, whatever its backbone
export { openRunEmbedder } from './run-embedder';
export type { RunEmbedder, RunEmbedderOptions } from './run-embedder';
