import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alignFolder, MANIFEST_FILE, readManifest, type ManifestLine } from '../src/index';

const require = createRequire(import.meta.url);
const demo = (i: number) => require.resolve(`@vladmandic/face-api/demo/sample${i}.jpg`);

/** A temp folder of 3 demo photos (copied to os.tmpdir(), never into the repo) and 3 bad files. */
function makeInput(): string {
  const input = mkdtempSync(path.join(tmpdir(), 'alignment-batch-in-'));
  mkdirSync(path.join(input, 'nested', 'deeper'), { recursive: true });
  copyFileSync(demo(1), path.join(input, 'a.jpg'));
  copyFileSync(demo(5), path.join(input, 'nested', 'b.jpg'));
  copyFileSync(demo(6), path.join(input, 'nested', 'deeper', 'c.jpg'));
  writeFileSync(path.join(input, 'notes.txt'), 'not an image');
  writeFileSync(path.join(input, 'nested', 'truncated.jpg'), readFileSync(demo(2)).subarray(0, 20_000));
  writeFileSync(path.join(input, '.DS_Store'), 'hidden files are skipped');
  return input;
}

const lines = (file: string): ManifestLine[] =>
  readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ManifestLine);

describe('alignFolder', () => {
  it('an empty folder is a clean zero summary', async () => {
    const input = mkdtempSync(path.join(tmpdir(), 'alignment-empty-'));
    const s = await alignFolder({ input, output: path.join(input, 'out'), workers: 0 });
    expect(s).toMatchObject({ total: 0, processed: 0, faces: 0, aborted: false });
  });

  it('runs on 2 worker threads, stops on abort, resumes after a crash without redoing finished files', async () => {
    const input = makeInput();
    const output = mkdtempSync(path.join(tmpdir(), 'alignment-batch-out-'));
    const manifest = path.join(output, MANIFEST_FILE);

    // Run 1: abort after the first finished file; files already in flight finish and are recorded.
    const controller = new AbortController();
    const first = await alignFolder({ input, output, workers: 2, signal: controller.signal }, () => controller.abort());
    expect(first.description).toMatch(/face-api .* on wasm/);
    expect(first.aborted).toBe(true);
    expect(first.processed).toBeGreaterThanOrEqual(1);
    expect(first.processed).toBeLessThan(5);
    const afterFirst = readManifest(manifest);
    expect(afterFirst.completed.size).toBe(first.processed);

    // Simulate a kill mid-write: a truncated last line.
    appendFileSync(manifest, '{"type":"face","source":"nested/deeper/c.jpg","face":0,"fac');

    // Run 2: finishes the rest, redoes nothing that was complete.
    const seen: string[] = [];
    const second = await alignFolder({ input, output, workers: 2 }, (p) => seen.push(p.last!.source));
    expect(second.aborted).toBe(false);
    expect(second.skipped).toBe(first.processed);
    expect(second.processed).toBe(5 - first.processed);
    expect(second.droppedManifestLines).toBe(1);
    for (const source of afterFirst.completed) expect(seen).not.toContain(source);

    // The manifest is complete: 3 photos with 3 + 5 + 4 faces, 2 failures, no duplicates, every crop on disk.
    const all = lines(manifest);
    const faces = all.filter((l) => l.type === 'face');
    const failures = all.filter((l) => l.type === 'failure');
    expect(faces.length).toBe(12);
    expect(new Set(faces.map((l) => `${l.source}#${l.face}`)).size).toBe(12);
    expect(new Set(faces.map((l) => l.source))).toEqual(new Set(['a.jpg', 'nested/b.jpg', 'nested/deeper/c.jpg']));
    for (const f of faces) expect(existsSync(path.join(output, f.crop))).toBe(true);
    expect(failures.map((l) => [l.source, l.kind]).sort()).toEqual([['nested/truncated.jpg', 'corrupt'], ['notes.txt', 'not-an-image']]);
    const total = { ...first.failures };
    for (const [k, n] of Object.entries(second.failures)) total[k as keyof typeof total] = (total[k as keyof typeof total] ?? 0) + n;
    expect(total).toEqual({ corrupt: 1, 'not-an-image': 1 });

    // Run 3: nothing left to do.
    const third = await alignFolder({ input, output, workers: 0 });
    expect(third).toMatchObject({ total: 5, skipped: 5, processed: 0 });
    expect(lines(manifest).length).toBe(14);
  });
});
