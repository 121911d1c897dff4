/**
 * Alignment benchmark: `nx run alignment:bench`. Prints images/s, faces/s and mean time per stage on the
 * face-api demo photos (ssd-mobilenet-v1) and on 1,000 FER2013 test crops + 200 train crops (48×48 grayscale,
 * read from ../shared/data/fer2013; upscaled to 96 px and padded before detection, tiny-face-detector), in one thread.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAligner, type AlignerOptions, type StageTimings } from '../src/index';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ferRoot = path.resolve(repoRoot, '../shared/data/fer2013');

async function bench(name: string, files: readonly string[], options: AlignerOptions): Promise<void> {
  const aligner = await createAligner(options);
  await aligner.alignImage(files[0]!); // warm-up: first inference compiles wasm kernels
  const sum: StageTimings = { decodeMs: 0, detectMs: 0, landmarksMs: 0, warpMs: 0 };
  let faces = 0, withFace = 0;
  const t0 = performance.now();
  for (const file of files) {
    const r = await aligner.alignImage(file);
    for (const k of Object.keys(sum) as (keyof StageTimings)[]) sum[k] += r.timings[k];
    if (r.ok) { faces += r.faces.length; withFace++; }
  }
  const seconds = (performance.now() - t0) / 1000;
  const per = (ms: number) => `${(ms / files.length).toFixed(1)} ms`;
  console.log(`\n${name}  [${aligner.description}]`);
  console.log(`  images ${files.length}, with a face ${withFace} (${((100 * withFace) / files.length).toFixed(1)}%), faces ${faces}`);
  console.log(`  ${(files.length / seconds).toFixed(2)} images/s, ${(faces / seconds).toFixed(2)} faces/s (${seconds.toFixed(1)} s)`);
  console.log(`  per image: decode ${per(sum.decodeMs)}, detect ${per(sum.detectMs)}, landmarks ${per(sum.landmarksMs)}, warp+quality ${per(sum.warpMs)}`);
  if (faces > 0) console.log(`  per face: landmarks ${(sum.landmarksMs / faces).toFixed(1)} ms, warp+quality ${(sum.warpMs / faces).toFixed(1)} ms`);
  aligner.dispose();
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
  if (!existsSync(ferRoot)) {
    console.log(`\nFER2013 not found at ${ferRoot}: skipped`);
  } else {
    const ferOptions: AlignerOptions = { faceApi: { model: 'tiny-face-detector', minConfidence: 0.3, tinyInputSize: 224 } };
    // The test split: the train split's JPEGs here are far blurrier (median 785 vs 1,579 bytes) and mostly undetectable.
    await bench('FER2013 test split, 1,000 crops (48×48 gray → 96 px + 48 px grey margin for detection)', ferSample(1000, 'test'), ferOptions);
    await bench('FER2013 train split, 200 crops (same settings)', ferSample(200, 'train'), ferOptions);
  }
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
