#!/usr/bin/env node
// Screenshots of each notebook cell for the README, taken from a running workbench:
//   node apps/workbench/scripts/screenshots.mjs http://127.0.0.1:3000 [out-dir] [query-photo]
// It opens the starter notebook, waits for each cell to finish loading, runs one search, zooms the map in to its
// faces, inspects the run's rated triplets and imports a folder (data/<photo-folder>, default demo-photos, if it
// exists), and writes <cell>.png files (default out-dir: apps/workbench/docs/screenshots).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const [url = 'http://127.0.0.1:3000', outDir = path.join(here, '..', 'docs', 'screenshots'), photo = path.join(here, '../../../node_modules/@vladmandic/face-api/demo/sample2.jpg')] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
await page.goto(url);
await page.waitForURL(/\/notebooks\//);
const cell = (kind) => page.locator(`[data-testid=cell-${kind}]`).first();
const shoot = async (kind, name = kind) => {
  await cell(kind).scrollIntoViewIfNeeded();
  await page.waitForTimeout(400);
  await cell(kind).screenshot({ path: path.join(outDir, `${name}.png`) });
  console.log(`wrote ${path.join(outDir, `${name}.png`)}`);
};

await cell('experiments').locator('[data-testid=compare] [data-testid=learning-curves] path').first().waitFor({ timeout: 60_000 });
await shoot('experiments');

const map = cell('map');
const canvas = map.locator('[data-testid=map][data-projection=done] canvas');
await canvas.waitFor({ timeout: 600_000 });
await page.waitForTimeout(500);
await canvas.scrollIntoViewIfNeeded();
const box = await canvas.boundingBox();
// Hover near the densest part of the picture: scan for a painted pixel from the centre outwards.
const point = await canvas.evaluate((el) => {
  const ctx = el.getContext('2d');
  const { data, width, height } = ctx.getImageData(0, 0, el.width, el.height);
  for (let r = 0; r < Math.max(width, height); r += 2) {
    for (let a = 0; a < 360; a += 10) {
      const x = Math.round(width / 2 + r * Math.cos((a * Math.PI) / 180));
      const y = Math.round(height / 2 + r * Math.sin((a * Math.PI) / 180));
      if (x >= 0 && y >= 0 && x < width && y < height && data[(y * width + x) * 4 + 3] > 0) return { x: x + 1, y: y + 1 };
    }
  }
  return { x: width / 2, y: height / 2 };
});
await page.mouse.move(box.x + point.x, box.y + point.y);
await map.locator('[data-testid=map-tooltip] img').waitFor();
await page.waitForTimeout(500);
await shoot('map');

// Zoomed in on the same spot until the faces are drawn, then one selected.
for (let i = 0; i < 40 && Number((await map.locator('[data-testid=map]').getAttribute('data-thumbnails')) ?? 0) === 0; i++) {
  await page.mouse.wheel(0, -240);
  await page.waitForTimeout(120);
}
await page.waitForTimeout(1500);
await page.mouse.click(box.x + point.x, box.y + point.y);
await page.waitForTimeout(800);
await shoot('map', 'map-faces');

const clusters = cell('clusters');
await clusters.locator('[data-testid=clusters]').waitFor({ timeout: 60_000 });
await shoot('clusters');

await cell('search').locator('[data-testid=search-file]').setInputFiles(photo);
await cell('search').locator('[data-testid=search-results] img').last().waitFor({ timeout: 120_000 });
await page.waitForTimeout(800);
await shoot('search');

const summary = cell('summary');
await summary.locator('[data-testid=summary] img, .muted').first().waitFor({ timeout: 60_000 });
await page.waitForTimeout(800);
await shoot('summary');

await cell('taxonomy').getByRole('button', { name: 'Apply to gallery' }).click();
await page.waitForTimeout(1500);
await shoot('taxonomy');

const addCell = async (kind, title) => {
  if ((await page.locator(`[data-testid=cell-${kind}]`).count()) === 0) await page.getByRole('button', { name: `+ ${title}` }).click();
};

await addCell('triplets', 'Triplet inspector');
const triplets = cell('triplets');
await triplets.locator('[data-testid=triplet-source]').selectOption('run');
await triplets.locator('[data-testid=triplet]').first().waitFor({ timeout: 120_000 });
await triplets.scrollIntoViewIfNeeded();
// Every thumbnail loaded (lazy images load once scrolled to).
for (const img of await triplets.locator('img').all()) {
  await img.scrollIntoViewIfNeeded();
  await img.evaluate((el) => (el.complete ? undefined : new Promise((resolve) => el.addEventListener('load', resolve, { once: true }))));
}
await page.waitForTimeout(500);
// The first rows only: the most confident mistakes.
await triplets.scrollIntoViewIfNeeded();
const tripletsBox = await triplets.boundingBox();
const scrollY = await page.evaluate(() => window.scrollY);
await page.screenshot({ path: path.join(outDir, 'triplets.png'), fullPage: true, clip: { ...tripletsBox, y: tripletsBox.y + scrollY, height: Math.min(tripletsBox.height, 900) } });
console.log(`wrote ${path.join(outDir, 'triplets.png')}`);

await addCell('import', 'Import photos');
const imports = cell('import');
const folder = process.env.SCREENSHOT_PHOTO_FOLDER ?? 'demo-photos';
if (await imports.locator(`[data-testid=import-folder] option[value="${folder}"]`).count()) {
  await imports.locator('[data-testid=import-folder]').selectOption(folder);
  await imports.locator('[data-testid=import-name]').fill(`${folder}-${Date.now().toString(36)}`);
  await imports.locator('[data-testid=import-start]').click();
  await imports.locator('[data-testid=import-job][data-status=completed]').first().waitFor({ timeout: 600_000 });
  await page.waitForTimeout(800);
}
await shoot('import');

await browser.close();
