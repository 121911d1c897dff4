import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAligner, type AlignedFace, type Aligner, type FaceLandmarks5, type Point } from '../src/index';

// Faces that fill their photo: crops cut around the faces of face-api's demo photos (read in place), and
// FER2013's 48 px faces (read from ../shared, never copied into the repository).
const require = createRequire(import.meta.url);
const demo = (i: number) => require.resolve(`@vladmandic/face-api/demo/sample${i}.jpg`);
const ferRoot = path.resolve(__dirname, '../../../../shared/data/fer2013');

interface Framing {
  name: string;
  /** Crop side as a multiple of the detector box's longer side (below 1 cuts into the face). */
  scale: number;
  side: number;
  grayscale: boolean;
}
const FRAMINGS: Framing[] = [
  { name: 'box, 350 px', scale: 1.0, side: 350, grayscale: false },
  { name: 'inside the box, 350 px', scale: 0.85, side: 350, grayscale: false },
  { name: 'small, 48 px', scale: 1.1, side: 48, grayscale: false },
  { name: 'grayscale, 200 px', scale: 1.0, side: 200, grayscale: true },
];

interface TightCrop {
  framing: string;
  bytes: Buffer;
  side: number;
  /** The face's landmarks in the full photo, mapped into the crop. */
  expected: FaceLandmarks5;
}

let aligner: Aligner;
const crops: TightCrop[] = [];

beforeAll(async () => {
  aligner = await createAligner();
  for (let i = 1; i <= 6; i++) {
    const photo = await aligner.alignImage(demo(i));
    if (!photo.ok) throw new Error(`sample${i}: ${photo.error.message}`);
    for (const face of photo.faces.filter((f: AlignedFace) => f.passesQuality)) {
      for (const framing of FRAMINGS) {
        const { x, y, width, height } = face.box;
        const s = Math.max(width, height) * framing.scale;
        const left = Math.max(0, Math.round(x + width / 2 - s / 2)), top = Math.max(0, Math.round(y + height / 2 - s / 2));
        const w = Math.min(photo.width - left, Math.round(s)), h = Math.min(photo.height - top, Math.round(s));
        let pipeline = sharp(demo(i)).rotate().extract({ left, top, width: w, height: h }).resize(framing.side, framing.side, { fit: 'fill' });
        if (framing.grayscale) pipeline = pipeline.grayscale();
        const into = (p: Point): Point => ({ x: ((p.x - left) * framing.side) / w, y: ((p.y - top) * framing.side) / h });
        const l = face.landmarks;
        crops.push({
          framing: framing.name,
          bytes: await pipeline.jpeg({ quality: 90 }).toBuffer(),
          side: framing.side,
          expected: { leftEye: into(l.leftEye), rightEye: into(l.rightEye), noseTip: into(l.noseTip), mouthLeft: into(l.mouthLeft), mouthRight: into(l.mouthRight) },
        });
      }
    }
  }
}, 120_000);

const inside = (l: FaceLandmarks5, w: number, h: number) =>
  [l.leftEye, l.rightEye, l.noseTip, l.mouthLeft, l.mouthRight].every((p) => p.x >= 0 && p.y >= 0 && p.x <= w && p.y <= h);

describe('faces that fill the photo', () => {
  it('finds ≥ 95 % of tight crops of the demo faces in every framing, with the eyes where the full photo had them', async () => {
    expect(crops.length).toBeGreaterThanOrEqual(4 * 18);
    const byFraming = new Map<string, { found: number; total: number; framed: number }>();
    for (const crop of crops) {
      const tally = byFraming.get(crop.framing) ?? { found: 0, total: 0, framed: 0 };
      byFraming.set(crop.framing, tally);
      tally.total++;
      const r = await aligner.alignImage(crop.bytes);
      if (!r.ok) continue;
      const face = r.faces[0]!;
      expect(inside(face.landmarks, crop.side, crop.side)).toBe(true);
      // The right face, with its eyes where they were: within a fifth of the eye distance.
      const iod = Math.hypot(crop.expected.rightEye.x - crop.expected.leftEye.x, crop.expected.rightEye.y - crop.expected.leftEye.y);
      for (const eye of ['leftEye', 'rightEye'] as const) {
        expect(Math.hypot(face.landmarks[eye].x - crop.expected[eye].x, face.landmarks[eye].y - crop.expected[eye].y)).toBeLessThan(0.2 * iod);
      }
      tally.found++;
      if (face.foundBy === 'framed') tally.framed++;
    }
    for (const [name, t] of byFraming) {
      console.log(`${name}: ${t.found}/${t.total} found (${t.framed} by the framed look)`);
      expect(t.found / t.total, name).toBeGreaterThanOrEqual(0.95);
    }
    // Without the framed look, the detector alone misses most of them: the look is what finds them.
    const detectorOnly = await createAligner({ framedSearch: false });
    let plain = 0;
    for (const crop of crops.filter((c) => c.framing === 'box, 350 px')) if ((await detectorOnly.alignImage(crop.bytes)).ok) plain++;
    expect(plain).toBeLessThan(byFraming.get('box, 350 px')!.found);
  }, 300_000);

  it.skipIf(!existsSync(ferRoot))('finds ≥ 95 % of 150 FER2013 test faces (48 px, as given), landmarks inside the image', async () => {
    const rows = readFileSync(path.join(ferRoot, 'labels.csv'), 'utf8').trim().split('\n').slice(1).filter((r) => r.endsWith(',test'));
    const sample = Array.from({ length: 150 }, (_, i) => rows[Math.floor((i * rows.length) / 150)]!.split(',')[0]!);
    let found = 0;
    for (const file of sample) {
      const r = await aligner.alignImage(path.join(ferRoot, file));
      if (r.ok && inside(r.faces[0]!.landmarks, 48, 48)) found++;
    }
    console.log(`FER2013 test: ${found}/${sample.length} found`);
    expect(found / sample.length).toBeGreaterThanOrEqual(0.95);
  }, 300_000);

  it('still finds nothing in a blank photo or in noise', async () => {
    const blank = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#9a8070' } }).jpeg().toBuffer();
    const noise = Buffer.alloc(200 * 200 * 3);
    let seed = 7;
    for (let i = 0; i < noise.length; i++) noise[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const noisy = await sharp(noise, { raw: { width: 200, height: 200, channels: 3 } }).png().toBuffer();
    for (const bytes of [blank, noisy]) {
      const r = await aligner.alignImage(bytes);
      expect(r.ok ? 'found' : r.error.kind).toBe('no-face');
    }
  });
});
