import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GalleryFormatError, createGallery, faceImagePath, loadGallery, saveGallery } from '../src/index';
import { randomUnitVectors } from './synthetic';

const root = mkdtempSync(join(tmpdir(), 'feenet-gallery-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function sampleGallery() {
  const matrix = randomUnitVectors(5, 16, 1);
  return createGallery(
    [
      { id: 'a', image: 'faces/a.png', person: 'p1', label: 'happy', split: 'test' },
      { id: 'b', image: '/abs/b.jpg', person: 'p1', label: 'sad' },
      { id: 'c', image: 'faces/c.png' },
      { id: 'd', image: 'faces/d.png', label: 'happy' },
      { id: 'e', image: 'faces/e.png', split: 'val' },
    ],
    matrix,
    { runId: 'run-7' },
  );
}

describe('gallery on disk', () => {
  it('round-trips faces, metadata, model and exact float32 embeddings', async () => {
    const dir = join(root, 'roundtrip');
    const gallery = sampleGallery();
    await saveGallery(dir, gallery);
    const header = JSON.parse(readFileSync(join(dir, 'gallery.json'), 'utf8'));
    expect(header).toMatchObject({ version: 1, dim: 16, count: 5, model: { runId: 'run-7' } });
    expect(readFileSync(join(dir, 'embeddings.f32')).length).toBe(5 * 16 * 4);
    const loaded = await loadGallery(dir);
    expect(loaded.faces).toEqual(gallery.faces);
    expect(loaded.model).toEqual({ runId: 'run-7' });
    expect(Array.from(loaded.embeddings.data)).toEqual(Array.from(gallery.embeddings.data));
    expect(faceImagePath(dir, loaded.faces[0]!)).toBe(join(dir, 'faces/a.png'));
    expect(faceImagePath(dir, loaded.faces[1]!)).toBe('/abs/b.jpg');
  });

  it('reads the little-endian layout the trainer writes (row-major N × dim)', async () => {
    const dir = join(root, 'handwritten');
    const values = Array.from({ length: 2 * 16 }, (_, i) => i / 8 - 1);
    const bytes = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
    await saveGallery(dir, sampleGallery());
    writeFileSync(join(dir, 'embeddings.f32'), bytes);
    writeFileSync(
      join(dir, 'gallery.json'),
      JSON.stringify({ version: 1, dim: 16, count: 2, model: null, faces: [{ id: 'x', image: 'x.png' }, { id: 'y', image: 'y.png' }] }),
    );
    const loaded = await loadGallery(dir);
    expect(loaded.model).toBeNull();
    expect(loaded.embeddings.count).toBe(2);
    expect(Array.from(loaded.embeddings.data.subarray(16, 18))).toEqual([1, 1.125]);
  });

  it('reports a missing folder or file clearly', async () => {
    await expect(loadGallery(join(root, 'nope'))).rejects.toThrow(/gallery folder not found/);
    const dir = join(root, 'missing-bin');
    await saveGallery(dir, sampleGallery());
    rmSync(join(dir, 'embeddings.f32'));
    await expect(loadGallery(dir)).rejects.toThrow(/missing embeddings\.f32/);
  });

  it('refuses a size mismatch between gallery.json and embeddings.f32', async () => {
    const dir = join(root, 'truncated');
    await saveGallery(dir, sampleGallery());
    truncateSync(join(dir, 'embeddings.f32'), 5 * 16 * 4 - 4);
    const error = await loadGallery(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GalleryFormatError);
    expect((error as Error).message).toMatch(/size mismatch, expected 320 bytes \(5 × 16 float32\) but found 316/);
  });

  it('refuses non-finite values, naming the face', async () => {
    const dir = join(root, 'nan');
    await saveGallery(dir, sampleGallery());
    const bytes = readFileSync(join(dir, 'embeddings.f32'));
    bytes.writeFloatLE(Number.NaN, (2 * 16 + 3) * 4);
    writeFileSync(join(dir, 'embeddings.f32'), bytes);
    await expect(loadGallery(dir)).rejects.toThrow(/non-finite value NaN in embedding of face "c" \(row 2, column 3\)/);
  });

  it('refuses a corrupt gallery.json: bad JSON, count mismatch, duplicate ids', async () => {
    const dir = join(root, 'json');
    await saveGallery(dir, sampleGallery());
    const good = JSON.parse(readFileSync(join(dir, 'gallery.json'), 'utf8'));
    writeFileSync(join(dir, 'gallery.json'), '{"version": 1, "dim": 16');
    await expect(loadGallery(dir)).rejects.toThrow(/not valid JSON/);
    writeFileSync(join(dir, 'gallery.json'), JSON.stringify({ ...good, count: 4 }));
    await expect(loadGallery(dir)).rejects.toThrow(/"count" is 4 but "faces" has 5/);
    const faces = [...good.faces];
    faces[4] = { ...faces[4], id: 'a' };
    writeFileSync(join(dir, 'gallery.json'), JSON.stringify({ ...good, faces }));
    await expect(loadGallery(dir)).rejects.toThrow(/duplicate face id "a"/);
  });

  it('refuses to build a gallery whose faces and rows disagree', () => {
    expect(() => createGallery([{ id: 'a', image: 'a.png' }], randomUnitVectors(2, 16, 1))).toThrow(GalleryFormatError);
  });
});
