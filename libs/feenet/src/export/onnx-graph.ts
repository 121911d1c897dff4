/**
 * A tfjs LayersModel (FEENet: EfficientNet-B0 or the faceapi head) as a standard ONNX graph.
 *
 * The layers are walked in topological order (the model's own config: layers and their inbound nodes) and each
 * becomes a few ONNX nodes. The graph takes the same input as the tfjs model ([N, H, W, 3] RGB in [0, 255], or
 * [N, 512] features), transposes images to NCHW once, and gives [N, 16] L2-normalised embeddings; the batch
 * dimension is symbolic. Batch normalisation after a convolution is folded into the convolution's weights and
 * bias, and zero padding before a convolution into its `pads`. Messages are encoded with the official onnx.proto
 * (onnx v1.10.2 schema, compiled for protobufjs by the `onnx-proto` package); the graph uses opset 17, IR 8.
 */
import { createRequire } from 'node:module';
import type * as tf from '@tensorflow/tfjs';
import type { onnx as OnnxTypes } from 'onnx-proto';

const require = createRequire(import.meta.url);
/** onnx-proto is CommonJS (`module.exports = root`); requiring it works the same under tsx, vitest and node. */
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxTypes };

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
/** The symbolic batch dimension of the graph's input and output. */
export const BATCH_DIM = 'batch';
export const OUTPUT_NAME = 'embedding';

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

type AttrValue = number | number[] | string | { float: number };

/**
 * One value of the graph as the walk sees it. `layout` is the ONNX tensor's layout; `tfRank` the rank tfjs sees:
 * global average pooling gives ONNX [N, C, 1, 1] for tfjs [N, C], which the SE block's reshape to [1, 1, C] then
 * uses unchanged.
 */
interface Value {
  name: string;
  layout: 'nchw' | 'nc';
  tfRank: number;
  /** Zero padding not yet emitted: [top, bottom, left, right]; folded into a following convolution if any. */
  pad?: [number, number, number, number];
}

type LayerConfig = { name: string; className: string; config: Record<string, unknown>; inboundNodes: unknown[] };

class UnsupportedLayerError extends Error {
  override name = 'UnsupportedLayerError';
}

class GraphBuilder {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  parameters = 0;
  private readonly used = new Set<string>();

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  constFloat(base: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const name = this.unique(base);
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`constant ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
    });
    this.parameters += values.length;
    return name;
  }

  constInt64(base: string, data: readonly number[]): string {
    const name = this.unique(base);
    const values = BigInt64Array.from(data.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [data.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(values.buffer),
    });
    return name;
  }

  node(opType: string, inputs: string[], outputBase: string, attrs: Record<string, AttrValue> = {}): string {
    const output = this.unique(outputBase);
    const attribute: OnnxTypes.IAttributeProto[] = Object.entries(attrs).map(([name, v]) => {
      const A = onnx.AttributeProto.AttributeType;
      if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
      if (typeof v === 'number') return { name, type: A.INT, i: v };
      if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
      return { name, type: A.FLOAT, f: v.float };
    });
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute });
    return output;
  }
}

function tensorInfo(name: string, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** A layer's weights by their short name ("kernel", "gamma", ...), as float32 values and shape. */
function weightsOf(layer: tf.layers.Layer): Map<string, { data: Float32Array; shape: number[] }> {
  const out = new Map<string, { data: Float32Array; shape: number[] }>();
  const values = layer.getWeights();
  layer.weights.forEach((w, i) => {
    const short = w.originalName.split('/').pop()!;
    const t = values[i]!;
    out.set(short, { data: t.dataSync() as Float32Array, shape: t.shape.slice() });
  });
  return out;
}

function requireWeight(weights: Map<string, { data: Float32Array; shape: number[] }>, name: string, layer: string) {
  const w = weights.get(name);
  if (!w) throw new Error(`layer ${layer}: weight "${name}" not found (has ${[...weights.keys()].join(', ')})`);
  return w;
}

/** TF's SAME padding for one spatial axis: [before, after]. */
function samePadding(inputSize: number, kernel: number, stride: number, dilation: number): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(inputSize / stride);
  const total = Math.max((out - 1) * stride + effective - inputSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

function pair(v: unknown, fallback: number): [number, number] {
  if (v === undefined || v === null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0]!, a[1] ?? a[0]!];
}

/**
 * Converts a tfjs LayersModel to ONNX bytes. Throws `UnsupportedLayerError` naming the layer if the model has a
 * layer or option this exporter does not handle, rather than writing a graph that computes something else.
 */
export function modelToOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): OnnxExportReport {
  const { foldBatchNorm = true } = options;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UnsupportedLayerError(`ONNX export handles one input and one output; the model has ${model.inputs.length} and ${model.outputs.length}`);
  }
  const config = model.getConfig() as unknown as { layers: LayerConfig[]; outputLayers: [string, number, number][] };
  const g = new GraphBuilder();

  // Who consumes each layer's output: decides whether a batch norm or a padding may be folded.
  const consumers = new Map<string, LayerConfig[]>();
  const inboundOf = (lc: LayerConfig): string[] => {
    if (lc.inboundNodes.length > 1) throw new UnsupportedLayerError(`layer ${lc.name} is shared (called ${lc.inboundNodes.length} times)`);
    const node = (lc.inboundNodes[0] ?? []) as [string, number, number, unknown][];
    return node.map(([name, nodeIndex, tensorIndex]) => {
      if (nodeIndex !== 0 || tensorIndex !== 0) throw new UnsupportedLayerError(`layer ${lc.name}: multi-output or shared inbound layers`);
      return name;
    });
  };
  for (const lc of config.layers) for (const src of inboundOf(lc)) consumers.set(src, [...(consumers.get(src) ?? []), lc]);
  const outputLayer = config.outputLayers[0]![0];
  const soleConsumer = (name: string): LayerConfig | undefined => {
    const list = consumers.get(name) ?? [];
    return list.length === 1 && name !== outputLayer ? list[0] : undefined;
  };

  const values = new Map<string, Value>();
  const folded = new Map<string, string>(); // batch-norm layer → the conv layer it was folded into
  let foldedBatchNorms = 0;
  let foldedPaddings = 0;
  let inputName = '';
  let inputShape: number[] = [];

  const channelConst = (base: string, data: Float32Array | number[], like: Value): string =>
    g.constFloat(base, data, like.layout === 'nchw' ? [1, data.length, 1, 1] : [data.length]);

  /** Emits pending zero padding as a Pad node (when no convolution could absorb it). */
  const materialise = (v: Value, base: string): Value => {
    if (!v.pad) return v;
    if (v.layout !== 'nchw') throw new UnsupportedLayerError(`zero padding on a non-image tensor (${base})`);
    const [t, b, l, r] = v.pad;
    const pads = g.constInt64(`${base}_pads`, [0, 0, t, l, 0, 0, b, r]);
    return { ...v, name: g.node('Pad', [v.name, pads], `${base}_pad`, { mode: 'constant' }), pad: undefined };
  };

  /** tfjs rank-2 value as an ONNX [N, C] tensor (global pooling leaves [N, C, 1, 1]). */
  const asNC = (v: Value, base: string): Value => {
    if (v.layout === 'nc') return v;
    if (v.tfRank !== 2) throw new UnsupportedLayerError(`${base}: expected a rank-2 input`);
    return { name: g.node('Flatten', [v.name], `${base}_flatten`, { axis: 1 }), layout: 'nc', tfRank: 2 };
  };

  const activation = (kind: string, x: string, base: string): string => {
    switch (kind) {
      case 'linear':
        return x;
      case 'relu':
        return g.node('Relu', [x], `${base}_relu`);
      case 'sigmoid':
        return g.node('Sigmoid', [x], `${base}_sigmoid`);
      case 'tanh':
        return g.node('Tanh', [x], `${base}_tanh`);
      case 'swish': {
        const s = g.node('Sigmoid', [x], `${base}_sigmoid`);
        return g.node('Mul', [x, s], `${base}_swish`);
      }
      case 'relu6': {
        const lo = g.constFloat(`${base}_min`, [0], []);
        const hi = g.constFloat(`${base}_max`, [6], []);
        return g.node('Clip', [x, lo, hi], `${base}_relu6`);
      }
      case 'elu':
        return g.node('Elu', [x], `${base}_elu`, { alpha: { float: 1 } });
      default:
        throw new UnsupportedLayerError(`${base}: activation "${kind}" is not supported`);
    }
  };

  /** Per-channel batch-norm scale and shift: y = x·scale + shift. */
  const batchNormAffine = (layer: tf.layers.Layer, lc: LayerConfig) => {
    const w = weightsOf(layer);
    const mean = requireWeight(w, 'moving_mean', lc.name).data;
    const variance = requireWeight(w, 'moving_variance', lc.name).data;
    const gamma = lc.config.scale === false ? undefined : requireWeight(w, 'gamma', lc.name).data;
    const beta = lc.config.center === false ? undefined : requireWeight(w, 'beta', lc.name).data;
    const eps = (lc.config.epsilon as number | undefined) ?? 1e-3;
    const n = mean.length;
    const scale = new Float64Array(n);
    const shift = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + eps);
      shift[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
    }
    return { scale, shift };
  };

  for (const lc of config.layers) {
    const layer = model.getLayer(lc.name);
    const inbound = inboundOf(lc).map((n) => {
      const v = values.get(n);
      if (!v) throw new Error(`layer ${lc.name}: input ${n} was not converted`);
      return v;
    });
    const x = inbound[0]!;
    const cfg = lc.config;
    const name = lc.name;
    let out: Value;

    switch (lc.className) {
      case 'InputLayer': {
        const shape = (cfg.batchInputShape as (number | null)[]).slice(1) as number[];
        if (shape.some((d) => typeof d !== 'number')) throw new UnsupportedLayerError(`input ${name}: every non-batch dimension must be fixed`);
        inputName = g.unique(name);
        inputShape = shape;
        if (shape.length === 3) {
          const nchw = g.node('Transpose', [name], `${name}_nchw`, { perm: [0, 3, 1, 2] });
          out = { name: nchw, layout: 'nchw', tfRank: 4 };
        } else if (shape.length === 1) {
          out = { name, layout: 'nc', tfRank: 2 };
        } else {
          throw new UnsupportedLayerError(`input ${name}: rank ${shape.length + 1} inputs are not supported`);
        }
        break;
      }
      case 'Rescaling': {
        const v = materialise(x, name);
        let y = g.node('Mul', [v.name, g.constFloat(`${name}_scale`, [cfg.scale as number], [])], `${name}_mul`);
        const offset = (cfg.offset as number | undefined) ?? 0;
        if (offset !== 0) y = g.node('Add', [y, g.constFloat(`${name}_offset`, [offset], [])], `${name}_add`);
        out = { ...v, name: y };
        break;
      }
      case 'Normalization': {
        // ChannelNormalization: (x − mean) / √max(variance, 1e-7), per channel (the last tfjs axis).
        const v = materialise(x, name);
        const w = weightsOf(layer);
        const mean = requireWeight(w, 'mean', name).data;
        const std = requireWeight(w, 'variance', name).data.map((s) => Math.sqrt(Math.max(s, 1e-7)));
        const centred = g.node('Sub', [v.name, channelConst(`${name}_mean`, mean, v)], `${name}_sub`);
        out = { ...v, name: g.node('Div', [centred, channelConst(`${name}_std`, std, v)], `${name}_div`) };
        break;
      }
      case 'ZeroPadding2D': {
        if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') throw new UnsupportedLayerError(`${name}: channelsFirst`);
        const p = cfg.padding as number | [number, number] | [[number, number], [number, number]];
        const [[t, b], [l, r]] =
          typeof p === 'number'
            ? [[p, p], [p, p]]
            : Array.isArray(p[0])
              ? (p as [[number, number], [number, number]])
              : [[p[0] as number, p[0] as number], [p[1] as number, p[1] as number]];
        const prev = x.pad ?? [0, 0, 0, 0];
        out = { ...x, pad: [prev[0] + t, prev[1] + b, prev[2] + l, prev[3] + r] };
        // Folded if a convolution consumes it; otherwise the next layer materialises it.
        const next = soleConsumer(name);
        if (!next || !['Conv2D', 'DepthwiseConv2D'].includes(next.className)) out = materialise(out, name);
        else foldedPaddings++;
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') throw new UnsupportedLayerError(`${name}: channelsFirst`);
        if (x.layout !== 'nchw') throw new UnsupportedLayerError(`${name}: convolution of a non-image tensor`);
        const depthwise = lc.className === 'DepthwiseConv2D';
        const w = weightsOf(layer);
        const kernel = requireWeight(w, depthwise ? 'depthwise_kernel' : 'kernel', name);
        const [kh, kw, cin, m] = kernel.shape as [number, number, number, number];
        const cout = depthwise ? cin * m : m;
        // tfjs [kh, kw, in, out] → ONNX [out, in, kh, kw]; depthwise [kh, kw, in, mult] → [in·mult, 1, kh, kw].
        const weight = new Float64Array(cout * (depthwise ? 1 : cin) * kh * kw);
        for (let y = 0; y < kh; y++)
          for (let xx = 0; xx < kw; xx++)
            for (let i = 0; i < cin; i++)
              for (let o = 0; o < m; o++) {
                const src = kernel.data[((y * kw + xx) * cin + i) * m + o]!;
                const dst = depthwise ? ((i * m + o) * kh + y) * kw + xx : ((o * cin + i) * kh + y) * kw + xx;
                weight[dst] = src;
              }
        const bias = new Float64Array(cout);
        if (cfg.useBias !== false) bias.set(requireWeight(w, 'bias', name).data);

        let act = (cfg.activation as string | undefined) ?? 'linear';
        let outName = name;
        const next = soleConsumer(name);
        if (foldBatchNorm && act === 'linear' && next?.className === 'BatchNormalization' && [-1, 3].includes(next.config.axis as number)) {
          const { scale, shift } = batchNormAffine(model.getLayer(next.name), next);
          const per = weight.length / cout;
          for (let o = 0; o < cout; o++) {
            for (let k = 0; k < per; k++) weight[o * per + k]! *= scale[o]!;
            bias[o] = bias[o]! * scale[o]! + shift[o]!;
          }
          folded.set(next.name, name);
          foldedBatchNorms++;
          outName = next.name;
          act = 'linear';
        }

        const strides = pair(cfg.strides, 1);
        const dilations = pair(cfg.dilationRate, 1);
        // tfjs shapes are static, so SAME padding becomes explicit pads (plus any folded zero padding).
        const inShape = model.getLayer(inboundOf(lc)[0]!).outputShape as (number | null)[];
        let pads = [0, 0, 0, 0]; // top, left, bottom, right
        if (cfg.padding === 'same') {
          const [t, b] = samePadding(inShape[1]!, kh, strides[0], dilations[0]);
          const [l, r] = samePadding(inShape[2]!, kw, strides[1], dilations[1]);
          pads = [t, l, b, r];
        } else if (cfg.padding !== 'valid') {
          throw new UnsupportedLayerError(`${name}: padding "${String(cfg.padding)}"`);
        }
        if (x.pad) pads = [pads[0]! + x.pad[0], pads[1]! + x.pad[2], pads[2]! + x.pad[1], pads[3]! + x.pad[3]];

        const wName = g.constFloat(`${name}_W`, Float32Array.from(weight), [cout, depthwise ? 1 : cin, kh, kw]);
        const bName = g.constFloat(`${name}_B`, Float32Array.from(bias), [cout]);
        const conv = g.node('Conv', [x.name, wName, bName], outName, {
          kernel_shape: [kh, kw],
          strides,
          dilations,
          pads,
          group: depthwise ? cin : 1,
        });
        out = { name: activation(act, conv, name), layout: 'nchw', tfRank: 4 };
        break;
      }
      case 'BatchNormalization': {
        if (folded.has(name)) {
          out = x; // already inside the convolution
          break;
        }
        const axis = cfg.axis as number;
        const lastAxis = x.tfRank - 1;
        if (axis !== -1 && axis !== lastAxis) throw new UnsupportedLayerError(`${name}: batch norm over axis ${axis}`);
        const v = materialise(x, name);
        const { scale, shift } = batchNormAffine(layer, lc);
        const y = g.node('Mul', [v.name, channelConst(`${name}_scale`, Float32Array.from(scale), v)], `${name}_mul`);
        out = { ...v, name: g.node('Add', [y, channelConst(`${name}_shift`, Float32Array.from(shift), v)], name) };
        break;
      }
      case 'Activation': {
        const v = materialise(x, name);
        out = { ...v, name: activation(cfg.activation as string, v.name, name) };
        break;
      }
      case 'ReLU': {
        if (cfg.maxValue != null || (cfg.negativeSlope ?? 0) !== 0 || (cfg.threshold ?? 0) !== 0) throw new UnsupportedLayerError(`${name}: ReLU options`);
        const v = materialise(x, name);
        out = { ...v, name: activation('relu', v.name, name) };
        break;
      }
      case 'GlobalAveragePooling2D': {
        if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') throw new UnsupportedLayerError(`${name}: channelsFirst`);
        const v = materialise(x, name);
        // ONNX keeps [N, C, 1, 1]; tfjs sees [N, C].
        out = { name: g.node('GlobalAveragePool', [v.name], name), layout: 'nchw', tfRank: 2 };
        break;
      }
      case 'Reshape': {
        const target = cfg.targetShape as number[];
        if (target.length === 3 && target[0] === 1 && target[1] === 1 && x.tfRank === 2) {
          // [N, C] → [N, 1, 1, C]: in NCHW this is [N, C, 1, 1].
          out =
            x.layout === 'nchw'
              ? { ...x, tfRank: 4 }
              : { name: g.node('Unsqueeze', [x.name, g.constInt64(`${name}_axes`, [2, 3])], name), layout: 'nchw', tfRank: 4 };
        } else if (target.length === 1 && x.tfRank === 2) {
          out = x;
        } else {
          throw new UnsupportedLayerError(`${name}: reshape to [${target.join(', ')}] from rank ${x.tfRank}`);
        }
        break;
      }
      case 'Flatten': {
        const v = materialise(x, name);
        if (v.tfRank === 2) out = asNC(v, name);
        else {
          // tfjs flattens NHWC order: back to NHWC first (a no-op reorder when H = W = 1, but kept general).
          const nhwc = g.node('Transpose', [v.name], `${name}_nhwc`, { perm: [0, 2, 3, 1] });
          out = { name: g.node('Flatten', [nhwc], name, { axis: 1 }), layout: 'nc', tfRank: 2 };
        }
        break;
      }
      case 'Dense': {
        const v = asNC(materialise(x, name), name);
        const w = weightsOf(layer);
        const kernel = requireWeight(w, 'kernel', name);
        const [din, units] = kernel.shape as [number, number];
        const inputs = [v.name, g.constFloat(`${name}_W`, kernel.data, [din, units])];
        if (cfg.useBias !== false) inputs.push(g.constFloat(`${name}_B`, requireWeight(w, 'bias', name).data, [units]));
        const y = g.node('Gemm', inputs, `${name}_gemm`);
        out = { name: activation((cfg.activation as string | undefined) ?? 'linear', y, name), layout: 'nc', tfRank: 2 };
        break;
      }
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'SpatialDropout2D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'AlphaDropout':
        out = x; // identity at inference
        break;
      case 'Add':
      case 'Multiply': {
        const op = lc.className === 'Add' ? 'Add' : 'Mul';
        let vs = inbound.map((v, i) => materialise(v, `${name}_in${i}`));
        if (vs.some((v) => v.tfRank !== vs[0]!.tfRank)) throw new UnsupportedLayerError(`${name}: inputs of different ranks`);
        if (vs.some((v) => v.layout !== vs[0]!.layout)) vs = vs.map((v, i) => asNC(v, `${name}_in${i}`));
        let acc = vs[0]!.name;
        for (let i = 1; i < vs.length; i++) acc = g.node(op, [acc, vs[i]!.name], i === vs.length - 1 ? name : `${name}_${i}`);
        out = { ...vs[0]!, name: acc };
        break;
      }
      case 'L2Normalize': {
        // Like the tfjs layer and tf.math.l2_normalize: x / √max(Σx², 1e-12) over the last axis. (The floor only
        // matters for an all-zero vector; it equals the older √(Σx² + 1e-12) in float32 for any other input.)
        const v = asNC(materialise(x, name), name);
        const sumSq = g.node('ReduceSumSquare', [v.name], `${name}_sumsq`, { axes: [1], keepdims: 1 });
        const floored = g.node('Max', [sumSq, g.constFloat(`${name}_eps`, [1e-12], [])], `${name}_floor`);
        const norm = g.node('Sqrt', [floored], `${name}_norm`);
        out = { ...v, name: g.node('Div', [v.name, norm], name) };
        break;
      }
      default:
        throw new UnsupportedLayerError(`layer ${name}: ${lc.className} is not supported by the ONNX exporter`);
    }
    values.set(name, out);
  }

  const last = asNC(materialise(values.get(outputLayer)!, outputLayer), outputLayer);
  g.nodes.push({ opType: 'Identity', input: [last.name], output: [OUTPUT_NAME], name: OUTPUT_NAME, attribute: [] });
  const outputDim = (model.outputs[0]!.shape as number[])[1]!;
  if (model.outputs[0]!.shape.length !== 2) throw new UnsupportedLayerError('ONNX export expects a [batch, dim] output');

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
  return {
    bytes,
    inputName,
    inputShape,
    outputName: OUTPUT_NAME,
    outputDim,
    opCounts,
    foldedBatchNorms,
    foldedPaddings,
    parameters: g.parameters,
  };
}

/** Decodes ONNX bytes (e.g. to inspect an exported graph in tests or tools). */
export function decodeOnnxModel(bytes: Uint8Array): OnnxTypes.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export { UnsupportedLayerError };
