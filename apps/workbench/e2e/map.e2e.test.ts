/**
 * The embedding map in a real browser (production build, Chromium; see fixture.ts): face thumbnails when zoomed
 * in, click to select, the legend as a filter that survives a reload, and a new gallery's layout shown while UMAP
 * still runs. The starter notebook's map opens on the fixture's 64-face gallery.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@feenet/datasets';
import { loadGallery } from '@feenet/clustering';
import { type Fixture, type OpenWorkbench, openFixtureWorkbench, writeSyntheticGallery } from './fixture';

let fixture: Fixture;
let page: Page;
let pageErrors: string[];
let workbench: OpenWorkbench;

beforeAll(async () => {
  workbench = await openFixtureWorkbench('map');
  ({ fixture, page, pageErrors } = workbench);
  await page.goto(workbench.server.url);
  await page.waitForURL(/\/notebooks\/starter$/);
});

afterAll(async () => {
  await workbench?.close();
});

const map = () => page.locator('[data-testid=cell-map]').first();
const wrap = () => map().locator('[data-testid=map]');
const canvas = () => wrap().locator('canvas');

/** Painted pixels, distinct colours, and the first painted pixel in viewport coordinates. */
async function canvasPixels(): Promise<{ painted: number; colours: number; x: number; y: number }> {
  await canvas().scrollIntoViewIfNeeded();
  return canvas().evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const { data, width } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    let first = -1;
    let painted = 0;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! === 0) continue;
      painted++;
      colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      if (first < 0) first = i / 4;
    }
    const rect = c.getBoundingClientRect();
    const ratio = c.width / rect.width;
    return { painted, colours: colours.size, x: rect.left + ((first % width) + 1) / ratio, y: rect.top + (Math.floor(first / width) + 1) / ratio };
  });
}

async function resetZoom(): Promise<void> {
  await map().locator('[data-testid=reset-zoom]').click();
}

describe('the embedding map in Chromium', () => {
  it('draws faces as thumbnails once zoomed in, and only dots before', async () => {
    await map().locator('[data-testid=map][data-projection=done][data-points="64"]').waitFor({ timeout: 120_000 });
    await expect.poll(async () => (await canvasPixels()).painted, { timeout: 10_000 }).toBeGreaterThan(64);
    expect(await wrap().getAttribute('data-thumbnails')).toBe('0');
    // Points alone use a handful of label colours; faces bring hundreds of shades.
    const dots = await canvasPixels();
    expect(dots.colours).toBeLessThan(20);

    const box = (await canvas().boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -600);
    await expect.poll(async () => Number(await wrap().getAttribute('data-thumbnails')), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(Number(await wrap().getAttribute('data-thumbnails'))).toBe(Number(await wrap().getAttribute('data-in-view')));
    expect((await canvasPixels()).colours).toBeGreaterThan(100);
    expect(Number(await wrap().getAttribute('data-frame-p95-ms'))).toBeGreaterThan(0);

    await resetZoom();
    await expect.poll(() => wrap().getAttribute('data-thumbnails')).toBe('0');
    expect(pageErrors).toEqual([]);
  });

  it('selects the face clicked, shows it in the side panel, and clears on Escape or a click on empty space', async () => {
    const point = await canvasPixels();
    await page.mouse.click(point.x, point.y);
    const panel = map().locator('[data-testid=map-selected]');
    await panel.waitFor();
    const id = await panel.locator('[data-testid=map-selected-id]').textContent();
    expect(id).toMatch(/^person\d-\d$/);
    expect(await wrap().getAttribute('data-selected')).toBe(id);
    expect(await panel.textContent()).toMatch(/label\s*\w+/);
    expect(await panel.textContent()).toContain(`person${id!.slice(6, 7)}`);
    await expect.poll(() => panel.locator('img').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);

    await page.keyboard.press('Escape');
    await expect.poll(() => panel.count()).toBe(0);
    expect(await wrap().getAttribute('data-selected')).toBeNull();

    await page.mouse.click(point.x, point.y);
    await panel.waitFor();
    // The map keeps a 16-pixel margin: its corner is empty.
    const box = (await canvas().boundingBox())!;
    await page.mouse.click(box.x + 2, box.y + 2);
    await expect.poll(() => panel.count()).toBe(0);
  });

  it('filters by the legend: fades or hides the faces left out, keeps the filter over a reload, and shows all again', async () => {
    const faces = (await loadGallery(path.join(fixture.experiments, 'fixture-a', 'test-gallery'))).faces;
    const toggles = map().locator('[data-testid=legend-toggle]');
    await expect.poll(() => toggles.count()).toBeGreaterThan(1);
    const label = (await toggles.first().getAttribute('data-category'))!;
    const withLabel = faces.filter((f) => f.label === label).length;
    expect(withLabel).toBeGreaterThan(0);
    const before = await canvasPixels();

    await toggles.first().uncheck();
    await expect.poll(() => wrap().getAttribute('data-shown')).toBe(String(64 - withLabel));
    expect(await map().locator('[data-testid=filter-count]').textContent()).toContain(`${64 - withLabel} of 64`);
    // Faded: still drawn, in a paler colour.
    await expect.poll(async () => (await canvasPixels()).painted).toBe(before.painted);

    await map().locator('[data-testid=filter-mode]').selectOption('hide');
    await expect.poll(async () => (await canvasPixels()).painted).toBeLessThan(before.painted);

    // The filter is the cell's: saved with the notebook.
    await expect.poll(() => page.locator('[data-testid=save-state]').textContent()).toBe('saved');
    await page.reload();
    await map().locator('[data-testid=map][data-projection=done]').waitFor({ timeout: 60_000 });
    await expect.poll(() => wrap().getAttribute('data-shown')).toBe(String(64 - withLabel));
    expect(await map().locator(`[data-testid=legend-toggle][data-category="${label}"]`).isChecked()).toBe(false);
    expect(await map().locator('[data-testid=filter-mode]').inputValue()).toBe('hide');

    await map().locator('[data-testid=filter-clear]').click();
    await expect.poll(() => wrap().getAttribute('data-shown')).toBe('64');
    await expect.poll(async () => (await canvasPixels()).painted).toBe(before.painted);
    await map().locator('[data-testid=filter-mode]').selectOption('dim');
    expect(pageErrors).toEqual([]);
  });

  it("shows a new gallery's layout while UMAP is still running, then the finished projection", async () => {
    // 8,000 faces: UMAP takes long enough here to send layouts along the way (one a second), and not much more.
    const faces = (await loadGallery(path.join(fixture.experiments, 'fixture-a', 'test-gallery'))).faces;
    await writeSyntheticGallery(path.join(fixture.data, 'galleries', 'progressive'), 8000, faces, path.join(fixture.data, 'faces'), new SeededRandom(5));
    await page.reload();
    await map().locator('[data-testid=gallery-select]').selectOption('data/galleries/progressive');
    await map().locator('[data-testid=map][data-projection=in-progress][data-points="8000"]').waitFor({ timeout: 120_000 });
    expect(Number(await wrap().getAttribute('data-interactive-ms'))).toBeGreaterThan(0);
    await map().locator('[data-testid=map][data-projection=done][data-points="8000"]').waitFor({ timeout: 180_000 });
    expect(await map().textContent()).toMatch(/projected in \d/);
    expect(pageErrors).toEqual([]);
  });
});
