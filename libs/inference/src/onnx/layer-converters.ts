/**
 * One converter per tfjs layer class: each turns a layer into a few ONNX nodes. A new layer type is one entry in
 * `LAYER_CONVERTERS`; a class missing from it is refused by name (`UnsupportedLayerError`).
 *
 * Images travel through the graph as NCHW (transposed once at the input). Zero padding is carried along as a
 * pending pad and folded into the next convolution's `pads` when it is the padding's only consumer; a batch norm
 * right after a linear convolution is folded into that convolution's weights and bias.
 */
import type * as tf from '@tensorflow/tfjs';
import { UnsupportedLayerError, type GraphBuilder } from './graph-builder';

/**
 * One value of the graph as the walk sees it. `layout` is the ONNX tensor's layout; `tfRank` the rank tfjs sees:
 * global average pooling gives ONNX [N, C, 1, 1] for tfjs [N, C], which the SE block's reshape to [1, 1, C] then
 * uses unchanged.
 */
export interface Value {
  name: string;
  layout: 'nchw' | 'nc';
  tfRank: number;
  /** Zero padding not yet emitted: [top, bottom, left, right]; folded into a following convolution if any. */
  pad?: [number, number, number, number];
}

/** A layer as the model's config lists it. */
export type LayerConfig = { name: string; className: string; config: Record<string, unknown>; inboundNodes: unknown[] };

/** What a converter may use besides its own layer: the graph so far, the model and the walk's bookkeeping. */
export interface ConversionContext {
  readonly g: GraphBuilder;
  readonly model: tf.LayersModel;
  readonly foldBatchNorm: boolean;
  /** The one layer reading this layer's output, if there is exactly one and it is not the model's output. */
  soleConsumer(name: string): LayerConfig | undefined;
  /** Names of the layers feeding this one. */
  inboundOf(lc: LayerConfig): string[];
  /** Batch-norm layer → the convolution it was folded into. */
  readonly folded: Map<string, string>;
  readonly counts: { foldedBatchNorms: number; foldedPaddings: number };
  /** Set by the input layer. */
  input: { name: string; shape: number[] };
}

export type LayerConverter = (ctx: ConversionContext, lc: LayerConfig, inbound: Value[]) => Value;

type Weights = Map<string, { data: Float32Array; shape: number[] }>;

/** A layer's weights by their short name ("kernel", "gamma", ...), as float32 values and shape. */
function weightsOf(layer: tf.layers.Layer): Weights {
  const out: Weights = new Map();
  const values = layer.getWeights();
  layer.weights.forEach((w, i) => {
    const short = w.originalName.split('/').pop()!;
    const t = values[i]!;
    out.set(short, { data: t.dataSync() as Float32Array, shape: t.shape.slice() });
  });
  return out;
}

function requireWeight(weights: Weights, name: string, layer: string) {
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

function channelConst(g: GraphBuilder, base: string, data: Float32Array | number[], like: Value): string {
  return g.constFloat(base, data, like.layout === 'nchw' ? [1, data.length, 1, 1] : [data.length]);
}

/** Emits pending zero padding as a Pad node (when no convolution could absorb it). */
export function materialise(g: GraphBuilder, v: Value, base: string): Value {
  if (!v.pad) return v;
  if (v.layout !== 'nchw') throw new UnsupportedLayerError(`zero padding on a non-image tensor (${base})`);
  const [t, b, l, r] = v.pad;
  const pads = g.constInt64(`${base}_pads`, [0, 0, t, l, 0, 0, b, r]);
  return { ...v, name: g.node('Pad', [v.name, pads], `${base}_pad`, { mode: 'constant' }), pad: undefined };
}

/** tfjs rank-2 value as an ONNX [N, C] tensor (global pooling leaves [N, C, 1, 1]). */
export function asNC(g: GraphBuilder, v: Value, base: string): Value {
  if (v.layout === 'nc') return v;
  if (v.tfRank !== 2) throw new UnsupportedLayerError(`${base}: expected a rank-2 input`);
  return { name: g.node('Flatten', [v.name], `${base}_flatten`, { axis: 1 }), layout: 'nc', tfRank: 2 };
}

function activation(g: GraphBuilder, kind: string, x: string, base: string): string {
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
}

/** Per-channel batch-norm scale and shift: y = x·scale + shift. */
function batchNormAffine(layer: tf.layers.Layer, lc: LayerConfig) {
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
}

function requireChannelsLast(lc: LayerConfig): void {
  if (lc.config.dataFormat && lc.config.dataFormat !== 'channelsLast') throw new UnsupportedLayerError(`${lc.name}: channelsFirst`);
}

const inputLayer: LayerConverter = (ctx, { name, config }) => {
  const shape = (config.batchInputShape as (number | null)[]).slice(1) as number[];
  if (shape.some((d) => typeof d !== 'number')) throw new UnsupportedLayerError(`input ${name}: every non-batch dimension must be fixed`);
  ctx.input = { name: ctx.g.unique(name), shape };
  if (shape.length === 3) return { name: ctx.g.node('Transpose', [name], `${name}_nchw`, { perm: [0, 3, 1, 2] }), layout: 'nchw', tfRank: 4 };
  if (shape.length === 1) return { name, layout: 'nc', tfRank: 2 };
  throw new UnsupportedLayerError(`input ${name}: rank ${shape.length + 1} inputs are not supported`);
};

const rescaling: LayerConverter = ({ g }, { name, config }, [x]) => {
  const v = materialise(g, x!, name);
  let y = g.node('Mul', [v.name, g.constFloat(`${name}_scale`, [config.scale as number], [])], `${name}_mul`);
  const offset = (config.offset as number | undefined) ?? 0;
  if (offset !== 0) y = g.node('Add', [y, g.constFloat(`${name}_offset`, [offset], [])], `${name}_add`);
  return { ...v, name: y };
};

/** ChannelNormalization: (x − mean) / √max(variance, 1e-7), per channel (the last tfjs axis). */
const normalization: LayerConverter = ({ g, model }, { name }, [x]) => {
  const v = materialise(g, x!, name);
  const w = weightsOf(model.getLayer(name));
  const mean = requireWeight(w, 'mean', name).data;
  const std = requireWeight(w, 'variance', name).data.map((s) => Math.sqrt(Math.max(s, 1e-7)));
  const centred = g.node('Sub', [v.name, channelConst(g, `${name}_mean`, mean, v)], `${name}_sub`);
  return { ...v, name: g.node('Div', [centred, channelConst(g, `${name}_std`, std, v)], `${name}_div`) };
};

const zeroPadding: LayerConverter = (ctx, lc, [x]) => {
  requireChannelsLast(lc);
  const p = lc.config.padding as number | [number, number] | [[number, number], [number, number]];
  const [[t, b], [l, r]] =
    typeof p === 'number'
      ? [[p, p], [p, p]]
      : Array.isArray(p[0])
        ? (p as [[number, number], [number, number]])
        : [[p[0] as number, p[0] as number], [p[1] as number, p[1] as number]];
  const prev = x!.pad ?? [0, 0, 0, 0];
  const out: Value = { ...x!, pad: [prev[0] + t, prev[1] + b, prev[2] + l, prev[3] + r] };
  // Folded if a convolution consumes it; otherwise emitted here.
  const next = ctx.soleConsumer(lc.name);
  if (!next || !['Conv2D', 'DepthwiseConv2D'].includes(next.className)) return materialise(ctx.g, out, lc.name);
  ctx.counts.foldedPaddings++;
  return out;
};

const convolution: LayerConverter = (ctx, lc, [x]) => {
  const { g, model } = ctx;
  const { name, config: cfg } = lc;
  requireChannelsLast(lc);
  if (x!.layout !== 'nchw') throw new UnsupportedLayerError(`${name}: convolution of a non-image tensor`);
  const depthwise = lc.className === 'DepthwiseConv2D';
  const w = weightsOf(model.getLayer(name));
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
  const next = ctx.soleConsumer(name);
  if (ctx.foldBatchNorm && act === 'linear' && next?.className === 'BatchNormalization' && [-1, 3].includes(next.config.axis as number)) {
    const { scale, shift } = batchNormAffine(model.getLayer(next.name), next);
    const per = weight.length / cout;
    for (let o = 0; o < cout; o++) {
      for (let k = 0; k < per; k++) weight[o * per + k]! *= scale[o]!;
      bias[o] = bias[o]! * scale[o]! + shift[o]!;
    }
    ctx.folded.set(next.name, name);
    ctx.counts.foldedBatchNorms++;
    outName = next.name;
    act = 'linear';
  }

  const strides = pair(cfg.strides, 1);
  const dilations = pair(cfg.dilationRate, 1);
  // tfjs shapes are static, so SAME padding becomes explicit pads (plus any folded zero padding).
  const inShape = model.getLayer(ctx.inboundOf(lc)[0]!).outputShape as (number | null)[];
  let pads = [0, 0, 0, 0]; // top, left, bottom, right
  if (cfg.padding === 'same') {
    const [t, b] = samePadding(inShape[1]!, kh, strides[0], dilations[0]);
    const [l, r] = samePadding(inShape[2]!, kw, strides[1], dilations[1]);
    pads = [t, l, b, r];
  } else if (cfg.padding !== 'valid') {
    throw new UnsupportedLayerError(`${name}: padding "${String(cfg.padding)}"`);
  }
  if (x!.pad) pads = [pads[0]! + x!.pad[0], pads[1]! + x!.pad[2], pads[2]! + x!.pad[1], pads[3]! + x!.pad[3]];

  const wName = g.constFloat(`${name}_W`, Float32Array.from(weight), [cout, depthwise ? 1 : cin, kh, kw]);
  const bName = g.constFloat(`${name}_B`, Float32Array.from(bias), [cout]);
  const conv = g.node('Conv', [x!.name, wName, bName], outName, { kernel_shape: [kh, kw], strides, dilations, pads, group: depthwise ? cin : 1 });
  return { name: activation(g, act, conv, name), layout: 'nchw', tfRank: 4 };
};

const batchNormalization: LayerConverter = ({ g, model, folded }, lc, [x]) => {
  if (folded.has(lc.name)) return x!; // already inside the convolution
  const axis = lc.config.axis as number;
  if (axis !== -1 && axis !== x!.tfRank - 1) throw new UnsupportedLayerError(`${lc.name}: batch norm over axis ${axis}`);
  const v = materialise(g, x!, lc.name);
  const { scale, shift } = batchNormAffine(model.getLayer(lc.name), lc);
  const y = g.node('Mul', [v.name, channelConst(g, `${lc.name}_scale`, Float32Array.from(scale), v)], `${lc.name}_mul`);
  return { ...v, name: g.node('Add', [y, channelConst(g, `${lc.name}_shift`, Float32Array.from(shift), v)], lc.name) };
};

const activationLayer: LayerConverter = ({ g }, { name, config }, [x]) => {
  const v = materialise(g, x!, name);
  return { ...v, name: activation(g, config.activation as string, v.name, name) };
};

const relu: LayerConverter = ({ g }, { name, config }, [x]) => {
  if (config.maxValue != null || ((config.negativeSlope as number | undefined) ?? 0) !== 0 || ((config.threshold as number | undefined) ?? 0) !== 0) {
    throw new UnsupportedLayerError(`${name}: ReLU options`);
  }
  const v = materialise(g, x!, name);
  return { ...v, name: activation(g, 'relu', v.name, name) };
};

const globalAveragePooling: LayerConverter = ({ g }, lc, [x]) => {
  requireChannelsLast(lc);
  const v = materialise(g, x!, lc.name);
  // ONNX keeps [N, C, 1, 1]; tfjs sees [N, C].
  return { name: g.node('GlobalAveragePool', [v.name], lc.name), layout: 'nchw', tfRank: 2 };
};

const reshape: LayerConverter = ({ g }, { name, config }, [x]) => {
  const target = config.targetShape as number[];
  if (target.length === 3 && target[0] === 1 && target[1] === 1 && x!.tfRank === 2) {
    // [N, C] → [N, 1, 1, C]: in NCHW this is [N, C, 1, 1].
    return x!.layout === 'nchw'
      ? { ...x!, tfRank: 4 }
      : { name: g.node('Unsqueeze', [x!.name, g.constInt64(`${name}_axes`, [2, 3])], name), layout: 'nchw', tfRank: 4 };
  }
  if (target.length === 1 && x!.tfRank === 2) return x!;
  throw new UnsupportedLayerError(`${name}: reshape to [${target.join(', ')}] from rank ${x!.tfRank}`);
};

const flatten: LayerConverter = ({ g }, { name }, [x]) => {
  const v = materialise(g, x!, name);
  if (v.tfRank === 2) return asNC(g, v, name);
  // tfjs flattens NHWC order: back to NHWC first (a no-op reorder when H = W = 1, but kept general).
  const nhwc = g.node('Transpose', [v.name], `${name}_nhwc`, { perm: [0, 2, 3, 1] });
  return { name: g.node('Flatten', [nhwc], name, { axis: 1 }), layout: 'nc', tfRank: 2 };
};

const dense: LayerConverter = ({ g, model }, { name, config }, [x]) => {
  const v = asNC(g, materialise(g, x!, name), name);
  const w = weightsOf(model.getLayer(name));
  const kernel = requireWeight(w, 'kernel', name);
  const [din, units] = kernel.shape as [number, number];
  const inputs = [v.name, g.constFloat(`${name}_W`, kernel.data, [din, units])];
  if (config.useBias !== false) inputs.push(g.constFloat(`${name}_B`, requireWeight(w, 'bias', name).data, [units]));
  const y = g.node('Gemm', inputs, `${name}_gemm`);
  return { name: activation(g, (config.activation as string | undefined) ?? 'linear', y, name), layout: 'nc', tfRank: 2 };
};

/** Dropout and noise layers are the identity at inference. */
const identity: LayerConverter = (_ctx, _lc, [x]) => x!;

function elementwise(op: 'Add' | 'Mul'): LayerConverter {
  return ({ g }, { name }, inbound) => {
    let vs = inbound.map((v, i) => materialise(g, v, `${name}_in${i}`));
    if (vs.some((v) => v.tfRank !== vs[0]!.tfRank)) throw new UnsupportedLayerError(`${name}: inputs of different ranks`);
    if (vs.some((v) => v.layout !== vs[0]!.layout)) vs = vs.map((v, i) => asNC(g, v, `${name}_in${i}`));
    let acc = vs[0]!.name;
    for (let i = 1; i < vs.length; i++) acc = g.node(op, [acc, vs[i]!.name], i === vs.length - 1 ? name : `${name}_${i}`);
    return { ...vs[0]!, name: acc };
  };
}

/**
 * Like the tfjs layer and tf.math.l2_normalize: x / √max(Σx², 1e-12) over the last axis. (The floor only matters
 * for an all-zero vector; it equals the older √(Σx² + 1e-12) in float32 for any other input.)
 */
const l2Normalize: LayerConverter = ({ g }, { name }, [x]) => {
  const v = asNC(g, materialise(g, x!, name), name);
  const sumSq = g.node('ReduceSumSquare', [v.name], `${name}_sumsq`, { axes: [1], keepdims: 1 });
  const floored = g.node('Max', [sumSq, g.constFloat(`${name}_eps`, [1e-12], [])], `${name}_floor`);
  const norm = g.node('Sqrt', [floored], `${name}_norm`);
  return { ...v, name: g.node('Div', [v.name, norm], name) };
};

/** tfjs layer class → its converter. */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  InputLayer: inputLayer,
  Rescaling: rescaling,
  Normalization: normalization,
  ZeroPadding2D: zeroPadding,
  Conv2D: convolution,
  DepthwiseConv2D: convolution,
  BatchNormalization: batchNormalization,
  Activation: activationLayer,
  ReLU: relu,
  GlobalAveragePooling2D: globalAveragePooling,
  Reshape: reshape,
  Flatten: flatten,
  Dense: dense,
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  Add: elementwise('Add'),
  Multiply: elementwise('Mul'),
  L2Normalize: l2Normalize,
};
