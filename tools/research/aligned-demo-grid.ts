/**
 * Regenerates docs/aligned-demo.png: every face of the face-api demo photos, aligned, at half size, in
 * detection order per photo. A red frame marks faces failing the default quality thresholds; the cyan ticks
 * mark the template's eye positions (y = 0.4·size, x = size/2 ± 35 px at 224).
 * Run from the repo root: npx tsx --tsconfig tools/research/tsconfig.json tools/research/aligned-demo-grid.ts
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createAligner, templateForSize, type AlignedFace } from '@feenet/alignment';

const require = createRequire(import.meta.url);
const TILE = 112;
const COLUMNS = 8;

function tile(face: AlignedFace): Buffer {
  const { width, data } = face.image;
  const out = Buffer.from(data);
  const set = (x: number, y: number, rgb: readonly number[]) => out.set(rgb, (y * width + x) * 3);
  const t = templateForSize(width);
  for (const eye of [t.leftEye, t.rightEye]) {
    for (let d = -6; d <= 6; d++) {
      set(Math.round(eye.x) + d, Math.round(eye.y), [0, 255, 255]);
      set(Math.round(eye.x), Math.round(eye.y) + d, [0, 255, 255]);
    }
  }
  if (!face.passesQuality) {
    for (let i = 0; i < width; i++) for (let k = 0; k < 5; k++) {
      set(i, k, [255, 0, 0]); set(i, width - 1 - k, [255, 0, 0]); set(k, i, [255, 0, 0]); set(width - 1 - k, i, [255, 0, 0]);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const aligner = await createAligner();
  const tiles: Buffer[] = [];
  for (let i = 1; i <= 6; i++) {
    const r = await aligner.alignImage(require.resolve(`@vladmandic/face-api/demo/sample${i}.jpg`));
    if (!r.ok) throw new Error(`sample${i}: ${r.error.message}`);
    for (const face of r.faces) {
      tiles.push(await sharp(tile(face), { raw: { width: face.image.width, height: face.image.height, channels: 3 } }).resize(TILE, TILE).png().toBuffer());
    }
  }
  const rows = Math.ceil(tiles.length / COLUMNS);
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/aligned-demo.png');
  await sharp({ create: { width: COLUMNS * TILE, height: rows * TILE, channels: 3, background: '#ffffff' } })
    .composite(tiles.map((input, k) => ({ input, left: (k % COLUMNS) * TILE, top: Math.floor(k / COLUMNS) * TILE })))
    .png({ compressionLevel: 9, palette: true, colours: 192, dither: 0.6 }) // palette keeps the committed file < 300 KB
    .toFile(file);
  console.log(`${tiles.length} faces → ${file}`);
}

void main();
