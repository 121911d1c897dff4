/**
 * Alignment benchmark: `nx run alignment:bench`. Prints, per set, the share of images with a face (and how it
 * was found), images/s and the mean time per stage:
 * - face-api's demo photos (1920 px group photos);
 * - tight crops cut around the demo faces (350 px, the face filling the frame), with each detector, in one
 *   thread and through `alignFolder` on every core;
 * - 1,000 FER2013 test and 1,000 train faces (48 px, as given), read from ../shared/data/fer2013.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { alignFolder, createAligner, type AlignerOptions, type StageTimings } from '../src/index';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ferRoot = path.resolve(repoRoot, '../shared/data/fer2013');

async function bench(name: string, files: readonly string[], options: AlignerOptions): Promise<void> {
  const aligner = await createAligner(options);
  await aligner.alignImage(files[0]!); // warm-up: first inference compiles wasm kernels
  const sum: StageTimings = { decodeMs: 0, detectMs: 0, landmarksMs: 0, warpMs: 0 };
  let faces = 0, withFace = 0, framed = 0;
  const t0 = performance.now();
  for (const file of files) {
    const r = await aligner.alignImage(file);
    for (const k of Object.keys(sum) as (keyof StageTimings)[]) sum[k] += r.timings[k];
    if (r.ok) {
      faces += r.faces.length;
      withFace++;
      if (r.faces[0]!.foundBy === 'framed') framed++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const per = (ms: number) => `${(ms / files.length).toFixed(1)} ms`;
  console.log(`\n${name}  [${aligner.description}]`);
  console.log(`  images ${files.length}, with a face ${withFace} (${((100 * withFace) / files.length).toFixed(1)} %; ${framed} by the framed look), faces ${faces}`);
  console.log(`  ${(files.length / seconds).toFixed(2)} images/s, ${(faces / seconds).toFixed(2)} faces/s in one thread (${seconds.toFixed(1)} s)`);
  console.log(`  per image: decode ${per(sum.decodeMs)}, detect ${per(sum.detectMs)}, landmarks ${per(sum.landmarksMs)}, warp+quality ${per(sum.warpMs)}`);
  aligner.dispose();
}

/** `alignFolder` on every core: the batch path of `trainer:align`. */
async function benchFolder(name: string, input: string, options: AlignerOptions): Promise<void> {
  const output = mkdtempSync(path.join(tmpdir(), 'align-bench-'));
  try {
    const workers = availableParallelism();
    const s = await alignFolder({ input, output, workers, aligner: options });
    const found = s.facesFoundBy.detector + s.facesFoundBy.framed;
    console.log(`\n${name}, alignFolder with ${workers} workers  [${s.description}]`);
    console.log(`  ${s.processed} images, ${found} faces (${s.facesFoundBy.framed} by the framed look), failures ${JSON.stringify(s.failures)}`);
    console.log(`  ${(s.processed / s.seconds).toFixed(2)} images/s (${s.seconds.toFixed(1)} s, worker start-up included)`);
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
}

/** Crops around every face the default aligner finds in the demo photos, `side` px, and their mirror images. */
async function tightCrops(dir: string, side: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const aligner = await createAligner({ framedSearch: false });
  const files: string[] = [];
  for (let i = 1; i <= 6; i++) {
    const photo = require.resolve(`@vladmandic/face-api/demo/sample${i}.jpg`);
    const r = await aligner.alignImage(photo);
    if (!r.ok) continue;
    for (const face of r.faces) {
      const { x, y, width, height } = face.box;
      const s = Math.max(width, height);
      const left = Math.max(0, Math.round(x + width / 2 - s / 2)), top = Math.max(0, Math.round(y + height / 2 - s / 2));
      const extract = { left, top, width: Math.min(r.width - left, Math.round(s)), height: Math.min(r.height - top, Math.round(s)) };
      for (const mirror of [false, true]) {
        const file = path.join(dir, `sample${i}-${face.index}${mirror ? '-mirror' : ''}.jpg`);
        let p = sharp(photo).rotate().extract(extract).resize(side, side, { fit: 'fill' });
        if (mirror) p = p.flop();
        await writeFile(file, await p.jpeg({ quality: 90 }).toBuffer());
        files.push(file);
      }
    }
  }
  aligner.dispose();
  return files;
}

/** `n` crops of one split spread evenly over labels.csv (every k-th row), so every label appears. */
function ferSample(n: number, split: 'train' | 'test'): string[] {
  const rows = readFileSync(path.join(ferRoot, 'labels.csv'), 'utf8').trim().split('\n').slice(1).filter((r) => r.endsWith(`,${split}`));
  const step = rows.length / n;
  return Array.from({ length: n }, (_, i) => path.join(ferRoot, rows[Math.floor(i * step)]!.split(',')[0]!));
}

async function main(): Promise<void> {
  console.log(`cpu: ${cpus()[0]?.model ?? '?'} ×${cpus().length}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const demo = [1, 2, 3, 4, 5, 6].map((i) => require.resolve(`@vladmandic/face-api/demo/sample${i}.jpg`));
  await bench('face-api demo photos (1920 px, detector input 1024 px)', demo, {});

  const tightDir = mkdtempSync(path.join(tmpdir(), 'tight-crops-'));
  try {
    const tight = await tightCrops(tightDir, 350);
    const tiny: AlignerOptions = { faceApi: { model: 'tiny-face-detector' } };
    await bench('tight crops of the demo faces, 350 px, and their mirror images', tight, {});
    await bench('the same tight crops, tiny detector', tight, tiny);
    await benchFolder('the same tight crops', tightDir, {});
    await benchFolder('the same tight crops, tiny detector', tightDir, tiny);
  } finally {
    rmSync(tightDir, { recursive: true, force: true });
  }

  if (!existsSync(ferRoot)) {
    console.log(`\nFER2013 not found at ${ferRoot}: skipped`);
  } else {
    await bench('FER2013 test split, 1,000 faces (48×48 gray, as given)', ferSample(1000, 'test'), {});
    await bench('FER2013 train split, 1,000 faces (same settings)', ferSample(1000, 'train'), {});
  }
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
