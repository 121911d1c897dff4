/**
 * The gallery commands driven in-process through their `run(argv)`: embed (a tiny faceapi run trained here on a
 * tiny synthetic dataset, plus one demo photo), search, summary and tag over small galleries in a temp folder.
 * What is asserted is what a user relies on: the nearest faces and their distances, person and tag restriction,
 * the contact sheets' sizes, tag counts, resumable/idempotent embedding, and one-line errors for bad input.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ALIGNED_FACE_BOX, WHOLE_IMAGE, mergeConfig, train, type TrainConfig, type TrainResult } from '@feenet/feenet';
import { DEFAULT_SYNTHETIC_OPTIONS, readDataset } from '@feenet/datasets';
import { selectBackend } from '@feenet/tfjs-runtime';
import { ExactIndex, createGallery, embeddingMatrix, identityInvariance, kMeans, loadGallery, rowOf, saveGallery, twoClassTripletAccuracy } from '@feenet/clustering';
import { UsageError } from '../src/cli-args';
import { run as embed } from '../src/commands/embed';
import { run as evaluate } from '../src/commands/evaluate';
import { run as search } from '../src/commands/search';
import { run as summary } from '../src/commands/summary';
import { run as tag } from '../src/commands/tag';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const demoPhoto = path.join(repo, 'node_modules/@vladmandic/face-api/demo/sample1.jpg');
const work = mkdtempSync(path.join(tmpdir(), 'trainer-gallery-'));
const experiments = path.join(work, 'experiments');
const runDir = path.join(experiments, 'tiny-run');
const dataset = path.join(work, 'tiny-dataset');

/** Runs a command, returning what it printed with console.log. */
async function output(command: (argv: string[]) => Promise<void>, argv: string[]): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  try {
    await command(argv);
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

/** The rows of a search's printed table: rank, id, person, label, distance. */
function resultRows(text: string): { rank: number; id: string; person: string; distance: number }[] {
  return text
    .split('\n')
    .map((l) => /^\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+\.\d+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ rank: Number(m[1]), id: m[2]!, person: m[3]!, distance: Number(m[5]) }));
}

async function pngSize(file: string): Promise<[number, number]> {
  const meta = await sharp(file).metadata();
  expect(meta.format).toBe('png');
  return [meta.width!, meta.height!];
}

// writeContactSheet's layout: cell 160 (default), gap 8, caption 20, title 28.
const sheetSize = (columns: number, rows: number, cell = 160, gap = 8) => [gap + columns * (cell + gap), 28 + gap + rows * (cell + 20 + gap)];

const tinySynthetic = {
  ...DEFAULT_SYNTHETIC_OPTIONS,
  persons: 12,
  facesPerPerson: 7,
  imageSize: 64,
  splitShares: { train: 0.5, validation: 0.25, test: 0.25 },
  triplets: { train: 36, validation: 15, test: 15 },
};

/** A tiny run, as in libs/feenet's training test: enough to have a saved model to embed with. */
function tinyRun(runId: string, backbone: 'faceapi' | 'efficientnet-b0', extra: Partial<TrainConfig> = {}): Promise<TrainResult> {
  return train(
    mergeConfig({
      runId,
      experimentsDir: experiments,
      backbone,
      dataset: { source: 'synthetic', root: dataset, synthetic: tinySynthetic },
      batchTriplets: 12,
      stepsPerEpoch: 4,
      epochs: 2,
      warmupSteps: 2,
      logEvery: 4,
      checkpointEvery: 100,
      ...extra,
    }),
  );
}

let faceApiRun: TrainResult;

beforeAll(async () => {
  await selectBackend();
  faceApiRun = await tinyRun('tiny-run', 'faceapi');
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('embed and search with a trained run', () => {
  const faces = path.join(work, 'faces');
  const gallery = path.join(work, 'faces-gallery');
  let persons: string[] = [];

  beforeAll(() => {
    // 3 persons × 4 synthetic faces, one subfolder per person (they are aligned crops: --aligned).
    const ds = readDataset(dataset);
    persons = [...new Set(ds.faces.map((f) => f.person!))].slice(0, 3);
    for (const p of persons) {
      mkdirSync(path.join(faces, p), { recursive: true });
      for (const f of ds.faces.filter((x) => x.person === p).slice(0, 4)) copyFileSync(path.join(dataset, f.file), path.join(faces, p, path.basename(f.file)));
    }
  });

  it('embed --aligned: a gallery of every face with person from the folder, crops next to it; a rerun does nothing', async () => {
    const text = await output(embed, ['--run', runDir, '--images', faces, '--out', gallery, '--aligned']);
    expect(text).toMatch(/images: 12 \(12 done, 12 with faces, 0 failed\)/);
    expect(text).toMatch(/engine: (tfjs|onnxruntime)/);
    const g = await loadGallery(gallery);
    expect(g.faces).toHaveLength(12);
    expect(g.model).toEqual({ runId: 'tiny-run' });
    expect(g.embeddings.dim).toBe(16);
    expect(new Set(g.faces.map((f) => f.person))).toEqual(new Set(persons));
    expect(g.faces.every((f) => f.label === undefined && existsSync(path.join(gallery, f.image)))).toBe(true);
    for (let row = 0; row < 12; row++) expect(Math.hypot(...rowOf(g.embeddings, row))).toBeCloseTo(1, 4);

    const mtime = statSync(path.join(gallery, 'embeddings.f32')).mtimeMs;
    expect(await output(embed, ['--run', runDir, '--images', faces, '--out', gallery, '--aligned'])).toMatch(/gallery already exists: .* \(12 faces, run tiny-run\); nothing to do/);
    expect(statSync(path.join(gallery, 'embeddings.f32')).mtimeMs).toBe(mtime);
  });

  it('embed resumes: images already in the log are not redone, and the gallery is the same', async () => {
    const again = path.join(work, 'faces-gallery-resumed');
    await output(embed, ['--run', runDir, '--images', faces, '--out', again, '--aligned']);
    // Keep the settings line and the first 5 images, as an interrupted run would have left them.
    const log = readFileSync(path.join(again, 'embed-log.jsonl'), 'utf8').split('\n').filter(Boolean);
    writeFileSync(path.join(again, 'embed-log.jsonl'), `${log.slice(0, 6).join('\n')}\n{"type":"sou`);
    rmSync(path.join(again, 'gallery.json'));
    const text = await output(embed, ['--run', runDir, '--images', faces, '--out', again, '--aligned']);
    expect(text).toMatch(/time: .* for 7 images this run/);
    const [a, b] = [await loadGallery(again), await loadGallery(gallery)];
    expect(a.faces).toEqual(b.faces);
    a.embeddings.data.forEach((v, i) => expect(Math.abs(v - b.embeddings.data[i]!)).toBeLessThan(1e-5));
  });

  it('evaluate --faces: a labelled folder (persons from file names) gives two-class accuracy and identity invariance', async () => {
    // <label>/<person>_<file>: 6 persons × every label they have, as a researcher's labelled folder would be.
    const labelled = path.join(work, 'labelled');
    const ds = readDataset(dataset);
    for (const f of ds.faces.filter((x) => x.label !== undefined && x.person !== undefined).slice(0, 60)) {
      mkdirSync(path.join(labelled, f.label!), { recursive: true });
      copyFileSync(path.join(dataset, f.file), path.join(labelled, f.label!, `${f.person}_${path.basename(f.file)}`));
    }
    const out = path.join(work, 'labelled-gallery');
    const argv = ['--run', runDir, '--faces', labelled, '--label-from', 'folder', '--person-from', 'filename-regex:^(.+?)_', '--aligned', '--out', out, '--triplets', '400'];
    const text = await output(evaluate, argv);
    const g = await loadGallery(out);
    expect(g.faces).toHaveLength(60);
    expect(g.faces.every((f) => f.label !== undefined && f.person !== undefined && !f.person.includes('_'))).toBe(true);
    const two = twoClassTripletAccuracy(g, { count: 400, seed: 1 });
    expect(text).toContain(`two-class triplet accuracy: ${(100 * two.accuracy).toFixed(1)}% on ${two.triplets} triplets (anchor and positive of different persons)`);
    expect(text).toContain(`identity invariance: ${(100 * identityInvariance(g, { count: 400, seed: 1 })!.share).toFixed(1)}%`);
    // A rerun reuses the gallery and prints the same figures.
    expect(await output(evaluate, argv)).toMatch(/gallery already exists[\s\S]*two-class triplet accuracy/);
    await expect(evaluate(['--run', runDir, '--faces', labelled])).rejects.toThrow(UsageError);
  });

  const ferTest = path.join(repo, '../shared/data/fer2013/test');
  it.skipIf(!existsSync(ferTest))('the bundled model: embed and evaluate without --run, and it knows FER2013 expressions', async () => {
    // 20 FER2013 test faces per label (never copied into the repository: a temp folder).
    const labelled = path.join(work, 'fer-labelled');
    for (const label of readdirSync(ferTest)) {
      mkdirSync(path.join(labelled, label), { recursive: true });
      for (const f of readdirSync(path.join(ferTest, label)).sort().slice(0, 20)) copyFileSync(path.join(ferTest, label, f), path.join(labelled, label, f));
    }
    const out = path.join(work, 'fer-bundled');
    const text = await output(evaluate, ['--faces', labelled, '--label-from', 'folder', '--aligned', '--out', out, '--triplets', '2000']);
    const g = await loadGallery(out);
    expect(g.model).toEqual({ runId: 'feenet-fer2013' });
    expect(g.faces).toHaveLength(140);
    // Chance is 33 %; the model gets ~70 % on FER2013's test split. A random head would not pass 60 %.
    const accuracy = Number(/two-class triplet accuracy: ([\d.]+)%/.exec(text)![1]) / 100;
    expect(accuracy).toBeGreaterThan(0.6);
  });

  it('search: the query face itself first at distance 0, then the gallery in order of distance; the sheet has query + k cells', async () => {
    const g = await loadGallery(gallery);
    const queryRow = 5;
    const query = path.join(gallery, g.faces[queryRow]!.image);
    const sheet = path.join(work, 'search.png');
    const text = await output(search, ['--gallery', gallery, '--query', query, '--aligned', '--k', '5', '--experiments-dir', experiments, '--out', sheet]);
    const rows = resultRows(text);
    const expected = new ExactIndex(g.embeddings).search(rowOf(g.embeddings, queryRow), { k: 5 });
    expect(rows.map((r) => r.id)).toEqual(Array.from(expected.rows, (r) => g.faces[r]!.id));
    expect(rows[0]!.id).toBe(g.faces[queryRow]!.id);
    expect(rows[0]!.distance).toBeLessThan(1e-3);
    rows.forEach((r, i) => expect(r.distance).toBeCloseTo(expected.distances[i]!, 3));
    expect(await pngSize(sheet)).toEqual(sheetSize(6, 1));

    // --person: only that person's faces, nearest first.
    const other = persons.find((p) => p !== g.faces[queryRow]!.person)!;
    const restricted = resultRows(await output(search, ['--gallery', gallery, '--query', query, '--aligned', '--k', '10', '--person', other, '--experiments-dir', experiments, '--out', sheet]));
    expect(restricted).toHaveLength(4);
    expect(restricted.every((r) => r.person === other)).toBe(true);
    expect(restricted.map((r) => r.distance)).toEqual([...restricted.map((r) => r.distance)].sort((a, b) => a - b));
    expect(await pngSize(sheet)).toEqual(sheetSize(5, 1));
  });

  it('search with a photo: aligns it and queries with its largest face; a photo without a face says so', async () => {
    const sheet = path.join(work, 'search-photo.png');
    const text = await output(search, ['--gallery', gallery, '--query', demoPhoto, '--k', '3', '--experiments-dir', experiments, '--out', sheet]);
    expect(text).toMatch(/query: .*sample1\.jpg, face \d of 3 \(the largest\)/);
    expect(resultRows(text)).toHaveLength(3);
    expect(await pngSize(sheet)).toEqual(sheetSize(4, 1));

    const blank = path.join(work, 'blank.png');
    await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } }).png().toFile(blank);
    await expect(search(['--gallery', gallery, '--query', blank, '--experiments-dir', experiments])).rejects.toThrow(/no face found in .*blank\.png \(no-face/);
  });

  it('embed photos: faces found by the detector, failures counted by kind', async () => {
    const photos = path.join(work, 'photos');
    mkdirSync(photos, { recursive: true });
    copyFileSync(demoPhoto, path.join(photos, 'sample1.jpg'));
    writeFileSync(path.join(photos, 'notes.txt'), 'not an image');
    const out = path.join(work, 'photos-gallery');
    const text = await output(embed, ['--run', 'tiny-run', '--experiments-dir', experiments, '--images', photos, '--out', out]);
    expect(text).toMatch(/images: 2 \(2 done, 1 with faces, 1 failed\)/);
    expect(text).toMatch(/faces: 3 found, 3 kept/);
    expect(text).toMatch(/failures: not-an-image 1/);
    const g = await loadGallery(out);
    expect(g.faces.map((f) => f.id)).toEqual(['sample1.jpg#0', 'sample1.jpg#1', 'sample1.jpg#2']);
    expect(g.faces.every((f) => f.person === undefined)).toBe(true);
    expect(await pngSize(path.join(out, g.faces[0]!.image))).toEqual([224, 224]);
  });
});

describe('embedding parity with training, for both backbones', () => {
  /** Embeds a run's test-split faces with the embed command and compares them with the run's own test embeddings. */
  async function expectParity(result: TrainResult, runId: string): Promise<void> {
    const folder = path.join(work, `${runId}-test-faces`);
    mkdirSync(folder, { recursive: true });
    for (const f of result.testFaces) copyFileSync(path.join(dataset, f.file), path.join(folder, `${f.id}.png`));
    const out = path.join(work, `${runId}-test-gallery`);
    const text = await output(embed, ['--run', runId, '--experiments-dir', experiments, '--images', folder, '--out', out, '--aligned', '--person-from', 'none']);
    expect(text).toMatch(/engine: (tfjs|onnxruntime)/);
    const g = await loadGallery(out);
    expect(g.faces).toHaveLength(result.testFaces.length);
    let worst = 0;
    result.testFaces.forEach((f, i) => {
      const row = g.faces.findIndex((x) => x.id === `${f.id}.png`);
      const mine = rowOf(g.embeddings, row);
      for (let c = 0; c < 16; c++) worst = Math.max(worst, Math.abs(mine[c]! - result.testEmbeddings[i * 16 + c]!));
    });
    expect(worst).toBeLessThan(1e-4);
  }

  it('faceapi: the embed command reproduces the run\'s test embeddings', async () => {
    await expectParity(faceApiRun, 'tiny-run');
  });

  it('faceapi reading whole images (inputRegion, for tight crops): the embed command reads the same region', async () => {
    const whole = await tinyRun('tiny-whole', 'faceapi', { inputRegion: WHOLE_IMAGE });
    await expectParity(whole, 'tiny-whole');
  });

  it('efficientnet-b0 at 32 px: the embed command reproduces the run\'s test embeddings', async () => {
    const b0 = await tinyRun('tiny-b0', 'efficientnet-b0', { inputSize: 32, epochs: 1, stepsPerEpoch: 1 });
    await expectParity(b0, 'tiny-b0');
  });

  it('efficientnet-b0 reading the face box (inputRegion): the embed command crops the same region', async () => {
    const b0 = await tinyRun('tiny-b0-box', 'efficientnet-b0', { inputSize: 32, epochs: 1, stepsPerEpoch: 1, inputRegion: ALIGNED_FACE_BOX });
    await expectParity(b0, 'tiny-b0-box');
  });
});

describe('summary and tags on a gallery with known embeddings', () => {
  const dir = path.join(work, 'known');
  const db = path.join(work, 'tags.db');
  // Three tight groups of ana's faces (5, 3 and 1 faces) around three axes, and 3 of bo's on a fourth axis.
  const layout = [
    ...Array.from({ length: 5 }, (_, i) => ({ id: `ana-a${i}`, person: 'ana', axis: 0, jitter: i })),
    ...Array.from({ length: 3 }, (_, i) => ({ id: `ana-b${i}`, person: 'ana', axis: 1, jitter: i })),
    { id: 'ana-c0', person: 'ana', axis: 2, jitter: 0 },
    ...Array.from({ length: 3 }, (_, i) => ({ id: `bo-d${i}`, person: 'bo', axis: 3, jitter: i })),
  ];

  beforeAll(async () => {
    const data = new Float32Array(layout.length * 16);
    layout.forEach((f, row) => {
      const v = new Float32Array(16);
      v[f.axis] = 1;
      v[8 + (f.jitter % 8)] = 0.05 * (f.jitter + 1);
      const n = Math.hypot(...v);
      data.set(v.map((x) => x / n), row * 16);
    });
    mkdirSync(path.join(dir, 'img'), { recursive: true });
    await Promise.all(
      layout.map((f, i) =>
        sharp({ create: { width: 24, height: 24, channels: 3, background: { r: 20 * i, g: 60 * f.axis, b: 120 } } }).png().toFile(path.join(dir, 'img', `${f.id}.png`)),
      ),
    );
    await saveGallery(dir, createGallery(layout.map((f) => ({ id: f.id, image: `img/${f.id}.png`, person: f.person })), embeddingMatrix(data, 16), { runId: 'tiny-run' }));
  });

  it('summary lists persons with counts, and gives a person\'s groups largest first with the face nearest each centre', async () => {
    expect(await output(summary, ['--gallery', dir])).toMatch(/2 persons[^\n]*\n\s+ana\s+9\n\s+bo\s+3/);
    const sheet = path.join(work, 'summary.png');
    const text = await output(summary, ['--gallery', dir, '--person', 'ana', '--k', '3', '--out', sheet]);
    const groups = [...text.matchAll(/^\s+(\d)\s+(\d+)\s+(\S+)\s+[\d.]+$/gm)].map((m) => ({ size: Number(m[2]), id: m[3]! }));
    expect(groups.map((g) => g.size)).toEqual([5, 3, 1]);
    expect(groups.map((g) => g.id[4])).toEqual(['a', 'b', 'c']);
    expect(await pngSize(sheet)).toEqual(sheetSize(3, 1));
    await expect(summary(['--gallery', dir, '--person', 'zoe'])).rejects.toThrow(/no faces of person "zoe".*ana, bo/);
  });

  it('tag: clusters sheet, create from a cluster and from faces, list, apply with counts and sheets, then edit the tree', async () => {
    const sheets = path.join(work, 'cluster-sheets');
    const clustersText = await output(tag, ['--gallery', dir, 'clusters', '--k', '4', '--sheet-dir', sheets]);
    expect(clustersText).toMatch(/K-Means K=4 seed 1 over 12 faces/);
    // One overview sheet, a row per cluster, 15 cells a row (cells 80 px, gap 4).
    expect(await pngSize(path.join(sheets, 'clusters-000-003.png'))).toEqual(sheetSize(15, 4, 80, 4));

    // The cluster holding ana's 5 "a" faces, as the command's own K-Means (same seed) numbers it.
    const g = await loadGallery(dir);
    const result = kMeans(g.embeddings, 4, { seed: 1 });
    const clusterOfA = result.assignments[0]!;
    expect(await output(tag, ['--gallery', dir, '--db', db, 'create', '--name', 'wide smile', '--cluster', String(clusterOfA), '--k', '4'])).toMatch(
      /created tag 1 "wide smile" from cluster \d of K-Means K=4 seed 1 \(5 faces\)[^\n]*\nit covers 5 of the gallery's 12 faces/,
    );
    expect(await output(tag, ['--gallery', dir, '--db', db, 'create', '--name', 'bo', '--faces', 'bo-d0,bo-d1', '--radius', '0.5'])).toMatch(/created tag 2 "bo" from 2 example face\(s\), radius 0\.5000\nit covers 3 of/);
    await output(tag, ['--gallery', dir, '--db', db, 'create', '--name', 'just a0', '--parent', '1', '--faces', 'ana-a0', '--radius', '0.001']);

    expect(await output(tag, ['--gallery', dir, '--db', db, 'list'])).toMatch(/2 {2}bo {2}— 3 faces[\s\S]*1 {2}wide smile {2}— 5 faces[\s\S]*\n {6}3 {2}just a0 {2}— 1 face /);

    const tagSheets = path.join(work, 'tag-sheets');
    const applied = await output(tag, ['--gallery', dir, '--db', db, 'apply', '--sheet-dir', tagSheets]);
    expect(applied).toMatch(/applied 3 tags .* to 12 faces: 8 tagged \(1 with more than one tag\), 4 untagged/);
    const assignment = JSON.parse(readFileSync(path.join(dir, 'tags.json'), 'utf8')) as { tags: { id: number; count: number }[]; faces: Record<string, { tagId: number }[]> };
    expect(assignment.tags.map((t) => [t.id, t.count])).toEqual([[2, 3], [1, 5], [3, 1]]);
    expect(assignment.faces['ana-a0']!.map((m) => m.tagId).sort()).toEqual([1, 3]);
    expect(await pngSize(path.join(tagSheets, 'tag-1-wide_smile.png'))).toEqual(sheetSize(5, 1, 112));
    expect(await pngSize(path.join(tagSheets, 'tag-2-bo.png'))).toEqual(sheetSize(3, 1, 112));

    // export: the gallery as a table (clusters, tags with distances) and the taxonomy, for use elsewhere.
    const exported = path.join(work, 'export');
    expect(await output(tag, ['--gallery', dir, '--db', db, 'export', '--out', exported, '--k', '4'])).toMatch(/wrote 12 faces \(without map coordinates, K-Means K=4, 3 tags\)/);
    const csv = readFileSync(path.join(exported, 'faces.csv'), 'utf8').trimEnd().split('\r\n');
    expect(csv[0]).toBe('id,image,person,label,x,y,cluster,cluster_distance,tags,tag_distances');
    expect(csv).toHaveLength(13);
    const rows = (JSON.parse(readFileSync(path.join(exported, 'faces.json'), 'utf8')) as { rows: { id: string; cluster: number; tags: { name: string }[] }[] }).rows;
    expect(rows.find((r) => r.id === 'ana-a0')!.tags.map((t) => t.name).sort()).toEqual(['just a0', 'wide smile']);
    expect(rows.find((r) => r.id === 'ana-a0')!.cluster).toBe(clusterOfA);
    const taxonomy = JSON.parse(readFileSync(path.join(exported, 'taxonomy.json'), 'utf8')) as { tags: { name: string; centre: number[] | null; children: { name: string }[] }[] };
    expect(taxonomy.tags.map((n) => n.name).sort()).toEqual(['bo', 'wide smile']);
    const wide = taxonomy.tags.find((n) => n.name === 'wide smile')!;
    expect(wide.centre).toHaveLength(16);
    expect(wide.children.map((c) => c.name)).toEqual(['just a0']);

    // search --tag: only the faces of the tag and its sub-tags, nearest first.
    const tagged = await output(search, ['--gallery', dir, '--query', path.join(dir, 'img', 'ana-b0.png'), '--aligned', '--tag', '1', '--db', db, '--k', '10', '--experiments-dir', experiments, '--out', path.join(work, 'tag-search.png')]);
    expect(tagged).toMatch(/nearest 5 of 5 faces tagged "wide smile"/);
    expect(resultRows(tagged).map((r) => r.id).sort()).toEqual(['ana-a0', 'ana-a1', 'ana-a2', 'ana-a3', 'ana-a4']);

    expect(await output(tag, ['--db', db, 'rename', '--id', '2', '--name', 'bo face'])).toMatch(/renamed tag 2 "bo" → "bo face"/);
    expect(await output(tag, ['--db', db, 'move', '--id', '3', '--parent', 'none'])).toMatch(/moved tag 3 "just a0" to the top level/);
    expect(await output(tag, ['--db', db, 'move', '--id', '3', '--parent', '1'])).toMatch(/under tag 1 "wide smile"/);
    await expect(tag(['--db', db, 'move', '--id', '1', '--parent', '3'])).rejects.toThrow(/cycle/);
    await expect(tag(['--db', db, 'delete', '--id', '1'])).rejects.toThrow(/has 1 descendant\(s\); pass --with-children/);
    expect(await output(tag, ['--db', db, 'merge', '--into', '2', '--id', '3'])).toMatch(/merged tag 3 "just a0" into tag 2 "bo face"/);
    // The survivor keeps its radius (0.5) and gains ana-a0 as an example: within 0.5 of it are all 5 "a" faces.
    expect(await output(tag, ['--gallery', dir, '--db', db, 'list'])).toMatch(/2 {2}bo face {2}— 8 faces/);
    expect(await output(tag, ['--db', db, 'delete', '--id', '1'])).toMatch(/deleted tag 1 "wide smile"/);
  });

  it('bad flags and arguments give one-line UsageErrors', async () => {
    const usage = (p: Promise<void>) => expect(p).rejects.toBeInstanceOf(UsageError);
    await usage(summary(['--gallery', dir, '--kk', '3']));
    await expect(summary(['--gallery', dir, '--kk', '3'])).rejects.toThrow(/unknown flag --kk/);
    await expect(summary(['--gallery', dir, '--k', 'many'])).rejects.toThrow(/--k must be a number, got "many"/);
    await expect(search(['--gallery', dir])).rejects.toThrow(/--query is required/);
    await expect(search(['--gallery', path.join(work, 'missing'), '--query', demoPhoto])).rejects.toThrow(/gallery folder not found/);
    await expect(tag(['--gallery', dir, '--db', db, 'create', '--name', 'x'])).rejects.toThrow(/needs either --cluster <i> --k <K> or --faces/);
    await expect(tag(['--gallery', dir, 'frobnicate'])).rejects.toThrow(/unknown subcommand "frobnicate"/);
    await expect(embed(['--run', 'nope', '--images', dir, '--experiments-dir', experiments])).rejects.toThrow(/no run at .*nope \(missing config.json\); runs under .*tiny-run/);
    await usage(embed(['--run', runDir, '--images', dir, '--pad', '0.2']));
  });
});

afterEach(() => {
  process.exitCode = undefined;
});
