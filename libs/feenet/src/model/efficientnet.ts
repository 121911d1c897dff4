/**
 * EfficientNet-B0 (Tan & Le, 2019) as a tfjs-layers graph, laid out like Keras' `applications/efficientnet.py`:
 * a table of block arguments and one block builder. Layer names match Keras' `EfficientNetB0(include_top=False)`
 * so that ImageNet weights converted from Keras load by name (see `loadWeightsByName`).
 */
import * as tf from '@tensorflow/tfjs';
import { ChannelNormalization } from './custom-layers';

/** One stage of MBConv blocks, as in Keras' DEFAULT_BLOCKS_ARGS. */
export interface BlockArgs {
  kernelSize: 3 | 5;
  repeats: number;
  filtersIn: number;
  filtersOut: number;
  expandRatio: number;
  strides: 1 | 2;
  seRatio: number;
}

export const EFFICIENTNET_B0_BLOCKS: readonly BlockArgs[] = [
  { kernelSize: 3, repeats: 1, filtersIn: 32, filtersOut: 16, expandRatio: 1, strides: 1, seRatio: 0.25 },
  { kernelSize: 3, repeats: 2, filtersIn: 16, filtersOut: 24, expandRatio: 6, strides: 2, seRatio: 0.25 },
  { kernelSize: 5, repeats: 2, filtersIn: 24, filtersOut: 40, expandRatio: 6, strides: 2, seRatio: 0.25 },
  { kernelSize: 3, repeats: 3, filtersIn: 40, filtersOut: 80, expandRatio: 6, strides: 2, seRatio: 0.25 },
  { kernelSize: 5, repeats: 3, filtersIn: 80, filtersOut: 112, expandRatio: 6, strides: 1, seRatio: 0.25 },
  { kernelSize: 5, repeats: 4, filtersIn: 112, filtersOut: 192, expandRatio: 6, strides: 2, seRatio: 0.25 },
  { kernelSize: 3, repeats: 1, filtersIn: 192, filtersOut: 320, expandRatio: 6, strides: 1, seRatio: 0.25 },
];

export interface EfficientNetOptions {
  /** Square input side in pixels; the input holds RGB values in [0, 255]. */
  inputSize: number;
  /** Keras' drop_connect_rate: stochastic depth, growing linearly with block index. */
  dropConnectRate?: number;
  /** Channels of the 1×1 head convolution (1280 for B0). */
  topFilters?: number;
  /** Keras uses 0.99; short runs need less, or inference-mode statistics lag far behind training. */
  batchNormMomentum?: number;
  /** Seeds the initialisers: the same seed builds the same weights. */
  seed?: number;
  /**
   * Start each residual block as the identity: its last batch norm's scale begins at 0 (Goyal et al., 2017),
   * so a deep net trained from random initialisation starts shallow. Keras starts it at 1.
   */
  zeroInitResidual?: boolean;
}

/** Per-build settings shared by every block: initialiser seeds (for reproducible runs) and batch-norm momentum. */
class LayerFactory {
  private seed: number | undefined;

  constructor(seed: number | undefined, private readonly momentum: number) {
    this.seed = seed;
  }

  private nextSeed(): number | undefined {
    return this.seed === undefined ? undefined : this.seed++;
  }

  /** Keras: VarianceScaling(scale=2, mode='fan_out', distribution='truncated_normal') for convolutions. */
  convInit() {
    return tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'truncatedNormal', seed: this.nextSeed() });
  }

  batchNorm(name: string, gamma: 'ones' | 'zeros' = 'ones') {
    return tf.layers.batchNormalization({ axis: 3, momentum: this.momentum, epsilon: 1e-3, gammaInitializer: gamma, name });
  }
}

/** Keras' correct_pad: the asymmetric zero padding that makes a stride-2 'valid' convolution centre like TF. */
function correctPad(inputSize: number, kernelSize: number): [[number, number], [number, number]] {
  const adjust = 1 - (inputSize % 2);
  const correct = Math.floor(kernelSize / 2);
  return [
    [correct - adjust, correct],
    [correct - adjust, correct],
  ];
}

function spatialSize(x: tf.SymbolicTensor): number {
  return x.shape[1] as number;
}

/** One MBConv block: expand (1×1) → depthwise → squeeze-and-excitation → project (1×1) → residual. */
function mbConvBlock(
  f: LayerFactory,
  inputs: tf.SymbolicTensor,
  args: { kernelSize: number; filtersIn: number; filtersOut: number; expandRatio: number; strides: 1 | 2; seRatio: number },
  dropRate: number,
  name: string,
  zeroInitResidual: boolean,
): tf.SymbolicTensor {
  const residual = args.strides === 1 && args.filtersIn === args.filtersOut;
  const filters = args.filtersIn * args.expandRatio;
  let x = inputs;
  if (args.expandRatio !== 1) {
    x = tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: f.convInit(), name: `${name}expand_conv` }).apply(x) as tf.SymbolicTensor;
    x = f.batchNorm(`${name}expand_bn`).apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ activation: 'swish', name: `${name}expand_activation` }).apply(x) as tf.SymbolicTensor;
  }
  let padding: 'same' | 'valid' = 'same';
  if (args.strides === 2) {
    x = tf.layers.zeroPadding2d({ padding: correctPad(spatialSize(x), args.kernelSize), name: `${name}dwconv_pad` }).apply(x) as tf.SymbolicTensor;
    padding = 'valid';
  }
  x = tf.layers.depthwiseConv2d({ kernelSize: args.kernelSize, strides: args.strides, padding, useBias: false, depthwiseInitializer: f.convInit(), name: `${name}dwconv` }).apply(x) as tf.SymbolicTensor;
  x = f.batchNorm(`${name}bn`).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'swish', name: `${name}activation` }).apply(x) as tf.SymbolicTensor;

  if (args.seRatio > 0 && args.seRatio <= 1) {
    const filtersSe = Math.max(1, Math.floor(args.filtersIn * args.seRatio));
    let se = tf.layers.globalAveragePooling2d({ name: `${name}se_squeeze` }).apply(x) as tf.SymbolicTensor;
    se = tf.layers.reshape({ targetShape: [1, 1, filters], name: `${name}se_reshape` }).apply(se) as tf.SymbolicTensor;
    se = tf.layers.conv2d({ filters: filtersSe, kernelSize: 1, padding: 'same', activation: 'swish', kernelInitializer: f.convInit(), name: `${name}se_reduce` }).apply(se) as tf.SymbolicTensor;
    se = tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', activation: 'sigmoid', kernelInitializer: f.convInit(), name: `${name}se_expand` }).apply(se) as tf.SymbolicTensor;
    x = tf.layers.multiply({ name: `${name}se_excite` }).apply([x, se]) as tf.SymbolicTensor;
  }

  x = tf.layers.conv2d({ filters: args.filtersOut, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: f.convInit(), name: `${name}project_conv` }).apply(x) as tf.SymbolicTensor;
  x = f.batchNorm(`${name}project_bn`, residual && zeroInitResidual ? 'zeros' : 'ones').apply(x) as tf.SymbolicTensor;
  if (residual) {
    if (dropRate > 0) {
      // noise_shape (None, 1, 1, 1): drops the whole residual branch per sample (stochastic depth).
      x = tf.layers.dropout({ rate: dropRate, noiseShape: [null as unknown as number, 1, 1, 1], name: `${name}drop` }).apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.add({ name: `${name}add` }).apply([x, inputs]) as tf.SymbolicTensor;
  }
  return x;
}

/**
 * Builds the B0 feature extractor: [batch, size, size, 3] RGB in [0, 255] → [batch, 1280] pooled features.
 * Returns the symbolic input and pooled output, so callers can put their own head on top.
 */
export function efficientNetB0(options: EfficientNetOptions): { input: tf.SymbolicTensor; features: tf.SymbolicTensor } {
  const { inputSize, dropConnectRate = 0.2, topFilters = 1280, batchNormMomentum = 0.99, seed, zeroInitResidual = false } = options;
  const f = new LayerFactory(seed, batchNormMomentum);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_image' });
  let x = tf.layers.rescaling({ scale: 1 / 255, name: 'rescaling' }).apply(input) as tf.SymbolicTensor;
  x = new ChannelNormalization({ name: 'normalization' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.zeroPadding2d({ padding: correctPad(inputSize, 3), name: 'stem_conv_pad' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: f.convInit(), name: 'stem_conv' }).apply(x) as tf.SymbolicTensor;
  x = f.batchNorm('stem_bn').apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'swish', name: 'stem_activation' }).apply(x) as tf.SymbolicTensor;

  const totalBlocks = EFFICIENTNET_B0_BLOCKS.reduce((n, stage) => n + stage.repeats, 0);
  let blockIndex = 0;
  EFFICIENTNET_B0_BLOCKS.forEach((stage, i) => {
    for (let j = 0; j < stage.repeats; j++) {
      // Only a stage's first block changes resolution and width.
      const first = j === 0;
      x = mbConvBlock(
        f,
        x,
        { ...stage, strides: first ? stage.strides : 1, filtersIn: first ? stage.filtersIn : stage.filtersOut },
        (dropConnectRate * blockIndex) / totalBlocks,
        `block${i + 1}${String.fromCharCode(97 + j)}_`,
        zeroInitResidual,
      );
      blockIndex++;
    }
  });

  x = tf.layers.conv2d({ filters: topFilters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: f.convInit(), name: 'top_conv' }).apply(x) as tf.SymbolicTensor;
  x = f.batchNorm('top_bn').apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'swish', name: 'top_activation' }).apply(x) as tf.SymbolicTensor;
  const features = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tf.SymbolicTensor;
  return { input, features };
}
