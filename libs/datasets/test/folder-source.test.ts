import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { FaceAligner } from '../src/folder/face-aligner';
import { DEFAULT_FOLDER_OPTIONS, prepareFolderDataset, scanLabelledFolder, validateFolderOptions, type FolderSourceOptions } from '../src/folder/folder-source';
import { readDataset, type Dataset } from '../src/store';

// FER2013 is research data kept outside the repository: read it from ../shared, relative to the repo root.
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const FER = path.resolve(REPO, '../shared/data/fer2013');
const LABELS = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'];
const tmp = mkdtempSync(path.join(tmpdir(), 'folder-source-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const small = (o: Partial<FolderSourceOptions>): FolderSourceOptions => ({
  ...DEFAULT_FOLDER_OPTIONS,
  root: FER,
  aligned: true,
  maxFacesPerLabel: 8,
  triplets: { train: 300, validation: 20, test: 150 },
  ...o,
});

function checkTriplets(d: Dataset): void {
  const byId = new Map(d.faces.map((f) => [f.id, f]));
  for (const t of d.triplets) {
    const [a, p, n] = [byId.get(t.anchor)!, byId.get(t.positive)!, byId.get(t.negative)!];
    expect(a.label).toBe(p.label);
    expect(n.label).not.toBe(a.label);
    expect(t).toMatchObject({ type: 'TWO_CLASS', agreement: 1 });
  }
}

describe.skipIf(!existsSync(FER))('labelled folders on FER2013', () => {
  it('reads the <split>/<label>/<image> layout: 35,887 faces in 7 labels', async () => {
    const entries = await scanLabelledFolder(FER, null);
    expect(entries).toHaveLength(35887);
    expect([...new Set(entries.map((e) => e.label))].sort()).toEqual(LABELS);
    expect(entries.filter((e) => e.sourceSplit === 'test')).toHaveLength(7178);
    expect(entries[0]).toEqual({ rel: 'test/angry/PrivateTest_10131363.jpg', label: 'angry', sourceSplit: 'test' });
  });

  it('--aligned: RGB faces at the source size, FER test → test, FER train → train + a validation slice, no face in two splits', async () => {
    const out = path.join(tmp, 'fer-small');
    const s = await prepareFolderDataset(out, small({}));
    expect(s.capped).toBe(35887 - 2 * 7 * 8);
    const d = readDataset(out); // also checks every triplet's faces exist and sit in its split
    expect(d.info).toMatchObject({ source: 'folder', imageSize: 48 });
    expect(d.faces).toHaveLength(2 * 7 * 8);
    expect(d.faces.filter((f) => f.split === 'test').every((f) => f.id.startsWith('test/'))).toBe(true);
    expect(d.faces.filter((f) => f.split !== 'test').every((f) => f.id.startsWith('train/'))).toBe(true);
    const nVal = d.faces.filter((f) => f.split === 'validation').length;
    expect(nVal).toBe(Math.round(56 * 0.1));
    for (const l of LABELS) expect(d.faces.filter((f) => f.split === 'test' && f.label === l)).toHaveLength(8);
    expect(d.info.triplets).toEqual({ train: 300, validation: expect.any(Number), test: 150 });
    checkTriplets(d);
    const meta = await sharp(path.join(out, d.faces[0]!.file)).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 48, height: 48, channels: 3 });

    // Same settings: the faces are reused and the same triplets come out; another seed draws other faces.
    const again = await prepareFolderDataset(out, small({}));
    expect(again.reused).toBe(112);
    expect(readDataset(out).triplets).toEqual(d.triplets);
    const other = await prepareFolderDataset(path.join(tmp, 'fer-seed'), small({ seed: 8 }));
    expect(other.reused).toBe(0);
    expect(readDataset(path.join(tmp, 'fer-seed')).faces.map((f) => f.id)).not.toEqual(d.faces.map((f) => f.id));
  });

  it('--limit caps each source split; --image-size and --pad resize and frame the faces', async () => {
    const out = path.join(tmp, 'fer-limit');
    const s = await prepareFolderDataset(out, small({ maxFacesPerLabel: null, limit: 40, imageSize: 64, pad: 1 / 6, triplets: { train: 50, validation: 0, test: 50 } }));
    expect(s.info.faces.train + s.info.faces.validation).toBe(40);
    expect(s.info.faces.test).toBe(40);
    const d = readDataset(out);
    const { data, info } = await sharp(path.join(out, d.faces[0]!.file)).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([64, 64, 3]);
    // With a replicated border, the outer rows repeat the first row of the face (here at 8 px).
    const row = (y: number) => data.subarray(y * 64 * 3, (y + 1) * 64 * 3);
    expect(Buffer.from(row(0)).equals(Buffer.from(row(7)))).toBe(true);
  });

  it('with identities from a CSV: splits never share a person, and similar pairs come from different people', async () => {
    // 12 made-up people, each with faces of several labels (paths into the real FER folders).
    const entries = (await scanLabelledFolder(FER, null)).filter((e) => e.sourceSplit === 'test');
    const rows = ['path,label,identity'];
    for (const l of LABELS) {
      entries
        .filter((e) => e.label === l)
        .slice(0, 24)
        .forEach((e, i) => rows.push(`${e.rel},${l},person${i % 12}`));
    }
    const csv = path.join(tmp, 'labels.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const o = small({ labelsCsv: csv, maxFacesPerLabel: null, splitShares: { train: 0.5, validation: 0.25, test: 0.25 }, triplets: { train: 400, validation: 100, test: 100 } });
    await prepareFolderDataset(path.join(tmp, 'ids'), o);
    const d = readDataset(path.join(tmp, 'ids'));
    const splitsOf = new Map<string, Set<string>>();
    for (const f of d.faces) splitsOf.set(f.person!, (splitsOf.get(f.person!) ?? new Set()).add(f.split));
    expect(splitsOf.size).toBe(12);
    for (const s of splitsOf.values()) expect(s.size).toBe(1);
    checkTriplets(d);
    const person = new Map(d.faces.map((f) => [f.id, f.person]));
    expect(d.triplets.filter((t) => person.get(t.anchor) === person.get(t.positive))).toHaveLength(0);
    // The setting matters: without it, some pairs are one person.
    await prepareFolderDataset(path.join(tmp, 'ids-same'), { ...o, crossIdentityPairs: false });
    const same = readDataset(path.join(tmp, 'ids-same'));
    expect(same.triplets.filter((t) => person.get(t.anchor) === person.get(t.positive)).length).toBeGreaterThan(0);
  });

  it('without --aligned, faces go through the aligner: its crops are written, faces it rejects are counted and dropped', async () => {
    let calls = 0;
    // A stand-in with the aligner's interface: "finds" a face in images whose mean is bright enough.
    const aligner: FaceAligner = {
      description: 'test aligner',
      async alignImage(input) {
        calls++;
        const { data, info } = await sharp(input).resize(32, 32).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
        const mean = data.reduce((a, b) => a + b, 0) / data.length;
        if (mean < 90) return { ok: false, error: { kind: 'no-face', message: 'no-face: too dark' } };
        return { ok: true, width: info.width, height: info.height, faces: [{ image: { data, width: 32, height: 32 }, box: { x: 0, y: 0, width: 32, height: 32 }, quality: { score: 0.9 }, passesQuality: true, qualityIssues: [] }] };
      },
    };
    const out = path.join(tmp, 'fer-aligned-by-test');
    const s = await prepareFolderDataset(out, small({ aligned: false, maxFacesPerLabel: 4, imageSize: 32, triplets: { train: 30, validation: 0, test: 30 } }), { aligner });
    expect(calls).toBe(56);
    const dropped = s.failures['no-face'] ?? 0;
    expect(dropped).toBeGreaterThan(0);
    const d = readDataset(out);
    expect(d.faces).toHaveLength(56 - dropped);
    expect(d.faces[0]!.source).toMatchObject({ score: 0.9, passesQuality: true });
    await expect(prepareFolderDataset(path.join(tmp, 'x'), small({ aligned: false }))).rejects.toThrow(/needs an aligner/);
  });

  it('validates settings', () => {
    expect(validateFolderOptions(small({}))).toBeUndefined();
    expect(validateFolderOptions(small({ limit: 0 }))).toMatch(/limit/);
    expect(validateFolderOptions(small({ splitShares: { train: 0.5, validation: 0.1, test: 0.1 } }))).toMatch(/summing to 1/);
    expect(validateFolderOptions(small({ detector: 'yolo' as never }))).toMatch(/detector/);
  });
});
