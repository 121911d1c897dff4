import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEC_OPTIONS, prepareFecDataset, type FecPrepareOptions } from '../src/fec/fec-prepare';
import type { FaceAligner } from '../src/folder/face-aligner';
import { readDataset } from '../src/store';

/**
 * Six photos on a local server, each 200×160 with two bright "faces" (one on the left, one on the right half);
 * photo 5 is dark (the aligner finds nothing in it) and photo 6 is a dead link.
 */
const W = 200;
const H = 160;
const LEFT_BOX = [0.1, 0.4, 0.2, 0.7] as const; // left, right, top, bottom
const RIGHT_BOX = [0.6, 0.9, 0.25, 0.75] as const;
let server: Server;
let base: string;
const photos = new Map<string, Buffer>();
const requests = new Map<string, number>();
const tmp = mkdtempSync(path.join(tmpdir(), 'fec-prepare-'));

async function photo(brightness: number, tint: number): Promise<Buffer> {
  const face = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: brightness, g: tint, b: brightness } } }).png().toBuffer();
  const box = (b: readonly number[]) => ({ left: Math.round(b[0]! * W), top: Math.round(b[2]! * H), w: Math.round((b[1]! - b[0]!) * W), h: Math.round((b[3]! - b[2]!) * H) });
  const [l, r] = [box(LEFT_BOX), box(RIGHT_BOX)];
  return sharp({ create: { width: W, height: H, channels: 3, background: { r: 20, g: 20, b: 20 } } })
    .composite([
      { input: await face(l.w, l.h), left: l.left, top: l.top },
      { input: await face(r.w, r.h), left: r.left, top: r.top },
    ])
    .jpeg()
    .toBuffer();
}

beforeAll(async () => {
  for (let i = 1; i <= 5; i++) photos.set(`/p${i}.jpg`, await photo(i === 5 ? 40 : 230, i === 5 ? 30 : 40 * i));
  server = createServer((req, res) => {
    requests.set(req.url!, (requests.get(req.url!) ?? 0) + 1);
    const body = photos.get(req.url!);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

/** A stand-in for @feenet/alignment's aligner: a "face" is a bright crop; it returns the crop at 32 px. */
function testAligner(log: { w: number; h: number }[], abortAfter?: { n: number; controller: AbortController }): FaceAligner {
  return {
    description: 'test aligner',
    async alignImage(input) {
      const meta = await sharp(input).metadata();
      log.push({ w: meta.width!, h: meta.height! });
      if (abortAfter && log.length >= abortAfter.n) abortAfter.controller.abort();
      const { data } = await sharp(input).resize(32, 32).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const mean = data.reduce((a, b) => a + b, 0) / data.length;
      if (mean < 60) return { ok: false, error: { kind: 'no-face', message: 'no-face: dark' } };
      return { ok: true, width: meta.width!, height: meta.height!, faces: [{ image: { data, width: 32, height: 32 }, box: { x: 1, y: 1, width: 30, height: 30 }, quality: { score: 0.8 }, passesQuality: true, qualityIssues: [] }] };
    },
  };
}

const face = (p: number, box: readonly number[]) => `"${base}/p${p}.jpg",${box.join(',')}`;
const votes = (...v: number[]) => v.map((x, i) => `${i + 1},${x}`).join(',');

function writeCsvs(): { train: string; test: string } {
  const L = LEFT_BOX;
  const R = RIGHT_BOX;
  const train = [
    `${face(1, L)},${face(1, R)},${face(2, L)},ONE_CLASS_TRIPLET,${votes(3, 3, 3, 3, 3, 3)}`,
    `${face(2, L)},${face(2, R)},${face(3, L)},TWO_CLASS_TRIPLET,${votes(1, 1, 1, 1, 2, 3)}`, // 4/6 for face 1
    `${face(3, R)},${face(1, L)},${face(2, R)},THREE_CLASS_TRIPLET,${votes(2, 2, 2, 2, 2, 1)}`,
    `${face(1, R)},${face(3, L)},${face(5, L)},TWO_CLASS_TRIPLET,${votes(3, 3, 3, 3, 3, 3)}`, // photo 5: no face found
    `${face(2, R)},${face(6, L)},${face(1, L)},ONE_CLASS_TRIPLET,${votes(2, 2, 2, 2, 2, 2)}`, // photo 6: dead link
    `${face(1, L)},${face(2, L)},${face(3, R)},THREE_CLASS_TRIPLET,${votes(1, 1, 2, 2, 3, 3)}`, // tie: dropped
    `${face(1, L)},${face(2, L)},TWO_CLASS_TRIPLET`, // malformed: 11 fields
    `${face(3, L)},${face(3, R)},${face(1, R)},TWO_CLASS_TRIPLET,${votes(3, 3, 3, 3, 3, 1)}`,
    `${face(2, L)},${face(1, R)},${face(3, R)},ONE_CLASS_TRIPLET,${votes(1, 1, 1, 1, 1, 1)}`,
  ];
  const test = [
    `${face(4, L)},${face(4, R)},${face(1, L)},TWO_CLASS_TRIPLET,${votes(3, 3, 3, 3, 3, 3)}`,
    `${face(4, R)},${face(2, R)},${face(4, L)},THREE_CLASS_TRIPLET,${votes(2, 2, 2, 2, 1, 1)}`,
  ];
  const files = { train: path.join(tmp, 'faceexp-comparison-data-train-public.csv'), test: path.join(tmp, 'faceexp-comparison-data-test-public.csv') };
  writeFileSync(files.train, `${train.join('\n')}\n`);
  writeFileSync(files.test, `${test.join('\n')}\n`);
  return files;
}

describe('FEC prepare (local server, test aligner)', () => {
  it('downloads each image once, crops by box with margin, drops triplets that lose a face, and reruns without redoing anything', async () => {
    const csv = writeCsvs();
    const out = path.join(tmp, 'fec');
    const options: FecPrepareOptions = { ...DEFAULT_FEC_OPTIONS, trainCsv: csv.train, testCsv: csv.test, margin: 0.25, validationShare: 0.3, download: { retries: 0, perHostPerSecond: 1000 } };

    // First run, interrupted while aligning (after 4 faces).
    const log: { w: number; h: number }[] = [];
    const controller = new AbortController();
    const first = await prepareFecDataset(out, options, { aligner: testAligner(log, { n: 4, controller }), signal: controller.signal });
    expect(first.aborted).toBe(true);
    expect(first.info).toBeNull();
    expect(existsSync(path.join(out, 'dataset.json'))).toBe(false);
    expect(log.length).toBe(4);
    // Six distinct URLs across 9 + 2 rows, each requested once; p6 is dead.
    expect([...requests.entries()].sort()).toEqual(['/p1.jpg', '/p2.jpg', '/p3.jpg', '/p4.jpg', '/p5.jpg', '/p6.jpg'].map((p) => [p, 1]));

    // The rerun finishes: no request, and only the faces not aligned yet go through the aligner.
    const log2: { w: number; h: number }[] = [];
    const s = await prepareFecDataset(out, options, { aligner: testAligner(log2) });
    expect([...requests.values()].every((n) => n === 1)).toBe(true);
    expect(s.download).toMatchObject({ ok: 5, dead: 1, fromCache: 6, downloaded: 0, requests: 0 });
    // Distinct faces: 2 per photo on p1–p4 (8), p5 left, p6 left = 10; p6's is lost to the dead link.
    expect(s.faces).toBe(10);
    expect(s.facesLostToDownloads).toBe(1);
    // 9 crops, plus one look at the whole of p5 after its crop showed no face.
    expect(log.length + log2.length).toBe(10);
    expect([...log, ...log2]).toContainEqual({ w: W, h: H });
    expect(s.facesReused).toBe(4);
    expect(s.facesAligned).toBe(8);
    expect(s.alignmentFailures).toEqual({ 'no-face': 1 });
    // The crop is FEC's box plus 25 % on each side: the left box is 60×80 px → 90×120.
    expect([...log, ...log2]).toContainEqual({ w: 90, h: 120 });

    expect(s.csv[0]).toMatchObject({ rows: 9, tied: 1, lowAgreement: 0, keptPerType: { ONE_CLASS: 3, TWO_CLASS: 3, THREE_CLASS: 1 } });
    expect(s.csv[0]!.malformed).toEqual([{ line: 7, message: 'expected 28 fields, got 11' }]);
    expect(s.tripletsLostFaces).toBe(2); // the no-face and the dead-link rows
    const d = readDataset(out);
    expect(d.info).toMatchObject({ source: 'fec', triplets: { test: 2 } });
    expect(d.info.triplets.train + d.info.triplets.validation).toBe(5);
    expect(s.triplets.test).toEqual({ ONE_CLASS: 0, TWO_CLASS: 1, THREE_CLASS: 1 });
    // The odd one out (majority vote) is the negative; the other two are the pair, with the agreement kept.
    const byId = new Map(d.faces.map((f) => [f.id, f]));
    const url = (id: string) => (byId.get(id)!.source as { url: string }).url.slice(base.length);
    const t2 = d.triplets.find((t) => (t as unknown as { csvLine: number }).csvLine === 2 && t.split !== 'test')!;
    expect([url(t2.anchor), url(t2.positive), url(t2.negative)]).toEqual(['/p2.jpg', '/p3.jpg', '/p2.jpg']);
    expect(t2.agreement).toBeCloseTo(4 / 6, 12);
    expect(t2.type).toBe('TWO_CLASS');
    // p1's left face is in training rows and in a test row: two records, one image.
    const p1Left = d.faces.filter((f) => url(f.id) === '/p1.jpg' && (f.source as { box: { left: number } }).box.left === 0.1);
    expect(new Set(p1Left.map((f) => f.split)).has('test')).toBe(true);
    expect(new Set(p1Left.map((f) => f.file)).size).toBe(1);
    expect(s.facesInTrainAndTest).toBe(2);

    // A third run does nothing new at all.
    const log3: { w: number; h: number }[] = [];
    const s3 = await prepareFecDataset(out, options, { aligner: testAligner(log3) });
    expect(log3).toEqual([]);
    expect(s3.facesReused).toBe(9);
    expect(readDataset(out).triplets).toEqual(d.triplets);
  });
});
