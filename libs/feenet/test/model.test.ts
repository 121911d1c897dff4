import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFeenet, countParameters, describeModel, embed, loadWeightsByName, EFFICIENTNET_B0_BLOCKS } from '../src/index';
import { selectBackend } from '@feenet/tfjs-runtime';

describe('FEENet with the EfficientNet-B0 backbone', () => {
  beforeAll(async () => {
    await selectBackend();
  });

  it('has the paper size: 4.05 M backbone (Keras EfficientNetB0 without top) + 0.66 M head', () => {
    const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: 224 });
    const count = countParameters(model);
    // Keras' EfficientNetB0(include_top=False).count_params() is 4,049,571 (incl. normalization and BN statistics).
    expect(count.backbone).toBe(4_049_571);
    expect(count.head).toBe(1280 * 512 + 512 + 512 * 16 + 16);
    expect(count.total).toBe(4_713_651);
    expect(model.outputs[0]!.shape).toEqual([null, 16]);
    model.dispose();
  });

  it('is built from the block table, with Keras layer names, at any input size', () => {
    const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: 64 });
    const names = model.layers.map((l) => l.name);
    const blocks = EFFICIENTNET_B0_BLOCKS.reduce((n, b) => n + b.repeats, 0);
    expect(blocks).toBe(16);
    expect(names.filter((n) => /^block\d[a-z]_project_conv$/.test(n))).toHaveLength(16);
    expect(names.filter((n) => /^block\d[a-z]_se_excite$/.test(n))).toHaveLength(16);
    for (const n of ['rescaling', 'normalization', 'stem_conv', 'stem_bn', 'block1a_dwconv', 'block2a_dwconv_pad', 'block6d_add', 'top_conv', 'top_bn', 'avg_pool']) {
      expect(names).toContain(n);
    }
    expect(countParameters(model).total).toBe(4_713_651);
    expect(describeModel(model)).toMatch(/parameters: 4,713,651 \(4\.714 M\): backbone 4\.050 M, head 0\.664 M/);
    model.dispose();
  });

  it('with zeroInitResidual, every residual block starts as the identity: its input passes through unchanged', () => {
    const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: 32, zeroInitResidual: true }, { seed: 3 });
    const projectGammas = (residual: boolean) =>
      model.layers.filter((l) => /_project_bn$/.test(l.name) && model.layers.some((m) => m.name === l.name.replace('project_bn', 'add')) === residual).map((l) => l.getWeights()[0]!);
    expect(projectGammas(true)).toHaveLength(9); // 16 blocks, 7 of them change resolution or width
    for (const g of projectGammas(true)) expect(Math.max(...Array.from(g.dataSync()).map(Math.abs))).toBe(0);
    // Blocks without a residual path keep Keras' scale of 1, or their output would be all zeros.
    for (const g of projectGammas(false)) expect(Math.min(...Array.from(g.dataSync()))).toBe(1);
    // In training mode too: block2b's output equals its input (the residual branch adds exactly 0).
    const probe = tf.model({ inputs: model.inputs, outputs: [model.getLayer('block2a_project_bn').output as tf.SymbolicTensor, model.getLayer('block2b_add').output as tf.SymbolicTensor] });
    const [before, after] = probe.apply(tf.randomUniform([2, 32, 32, 3], 0, 255, 'float32', 1), { training: true }) as tf.Tensor[];
    expect(tf.max(tf.abs(tf.sub(before!, after!))).dataSync()[0]).toBe(0);
    tf.dispose([before!, after!]);
    model.dispose();
  });

  it('loads weights by layer name, leaving unmatched layers as they were', () => {
    const source = buildFeenet({ backbone: 'efficientnet-b0', inputSize: 32 });
    const target = buildFeenet({ backbone: 'efficientnet-b0', inputSize: 32 });
    const before = target.getLayer('feenet_fc16').getWeights()[0]!.dataSync().slice();
    const report = loadWeightsByName(target, source);
    expect(report.shapeMismatches).toEqual([]);
    expect(report.loadedLayers).toContain('block3b_expand_conv');
    const a = source.getLayer('block3b_expand_conv').getWeights()[0]!.dataSync();
    const b = target.getLayer('block3b_expand_conv').getWeights()[0]!.dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    // The head of the source is copied too (same names); a model without a head would leave it alone.
    expect(Array.from(target.getLayer('feenet_fc16').getWeights()[0]!.dataSync())).not.toEqual(Array.from(before));
    source.dispose();
    target.dispose();
  });

  it('embeds in batches to unit-length 16-d vectors without leaking tensors', async () => {
    const model = buildFeenet({ backbone: 'efficientnet-b0', inputSize: 32 });
    const n = 5;
    const images = new Uint8Array(n * 32 * 32 * 3).map((_, i) => (i * 37) % 256);
    await embed(model, images, n, 2); // warm-up allocates kernels' scratch once
    const before = tf.memory().numTensors;
    const out = await embed(model, images, n, 2);
    expect(tf.memory().numTensors).toBe(before);
    expect(out).toHaveLength(n * 16);
    for (let i = 0; i < n; i++) {
      const norm = Math.hypot(...out.subarray(i * 16, (i + 1) * 16));
      expect(norm).toBeCloseTo(1, 5);
    }
    // Batching does not change the result.
    const single = await embed(model, images, n, 1);
    for (let i = 0; i < out.length; i++) expect(Math.abs(single[i]! - out[i]!)).toBeLessThan(1e-5);
    await expect(embed(model, images.subarray(1), n)).rejects.toThrow(/expected 5/);
    model.dispose();
  });

  it('with embeddingBatchNorm, a batch cannot collapse to one point in training (and inference uses moving statistics)', () => {
    const dim = 8;
    const spec = { backbone: 'faceapi' as const, featureDim: dim, featureMean: new Array<number>(dim).fill(0), featureVariance: new Array<number>(dim).fill(1) };
    const plain = buildFeenet(spec, { seed: 3 });
    const normed = buildFeenet(spec, { seed: 3, embeddingBatchNorm: { momentum: 0.5 } });
    expect(normed.getLayer('feenet_embedding_bn').trainableWeights).toHaveLength(0);
    expect(countParameters(normed).total).toBe(countParameters(plain).total + 4 * 16); // scale, offset, moving mean and variance
    expect(countParameters(normed).trainable).toBe(countParameters(plain).trainable);
    // A collapsed head: a tiny FC 16 kernel and a large bias put every face at (nearly) the same point.
    for (const model of [plain, normed]) {
      const fc16 = model.getLayer('feenet_fc16');
      const [kernel, bias] = fc16.getWeights();
      fc16.setWeights([tf.mul(kernel!, 1e-4), tf.oneHot(0, 16).mul(5).reshape(bias!.shape)]);
    }
    const x = tf.randomNormal([12, dim], 0, 1, 'float32', 7);
    const spread = (model: tf.LayersModel, training: boolean) =>
      tf.tidy(() => {
        const e = model.apply(x, { training }) as tf.Tensor2D;
        const d = tf.sqrt(tf.relu(tf.sum(tf.square(tf.sub(e.expandDims(1), e.expandDims(0))), -1)));
        return d.sum().dataSync()[0]! / (12 * 11);
      });
    expect(spread(plain, true)).toBeLessThan(1e-3);
    expect(spread(normed, true)).toBeGreaterThan(1);
    // Training mode updated the moving statistics, which inference uses.
    const movingMean = normed.getLayer('feenet_embedding_bn').getWeights()[2]!.dataSync(); // gamma, beta, moving mean, moving variance
    expect(movingMean[0]).toBeGreaterThan(2); // 0.5 · 0 + 0.5 · 5
    x.dispose();
    plain.dispose();
    normed.dispose();
  });
});
