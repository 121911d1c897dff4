/** POST /api/gallery/face-atlas, called directly, over a three-face gallery in a temporary workspace. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGallery, embeddingMatrix, saveGallery } from '@feenet/clustering';

const workspace = mkdtempSync(path.join(tmpdir(), 'workbench-atlas-'));
const GALLERY = 'data/galleries/three';
let atlas: typeof import('../app/api/gallery/face-atlas/route');

beforeAll(async () => {
  process.env.FEENET_WORKSPACE = workspace;
  mkdirSync(path.join(workspace, 'experiments'), { recursive: true });
  const dir = path.join(workspace, GALLERY);
  mkdirSync(dir, { recursive: true });
  // Three faces, each one flat colour: red, green, blue.
  const colours = [{ r: 255, g: 0, b: 0 }, { r: 0, g: 255, b: 0 }, { r: 0, g: 0, b: 255 }];
  for (const [i, background] of colours.entries()) {
    await sharp({ create: { width: 40, height: 40, channels: 3, background } }).png().toFile(path.join(dir, `f${i}.png`));
  }
  const faces = colours.map((_, i) => ({ id: `f${i}`, image: `f${i}.png` }));
  await saveGallery(dir, createGallery(faces, embeddingMatrix(new Float32Array(3 * 4).fill(0.5), 4)));
  atlas = await import('../app/api/gallery/face-atlas/route');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const post = (body: unknown) => atlas.POST(new Request('http://localhost/api/gallery/face-atlas', { method: 'POST', body: JSON.stringify(body) }));

describe('POST /api/gallery/face-atlas', () => {
  it('answers the faces asked for, in order, in one PNG grid', async () => {
    const response = await post({ gallery: GALLERY, faces: ['f2', 'f0', 'f1', 'f2'], size: 16 });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const { data, info } = await sharp(Buffer.from(await response.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([64, 16]);
    const centre = (cell: number) => Array.from(data.subarray((8 * info.width + cell * 16 + 8) * info.channels, (8 * info.width + cell * 16 + 8) * info.channels + 3));
    expect([centre(0), centre(1), centre(2), centre(3)]).toEqual([[0, 0, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255]]);
  });

  it('refuses bad requests, an unknown face and a gallery outside the roots', async () => {
    expect((await post({ gallery: GALLERY, faces: [], size: 16 })).status).toBe(400);
    expect((await post({ gallery: GALLERY, faces: Array.from({ length: 65 }, () => 'f0'), size: 16 })).status).toBe(400);
    expect((await post({ gallery: GALLERY, faces: ['f0'], size: 4000 })).status).toBe(400);
    expect((await post({ gallery: GALLERY, faces: [0], size: 16 })).status).toBe(400);
    expect((await post({ gallery: GALLERY, faces: ['f0', 'nobody'], size: 16 })).status).toBe(404);
    expect((await post({ gallery: 'data/../../etc', faces: ['f0'], size: 16 })).status).toBe(403);
  });
});
