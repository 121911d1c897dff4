/**
 * The gallery path of a fine-tuned faceapi run: aligned face images → the run's own saved expression net → the
 * head gives the embeddings training computed for the same faces (not the stock net's).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SYNTHETIC_OPTIONS } from '@feenet/datasets';
import { ensureDataset, mergeConfig, train } from '@feenet/feenet';
import { selectBackend } from '@feenet/tfjs-runtime';
import { openRunEmbedder } from '../src/index';

const work = mkdtempSync(path.join(tmpdir(), 'feenet-run-embedder-'));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('openRunEmbedder', () => {
  beforeAll(async () => {
    await selectBackend();
  });

  it('embeds aligned faces with a fine-tuned run exactly as its training did', async () => {
    const config = mergeConfig({
      runId: 'tuned',
      experimentsDir: path.join(work, 'experiments'),
      dataset: {
        source: 'synthetic',
        root: path.join(work, 'tiny'),
        synthetic: {
          ...DEFAULT_SYNTHETIC_OPTIONS,
          persons: 12,
          facesPerPerson: 6,
          imageSize: 64,
          splitShares: { train: 0.5, validation: 0.25, test: 0.25 },
          triplets: { train: 36, validation: 12, test: 12 },
        },
      },
      backboneTraining: 'fine-tune',
      batchTriplets: 12,
      stepsPerEpoch: 3,
      epochs: 1,
      learningRate: 3e-3,
      backboneLearningRate: 1e-3,
      warmupSteps: 2,
      headDropout: 0,
    });
    const dataset = await ensureDataset(config);
    const run = await train(config);
    const faces = await Promise.all(
      run.testFaces.map(async (f) => {
        const { data, info } = await sharp(path.resolve(dataset.root, f.file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        return { data: new Uint8Array(data), width: info.width, height: info.height };
      }),
    );
    const embedder = await openRunEmbedder(run.experiment.dir, { prefer: 'tfjs' });
    expect(embedder.description).toMatch(/fine-tuned expression net/);
    const embedded = await embedder.embedFaces(faces);
    await embedder.dispose();
    expect(maxDiff(embedded, run.testEmbeddings)).toBeLessThan(1e-4);
  });
});
