/**
 * Writes docs/synthetic-faces.jpg: generated faces, one identity per row, one expression class per column,
 * with intensity growing down the rows. Run: npx tsx --tsconfig tools/research/tsconfig.json tools/research/synthetic-grid.ts
 */
import sharp, { type OverlayOptions } from 'sharp';
import { EXPRESSION_PROTOTYPES, SeededRandom, randomIdentity, randomPose, renderFace, sampleExpression } from '@feenet/datasets';

const size = 112;
const labels = Object.keys(EXPRESSION_PROTOTYPES);
const rows = 5;
const rng = new SeededRandom(11);
const tiles: OverlayOptions[] = [];
for (let r = 0; r < rows; r++) {
  const identity = randomIdentity(rng);
  labels.forEach((label, c) => {
    const params = sampleExpression(rng, label);
    const pixels = renderFace(size, identity, params, randomPose(rng), rng);
    tiles.push({ input: Buffer.from(pixels), raw: { width: size, height: size, channels: 3 }, left: c * size, top: 24 + r * size });
  });
}
const header = Buffer.from(
  `<svg width="${labels.length * size}" height="24" xmlns="http://www.w3.org/2000/svg">${labels
    .map((l, c) => `<text x="${c * size + size / 2}" y="17" font-family="sans-serif" font-size="14" text-anchor="middle" fill="#222">${l}</text>`)
    .join('')}</svg>`,
);
tiles.push({ input: header, left: 0, top: 0 });
void sharp({ create: { width: labels.length * size, height: 24 + rows * size, channels: 3, background: '#ffffff' } })
  .composite(tiles)
  .jpeg({ quality: 85 })
  .toFile(process.argv[2] ?? 'docs/synthetic-faces.jpg');
