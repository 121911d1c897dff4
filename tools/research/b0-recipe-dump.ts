/**
 * Writes a prepared dataset's faces and triplets where `b0_recipe_probe.py` reads them, so B0 recipes can be
 * screened in PyTorch (3–5× faster per step on this CPU) before a measured tfjs run:
 *
 *   npx tsx --tsconfig tools/research/tsconfig.json tools/research/b0-recipe-dump.ts <dataset dir> <out dir> [size=64] [region=face-box|inner-face|whole|t,l,b,r]
 *
 * <out>/faces.u8: [n, size, size, 3] RGB read exactly as training reads them (`readFaceImages`, the same region);
 * <out>/faces.json: id, split and (synthetic faces) the true expression parameters; <out>/triplets.jsonl: a copy.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NAMED_FACE_REGIONS, faceRegionFromText, readFaceImages } from '@feenet/feenet';
import { readDataset } from '@feenet/datasets';

const [root, out, size = '64', region = 'face-box'] = process.argv.slice(2);
const parsed = faceRegionFromText(region);
if (!root || !out || 'problem' in parsed) {
  console.error(`usage: b0-recipe-dump.ts <dataset dir> <out dir> [size=64] [region=${Object.keys(NAMED_FACE_REGIONS).join('|')}|top,left,bottom,right]`);
  if ('problem' in parsed) console.error(parsed.problem);
  process.exit(2);
}
const box = parsed.region;
async function main(root: string, out: string): Promise<void> {
  const dataset = readDataset(root);
  mkdirSync(out, { recursive: true });
  const pixels = await readFaceImages(
    dataset.faces.map((f) => path.resolve(dataset.root, f.file)),
    Number(size),
    (done, total) => process.stdout.write(`\rfaces ${done}/${total}`),
    box,
  );
  writeFileSync(path.join(out, 'faces.u8'), pixels);
  const params = (f: (typeof dataset.faces)[number]) => (f.source as { params?: Record<string, number> } | undefined)?.params ?? null;
  writeFileSync(path.join(out, 'faces.json'), JSON.stringify({ size: Number(size), faces: dataset.faces.map((f) => ({ id: f.id, split: f.split, params: params(f) })) }));
  copyFileSync(path.join(dataset.root, 'triplets.jsonl'), path.join(out, 'triplets.jsonl'));
  console.log(`\n${dataset.faces.length} faces at ${size} px (${region}) → ${out}`);
}

main(root, out).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
