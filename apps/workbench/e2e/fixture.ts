/**
 * A small, self-contained workbench world for the end-to-end suite, written to a temporary folder:
 *   experiments/fixture-a   a faceapi run with a real (randomly initialised, not trained) FEENet head, so a query
 *                           photo goes through the true align → face-api features → head path; its test gallery
 *                           holds 64 rendered faces of 8 persons, embedded with that model
 *   experiments/fixture-b   a second finished run (config, summary, metrics only) to compare against
 *   data/galleries/perf-22k 22,000 random unit vectors (images cycle through the 64 faces) for the speed figures
 *   data/galleries/perf-200k (the bench only, `{ largeGallery: true }`) 200,000 random unit vectors likewise, with a
 *                           synthetic map layout (blobs by label) written into the projection cache: the map's
 *                           drawing speed is what it is for, and UMAP on 200,000 points would take most of an hour
 *   data/galleries/bundled  the same 64 faces embedded with the model shipped in the repository's models/ (the
 *                           server is pointed at that folder as its models root), as `trainer:embed` without
 *                           `--run` builds galleries
 * The run summaries and metric curves are fixture values, chosen to be distinguishable, not measurements.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { createGallery, embeddingMatrix, loadGallery, projectionKey, saveGallery, type FaceRecord } from '@feenet/clustering';
import { DEFAULT_TRAIN_CONFIG, buildFeenet, faceApiFeatureDim, saveLayersModel } from '@feenet/feenet';
import { openRunEmbedder } from '@feenet/inference';
import { type RunningServer, launchChromium, startWorkbench } from './harness';
import { EXPRESSION_PROTOTYPES, SeededRandom, randomIdentity, randomPose, renderFace, sampleExpression } from '@feenet/datasets';
import { selectBackend } from '@feenet/tfjs-runtime';

/** The repository's bundled models, which the fixture's server serves as its models root. */
export const MODELS_ROOT = path.resolve(__dirname, '../../../models');
export const BUNDLED_RUN = 'feenet-fer2013';

export interface Fixture {
  readonly root: string;
  readonly data: string;
  readonly experiments: string;
  readonly smallGallery: string;
  readonly perfGallery: string;
  readonly perfFaces: number;
  readonly bundledGallery: string;
  /** The 200,000-face gallery, when asked for. */
  readonly largeGallery: string | null;
  readonly largeFaces: number;
}

export interface FixtureOptions {
  /** Also write the 200,000-face gallery (the bench; the e2e suite stays without it). */
  readonly largeGallery?: boolean;
}

const FACE_SIZE = 144;
const PERSONS = 8;
const FACES_PER_PERSON = 8;
export const PERF_FACES = 22_000;
export const LARGE_FACES = 200_000;

function summary(runId: string, accuracy: number, byType: [number, number, number], wallSeconds: number, datasetRoot: string) {
  const types = { ONE_CLASS: byType[0], TWO_CLASS: byType[1], THREE_CLASS: byType[2] };
  const split = (shift: number) => ({
    accuracy: accuracy + shift,
    byType: Object.fromEntries(Object.entries(types).map(([t, a]) => [t, { accuracy: a + shift, count: 100 }])),
    triplets: 300,
    spread: 0.9,
  });
  return {
    runId,
    status: 'completed',
    dataset: { name: 'synthetic', source: 'synthetic', root: datasetRoot, faces: { train: 448, validation: 64, test: 64 }, triplets: { train: 2000, validation: 300, test: 300 } },
    backbone: 'faceapi',
    backend: 'wasm (SIMD, 1 thread)',
    parameters: { total: 345391, trainable: 344080, backbone: 1311, head: 344080 },
    inputSize: null,
    tripletsSeen: 12000,
    steps: 200,
    wallSeconds,
    trainSeconds: wallSeconds / 2,
    tripletsPerSecond: 400,
    validation: split(0.02),
    test: split(0),
    collapsed: false,
    finishedAt: new Date().toISOString(),
  };
}

function metrics(finalLoss: number): string {
  const lines: string[] = [];
  for (let step = 25; step <= 200; step += 25) {
    const loss = finalLoss + (0.4 - finalLoss) * Math.exp(-step / 60);
    lines.push(JSON.stringify({ kind: 'step', step, epoch: Math.floor(step / 100), loss, learningRate: 1e-3, tripletsPerSecond: 400, elapsedSeconds: step / 10 }));
    if (step % 100 === 0) {
      lines.push(JSON.stringify({ kind: 'eval', split: 'validation', step, epoch: step / 100, accuracy: 0.9 - finalLoss, byType: {}, triplets: 300, spread: 0.9 }));
    }
  }
  return `${lines.join('\n')}\n{"kind":"step","step":` /* a line torn by a killed run: must be skipped, not fatal */;
}

function writeRun(experiments: string, runId: string, accuracy: number, byType: [number, number, number], finalLoss: number, datasetRoot: string): string {
  const dir = path.join(experiments, runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...DEFAULT_TRAIN_CONFIG, runId, experimentsDir: experiments }, null, 2));
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary(runId, accuracy, byType, 600 + accuracy * 100, datasetRoot), null, 2));
  writeFileSync(path.join(dir, 'metrics.jsonl'), metrics(finalLoss));
  return dir;
}

export async function buildFixture(root: string, options: FixtureOptions = {}): Promise<Fixture> {
  const data = path.join(root, 'data');
  const experiments = path.join(root, 'experiments');
  mkdirSync(data, { recursive: true });

  const synthetic = path.join(data, 'synthetic');
  const runA = writeRun(experiments, 'fixture-a', 0.78, [0.7, 0.86, 0.79], 0.12, synthetic);
  writeRun(experiments, 'fixture-b', 0.72, [0.66, 0.8, 0.7], 0.18, synthetic);

  // The model: FEENet's faceapi head with identity feature statistics, seeded random weights.
  await selectBackend();
  const dim = faceApiFeatureDim();
  const head = buildFeenet({ backbone: 'faceapi', featureDim: dim, featureMean: new Array(dim).fill(0), featureVariance: new Array(dim).fill(1) }, { seed: 7 });
  await saveLayersModel(head, path.join(runA, 'model'));
  head.dispose();

  // 64 rendered faces, 8 per person, random expressions.
  const rng = new SeededRandom(11);
  const labels = Object.keys(EXPRESSION_PROTOTYPES);
  const faceDir = path.join(data, 'faces');
  mkdirSync(faceDir, { recursive: true });
  const faces: FaceRecord[] = [];
  const images: { data: Uint8Array; width: number; height: number }[] = [];
  for (let p = 0; p < PERSONS; p++) {
    const identity = randomIdentity(rng);
    for (let f = 0; f < FACES_PER_PERSON; f++) {
      const label = labels[(p + f) % labels.length]!;
      const pixels = renderFace(FACE_SIZE, identity, sampleExpression(rng, label), randomPose(rng), rng);
      const id = `person${p}-${f}`;
      const file = path.join(faceDir, `${id}.png`);
      await sharp(pixels, { raw: { width: FACE_SIZE, height: FACE_SIZE, channels: 3 } }).png().toFile(file);
      faces.push({ id, image: path.relative(path.join(runA, 'test-gallery'), file), person: `person${p}`, label, split: 'test' });
      images.push({ data: pixels, width: FACE_SIZE, height: FACE_SIZE });
    }
  }
  const embedder = await openRunEmbedder(runA, { prefer: 'auto' });
  const embeddings = await embedder.embedFaces(images);
  await embedder.dispose();
  const smallGallery = path.join(runA, 'test-gallery');
  // The runs' rated test triplets (FEC's format): anchor and positive share a label, the negative is the odd one.
  mkdirSync(synthetic, { recursive: true });
  const types = ['ONE_CLASS', 'TWO_CLASS', 'THREE_CLASS'] as const;
  const rated = Array.from({ length: 48 }, (_, i) => {
    const a = faces[i % faces.length]!;
    const p = faces.find((f, j) => j !== i % faces.length && f.label === a.label && f.person !== a.person) ?? faces[(i + 1) % faces.length]!;
    const n = faces.find((f) => f.label !== a.label && f.person !== a.person)!;
    return { anchor: a.id, positive: p.id, negative: n.id, type: types[i % 3], agreement: i % 2 ? 1 : 0.67, split: 'test' };
  });
  writeFileSync(path.join(synthetic, 'triplets.jsonl'), `${rated.map((t) => JSON.stringify(t)).join('\n')}\n{"anchor":"torn`);
  await saveGallery(smallGallery, createGallery(faces, embeddingMatrix(embeddings, 16), { runId: 'fixture-a' }));

  const bundled = await openRunEmbedder(path.join(MODELS_ROOT, BUNDLED_RUN), { prefer: 'auto' });
  const bundledDir = path.join(data, 'galleries', 'bundled');
  const bundledFaces = faces.map((f) => ({ ...f, image: path.relative(bundledDir, path.join(faceDir, `${f.id}.png`)) }));
  await saveGallery(bundledDir, createGallery(bundledFaces, embeddingMatrix(await bundled.embedFaces(images), 16), { runId: BUNDLED_RUN }));
  await bundled.dispose();

  // The speed galleries: random unit vectors in 16-d, faces cycling through the rendered images.
  await writeSyntheticGallery(path.join(data, 'galleries', 'perf-22k'), PERF_FACES, faces, faceDir, rng);
  let largeGallery: string | null = null;
  if (options.largeGallery) {
    const dir = path.join(data, 'galleries', 'perf-200k');
    await writeSyntheticGallery(dir, LARGE_FACES, faces, faceDir, rng);
    await writeSyntheticProjection(dir, path.join(data, 'projections'), rng);
    largeGallery = 'data/galleries/perf-200k';
  }

  return {
    root,
    data,
    experiments,
    smallGallery: 'experiments/fixture-a/test-gallery',
    perfGallery: 'data/galleries/perf-22k',
    perfFaces: PERF_FACES,
    bundledGallery: 'data/galleries/bundled',
    largeGallery,
    largeFaces: largeGallery ? LARGE_FACES : 0,
  };
}

/**
 * A gallery of `count` random unit vectors in 16-d (as a model run 'fixture-a' would label them), each face's
 * image, label and person taken in turn from the rendered faces; 500 persons.
 */
export async function writeSyntheticGallery(dir: string, count: number, faces: readonly FaceRecord[], faceDir: string, rng: SeededRandom): Promise<void> {
  const vectors = new Float32Array(count * 16);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let d = 0; d < 16; d++) {
      const v = rng.normal(0, 1);
      vectors[i * 16 + d] = v;
      norm += v * v;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let d = 0; d < 16; d++) vectors[i * 16 + d] = vectors[i * 16 + d]! * scale;
  }
  const records: FaceRecord[] = Array.from({ length: count }, (_, i) => {
    const source = faces[i % faces.length]!;
    return { id: `perf-${i}`, image: path.relative(dir, path.join(faceDir, `${source.id}.png`)), person: `perf-person-${i % 500}`, label: source.label! };
  });
  await saveGallery(dir, createGallery(records, embeddingMatrix(vectors, 16), { runId: 'fixture-a' }));
}

/**
 * A map layout for a gallery without running UMAP: a Gaussian blob per label on a circle, written where the
 * projection cache would keep the gallery's UMAP (same key), so the workbench serves it as a cached projection.
 */
async function writeSyntheticProjection(dir: string, cacheDir: string, rng: SeededRandom): Promise<void> {
  const gallery = await loadGallery(dir);
  const labels = [...new Set(gallery.faces.map((f) => f.label ?? ''))];
  const coordinates = new Float32Array(gallery.faces.length * 2);
  gallery.faces.forEach((face, i) => {
    const angle = (2 * Math.PI * labels.indexOf(face.label ?? '')) / labels.length;
    coordinates[2 * i] = 8 * Math.cos(angle) + rng.normal(0, 2);
    coordinates[2 * i + 1] = 8 * Math.sin(angle) + rng.normal(0, 2);
  });
  mkdirSync(cacheDir, { recursive: true });
  const key = projectionKey(gallery.embeddings, gallery.model?.runId ?? null, {});
  // The cache's format: float32 little-endian, row-major.
  const bytes = new DataView(new ArrayBuffer(coordinates.length * 4));
  coordinates.forEach((v, i) => bytes.setFloat32(i * 4, v, true));
  await writeFile(path.join(cacheDir, `projection-${key}.f32`), new Uint8Array(bytes.buffer));
}

/** The fixture served by the production build and opened in Chromium: what the e2e suite and the bench share. */
export interface OpenWorkbench {
  readonly fixture: Fixture;
  readonly server: RunningServer;
  readonly browser: Browser;
  readonly page: Page;
  /** Uncaught errors in the page, in order. */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

export async function openFixtureWorkbench(name: string, options: FixtureOptions = {}): Promise<OpenWorkbench> {
  const fixture = await buildFixture(mkdtempSync(path.join(tmpdir(), `feenet-workbench-${name}-`)), options);
  const server = await startWorkbench({ WORKBENCH_DATA_ROOT: fixture.data, WORKBENCH_EXPERIMENTS_ROOT: fixture.experiments, WORKBENCH_MODELS_ROOT: MODELS_ROOT });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return {
    fixture,
    server,
    browser,
    page,
    pageErrors,
    async close() {
      await browser.close();
      await server.stop();
      rmSync(fixture.root, { recursive: true, force: true });
    },
  };
}
