/**
 * A tfjs LayersModel (FEENet: EfficientNet-B0 or the faceapi head) as a standard ONNX graph.
 *
 * The layers are walked in topological order (the model's own config: layers and their inbound nodes) and each is
 * handed to its converter in `LAYER_CONVERTERS`. The graph takes the same input as the tfjs model ([N, H, W, 3]
 * RGB in [0, 255], or [N, 512] features), transposes images to NCHW once, and gives [N, 16] L2-normalised
 * embeddings; the batch dimension is symbolic. Opset 17, IR 8.
 */
import type * as tf from '@tensorflow/tfjs';
import { BATCH_DIM, GraphBuilder, ONNX_IR_VERSION, ONNX_OPSET, OUTPUT_NAME, UnsupportedLayerError, onnx, tensorInfo, type OnnxTypes } from './graph-builder';
import { LAYER_CONVERTERS, asNC, materialise, type ConversionContext, type LayerConfig, type Value } from './layer-converters';

export interface OnnxExportOptions {
  /** Stored in the model's metadata_props (e.g. run id, backbone). */
  metadata?: Record<string, string>;
  /** Fold batch normalisation into the preceding convolution (default true; false keeps Mul/Add, for tests). */
  foldBatchNorm?: boolean;
  docString?: string;
}

export interface OnnxExportReport {
  bytes: Uint8Array;
  inputName: string;
  /** tfjs input shape without the batch dimension, e.g. [224, 224, 3] or [512]. */
  inputShape: number[];
  outputName: string;
  outputDim: number;
  /** ONNX op type → count, e.g. { Conv: 81, ... }. */
  opCounts: Record<string, number>;
  /** Batch-norm layers folded into convolutions. */
  foldedBatchNorms: number;
  /** Zero-padding layers folded into convolution pads. */
  foldedPaddings: number;
  parameters: number;
}

function inboundOf(lc: LayerConfig): string[] {
  if (lc.inboundNodes.length > 1) throw new UnsupportedLayerError(`layer ${lc.name} is shared (called ${lc.inboundNodes.length} times)`);
  const node = (lc.inboundNodes[0] ?? []) as [string, number, number, unknown][];
  return node.map(([name, nodeIndex, tensorIndex]) => {
    if (nodeIndex !== 0 || tensorIndex !== 0) throw new UnsupportedLayerError(`layer ${lc.name}: multi-output or shared inbound layers`);
    return name;
  });
}

/**
 * Converts a tfjs LayersModel to ONNX bytes. Throws `UnsupportedLayerError` naming the layer if the model has a
 * layer or option this exporter does not handle, rather than writing a graph that computes something else.
 */
export function modelToOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): OnnxExportReport {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UnsupportedLayerError(`ONNX export handles one input and one output; the model has ${model.inputs.length} and ${model.outputs.length}`);
  }
  if (model.outputs[0]!.shape.length !== 2) throw new UnsupportedLayerError('ONNX export expects a [batch, dim] output');
  const config = model.getConfig() as unknown as { layers: LayerConfig[]; outputLayers: [string, number, number][] };
  const outputLayer = config.outputLayers[0]![0];

  // Who consumes each layer's output: decides whether a batch norm or a padding may be folded.
  const consumers = new Map<string, LayerConfig[]>();
  for (const lc of config.layers) for (const src of inboundOf(lc)) consumers.set(src, [...(consumers.get(src) ?? []), lc]);

  const g = new GraphBuilder();
  const ctx: ConversionContext = {
    g,
    model,
    foldBatchNorm: options.foldBatchNorm ?? true,
    soleConsumer: (name) => {
      const list = consumers.get(name) ?? [];
      return list.length === 1 && name !== outputLayer ? list[0] : undefined;
    },
    inboundOf,
    folded: new Map(),
    counts: { foldedBatchNorms: 0, foldedPaddings: 0 },
    input: { name: '', shape: [] },
  };

  const values = new Map<string, Value>();
  for (const lc of config.layers) {
    const convert = LAYER_CONVERTERS[lc.className];
    if (!convert) throw new UnsupportedLayerError(`layer ${lc.name}: ${lc.className} is not supported by the ONNX exporter`);
    const inbound = inboundOf(lc).map((n) => {
      const v = values.get(n);
      if (!v) throw new Error(`layer ${lc.name}: input ${n} was not converted`);
      return v;
    });
    values.set(lc.name, convert(ctx, lc, inbound));
  }

  const last = asNC(g, materialise(g, values.get(outputLayer)!, outputLayer), outputLayer);
  g.nodes.push({ opType: 'Identity', input: [last.name], output: [OUTPUT_NAME], name: OUTPUT_NAME, attribute: [] });
  const outputDim = (model.outputs[0]!.shape as number[])[1]!;

  const { name: inputName, shape: inputShape } = ctx.input;
  const metadata = { ...(options.metadata ?? {}), 'feenet.input_shape': JSON.stringify(inputShape) };
  const message: OnnxTypes.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'feenet-workbench',
    producerVersion: '0.1.0',
    docString: options.docString ?? `FEENet ${model.name} exported from tfjs layers`,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [tensorInfo(inputName, [BATCH_DIM, ...inputShape])],
      output: [tensorInfo(OUTPUT_NAME, [BATCH_DIM, outputDim])],
    },
  };
  const err = onnx.ModelProto.verify(message);
  if (err) throw new Error(`ONNX message does not match the schema: ${err}`);
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(message)).finish();

  const opCounts: Record<string, number> = {};
  for (const n of g.nodes) opCounts[n.opType!] = (opCounts[n.opType!] ?? 0) + 1;
  return { bytes, inputName, inputShape, outputName: OUTPUT_NAME, outputDim, opCounts, ...ctx.counts, parameters: g.parameters };
}

/** Decodes ONNX bytes (e.g. to inspect an exported graph in tests or tools). */
export function decodeOnnxModel(bytes: Uint8Array): OnnxTypes.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
