import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeContactSheet } from '../src/index';

const root = mkdtempSync(join(tmpdir(), 'feenet-sheet-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const colours = [
  { r: 220, g: 20, b: 20 },
  { r: 20, g: 200, b: 20 },
  { r: 20, g: 20, b: 220 },
];
const images = [join(root, 'red.png'), join(root, 'green.jpg'), join(root, 'blue.png')];

beforeAll(async () => {
  // Different sizes and formats, as real face crops are.
  await sharp({ create: { width: 300, height: 300, channels: 3, background: colours[0]! } }).png().toFile(images[0]!);
  await sharp({ create: { width: 64, height: 64, channels: 3, background: colours[1]! } }).jpeg().toFile(images[1]!);
  await sharp({ create: { width: 120, height: 90, channels: 4, background: { ...colours[2]!, alpha: 1 } } }).png().toFile(images[2]!);
});

async function pixel(file: string, x: number, y: number) {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const o = (y * info.width + x) * info.channels;
  return { r: data[o]!, g: data[o + 1]!, b: data[o + 2]! };
}

describe('writeContactSheet', () => {
  it('lays images out in a grid of equal cells with captions underneath', async () => {
    const out = join(root, 'sheets', 'sheet.png');
    await writeContactSheet(
      images.map((image, i) => ({ image, caption: `face ${i}  d=0.${i}` })),
      out,
      { columns: 2, cellSize: 100, gap: 10 },
    );
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe('png');
    // 2 columns: 10 + 2 × 110; 2 rows: 10 + 2 × (100 + 20 caption + 10).
    expect([meta.width, meta.height]).toEqual([230, 270]);
    const cellCentres = [
      [60, 60],
      [170, 60],
      [60, 190],
    ] as const;
    for (const [i, [x, y]] of cellCentres.entries()) {
      const p = await pixel(out, x, y);
      const c = colours[i]!;
      expect(Math.abs(p.r - c.r) + Math.abs(p.g - c.g) + Math.abs(p.b - c.b)).toBeLessThan(30);
    }
    // Caption strip under the first image holds dark text pixels.
    const { data, info } = await sharp(out).extract({ left: 10, top: 110, width: 100, height: 20 }).raw().toBuffer({ resolveWithObject: true });
    let dark = 0;
    for (let i = 0; i < data.length; i += info.channels) if (data[i]! < 128) dark++;
    expect(dark).toBeGreaterThan(10);
  });

  it('names the image it cannot read', async () => {
    await expect(writeContactSheet([{ image: join(root, 'missing.png') }], join(root, 'x.png'))).rejects.toThrow(/missing\.png/);
  });
});
