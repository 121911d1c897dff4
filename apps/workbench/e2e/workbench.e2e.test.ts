/**
 * The workbench in a real browser: the production build serving a fixture (see fixture.ts), Debian's Chromium
 * driven by playwright-core. The tests run in order over one notebook, like a researcher's session: compare
 * runs, look at the map, move K, name a cluster, reload, search by photo. Speed figures are `workbench:bench`'s
 * (speed.bench.ts).
 */
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_RUN, type Fixture, type OpenWorkbench, openFixtureWorkbench } from './fixture';
import { type RunningServer, setSlider } from './harness';

const DEMO_PHOTO = (i: number) => path.resolve(__dirname, `../../../node_modules/@vladmandic/face-api/demo/sample${i}.jpg`);
const QUERY_PHOTO = DEMO_PHOTO(1);

let fixture: Fixture;
let server: RunningServer;
let page: Page;
let pageErrors: string[];
let workbench: OpenWorkbench;

beforeAll(async () => {
  workbench = await openFixtureWorkbench('e2e');
  ({ fixture, server, page, pageErrors } = workbench);
});

afterAll(async () => {
  await workbench?.close();
});

const cell = (kind: string) => page.locator(`[data-testid=cell-${kind}]`).first();

/** Where on the map canvas a point is drawn: the first painted pixel, in viewport coordinates (scrolled into view). */
async function paintedPoint(canvasSelector: string): Promise<{ x: number; y: number; painted: number }> {
  await page.locator(canvasSelector).scrollIntoViewIfNeeded();
  return page.locator(canvasSelector).evaluate((el) => {
    const canvas = el as HTMLCanvasElement;
    const { data, width } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let first = -1;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i]! > 0) {
        painted++;
        if (first < 0) first = (i - 3) / 4;
      }
    }
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const rect = canvas.getBoundingClientRect();
    return { x: rect.left + ((first % width) + 1) / ratio, y: rect.top + (Math.floor(first / width) + 1) / ratio, painted };
  });
}

function rawGet(url: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('workbench in Chromium', () => {
  it('opens the starter notebook on a first visit and compares the runs with the bundled model side by side', async () => {
    await page.goto(server.url);
    await page.waitForURL(/\/notebooks\/starter$/);
    const rows = cell('experiments').locator('[data-testid=runs-table] tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.nth(2).textContent()).toContain(`${BUNDLED_RUN} (bundled)`);
    const compare = cell('experiments').locator('[data-testid=compare]');
    await compare.waitFor();
    // Each run's bars (overall and the triplet types it was tested on), and the three published reference lines.
    const barsOf = () => compare.locator('[data-testid=accuracy-bars] rect title').allTextContents();
    await expect.poll(async () => (await barsOf()).filter((t) => t.startsWith('fixture-a ')).length).toBe(4);
    expect((await barsOf()).filter((t) => t.startsWith('fixture-b ')).length).toBe(4);
    expect((await barsOf()).filter((t) => t.startsWith(`${BUNDLED_RUN} `)).length).toBeGreaterThan(0);
    const bars = await compare.locator('[data-testid=accuracy-bars]').textContent();
    expect(bars).toContain('FECNet 81.8%');
    expect(bars).toContain('FEENet 84.5%');
    expect(bars).toContain('human raters 86.2%');
    // A learning curve per run, drawn from metrics.jsonl (its torn last line skipped).
    await expect.poll(() => compare.locator('[data-testid=learning-curves] path[d^="M"]').count()).toBe(3);
    // The runs table scrolls inside its cell rather than widening it.
    const cellBox = (await cell('experiments').boundingBox())!;
    const wrapBox = (await cell('experiments').locator('.table-wrap').boundingBox())!;
    expect(wrapBox.x + wrapBox.width).toBeLessThanOrEqual(cellBox.x + cellBox.width);
  });

  it('draws the embedding map on a canvas and shows the face under the pointer', async () => {
    const canvas = '[data-testid=cell-map] [data-testid=map] canvas';
    await page.locator(canvas).waitFor({ timeout: 120_000 });
    await expect.poll(async () => (await paintedPoint(canvas)).painted, { timeout: 10_000 }).toBeGreaterThan(64);
    const point = await paintedPoint(canvas);
    await page.mouse.move(point.x, point.y);
    const tooltip = cell('map').locator('[data-testid=map-tooltip]');
    await tooltip.waitFor();
    expect(await tooltip.textContent()).toMatch(/person\d-\d/);
    // The face thumbnail in the tooltip is a real image served from inside the roots.
    await expect.poll(() => tooltip.locator('img').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  });

  it('zooms with the wheel and resets the zoom to where it started, without a page error', async () => {
    const canvas = '[data-testid=cell-map] [data-testid=map] canvas';
    const before = await paintedPoint(canvas);
    const box = (await page.locator(canvas).boundingBox())!;
    await page.mouse.move(before.x, before.y);
    await cell('map').locator('[data-testid=map-tooltip]').waitFor();
    await page.mouse.wheel(0, -600);
    // The tooltip named the face under the pointer before the zoom; it goes with the zoom.
    await expect.poll(() => cell('map').locator('[data-testid=map-tooltip]').count()).toBe(0);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -600);
    await expect.poll(async () => (await paintedPoint(canvas)).x !== before.x || (await paintedPoint(canvas)).y !== before.y).toBe(true);
    await cell('map').locator('[data-testid=reset-zoom]').click();
    await expect.poll(async () => paintedPoint(canvas)).toMatchObject({ x: before.x, y: before.y });
    expect(pageErrors).toEqual([]);
  });

  it("refuses a map K out of range aloud instead of clamping it", async () => {
    const map = cell('map');
    await map.locator('[data-testid=colour-by]').selectOption('cluster');
    const k = map.locator('[data-testid=map-k]');
    const before = await k.inputValue();
    await k.fill('100000');
    await expect.poll(() => map.locator('[data-testid=map-k-error]').textContent()).toContain(`from 2 to 200; the map keeps K = ${before}`);
    await k.fill('12');
    await expect.poll(() => map.locator('[data-testid=map-k-error]').count()).toBe(0);
    // Colour by cluster has a legend, one entry per cluster.
    await expect.poll(() => map.locator('[data-testid=map-legend] span').count(), { timeout: 60_000 }).toBe(12);
    await map.locator('[data-testid=colour-by]').selectOption('label');
  });

  it('re-clusters when K moves, showing the faces nearest each centre', async () => {
    const clusters = cell('clusters').locator('[data-testid=clusters]');
    await expect.poll(() => clusters.getAttribute('data-k'), { timeout: 60_000 }).toBe('8');
    expect(await clusters.locator('[data-testid=cluster]').count()).toBe(8);
    await setSlider(page, '[data-testid=cell-clusters] [data-testid=k-slider]', 12);
    await expect.poll(() => clusters.getAttribute('data-k'), { timeout: 60_000 }).toBe('12');
    expect(await clusters.locator('[data-testid=cluster]').count()).toBe(12);
    // Every cluster shows at least its nearest face.
    expect(await clusters.locator('[data-testid=cluster]').first().locator('img').count()).toBeGreaterThan(0);
  });

  it('names a cluster into a tag that survives a reload, as does the notebook', async () => {
    const first = cell('clusters').locator('[data-testid=cluster]').first();
    await first.locator('input[placeholder="name this cluster"]').fill('light smile');
    await first.getByRole('button', { name: 'Create tag' }).click();
    await first.getByText(/tag \d+ created: "light smile"/).waitFor();
    // The taxonomy cell shows the new tag at once, without a reload.
    await expect.poll(() => cell('taxonomy').locator('[data-testid=tag-tree] input').first().inputValue()).toBe('light smile');
    await expect.poll(() => page.locator('[data-testid=save-state]').textContent()).toBe('saved');

    await page.reload();
    const tree = cell('taxonomy').locator('[data-testid=tag-tree]');
    await tree.waitFor();
    expect(await tree.locator('input').first().inputValue()).toBe('light smile');
    expect(await tree.textContent()).toMatch(/from K=12 cluster/);
    // K = 12 was saved with the notebook.
    await expect.poll(() => cell('clusters').locator('[data-testid=clusters]').getAttribute('data-k'), { timeout: 60_000 }).toBe('12');
  });

  it("drops a cell's results the moment its gallery changes, then shows the new gallery's", async () => {
    const clusters = cell('clusters');
    await clusters.locator(`[data-testid=clusters][data-gallery="${fixture.smallGallery}"]`).waitFor();
    await clusters.locator('[data-testid=gallery-select]').selectOption(fixture.bundledGallery);
    expect(await clusters.locator(`[data-testid=clusters][data-gallery="${fixture.smallGallery}"]`).count()).toBe(0);
    await clusters.locator(`[data-testid=clusters][data-gallery="${fixture.bundledGallery}"]`).waitFor({ timeout: 60_000 });
    await clusters.locator('[data-testid=gallery-select]').selectOption(fixture.smallGallery);
    await clusters.locator(`[data-testid=clusters][data-gallery="${fixture.smallGallery}"]`).waitFor({ timeout: 60_000 });
  });

  it('exports a gallery (map coordinates, clusters, tags) as CSV and JSON, and the taxonomy as JSON, in one click', async () => {
    const csv = await fetch(`${server.url}/api/gallery/export?gallery=${encodeURIComponent(fixture.smallGallery)}&k=12&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="test-gallery-k12.csv"/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,image,person,label,x,y,cluster,cluster_distance,tags,tag_distances');
    expect(lines).toHaveLength(65);
    // The map was drawn, so every face has coordinates; K = 12 gives each a cluster; the "light smile" cluster's faces carry the tag.
    const cells = lines.slice(1).map((l) => l.split(','));
    expect(cells.every((c) => c[4] !== '' && c[5] !== '' && Number(c[6]) >= 0 && Number(c[6]) < 12)).toBe(true);
    expect(cells.some((c) => c[8]!.split(';').includes('light smile'))).toBe(true);
    const json = (await (await fetch(`${server.url}/api/gallery/export?gallery=${encodeURIComponent(fixture.smallGallery)}&format=json`)).json()) as { rows: { cluster: number | null }[] };
    expect(json.rows).toHaveLength(64);
    expect(json.rows[0]!.cluster).toBeNull();

    const download = page.waitForEvent('download');
    await cell('taxonomy').locator('[data-testid=export-taxonomy]').click();
    const file = await (await download).path();
    const taxonomy = JSON.parse(readFileSync(file, 'utf8')) as { tags: { name: string; centre: number[] }[] };
    expect(taxonomy.tags.map((t) => t.name)).toContain('light smile');
    expect(taxonomy.tags.find((t) => t.name === 'light smile')!.centre).toHaveLength(16);
  });

  it("inspects a gallery's triplets: the wrong ones first by how sure the mistake was, then the right ones", async () => {
    const inspector = cell('triplets');
    const accuracy = inspector.locator('[data-testid=triplet-accuracy]');
    await accuracy.waitFor({ timeout: 60_000 });
    const share = Number(await accuracy.getAttribute('data-accuracy'));
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(1);
    const triplets = inspector.locator('[data-testid=triplet]');
    await expect.poll(() => triplets.count()).toBeGreaterThan(0);
    expect(new Set(await triplets.evaluateAll((els) => els.map((e) => e.getAttribute('data-correct'))))).toEqual(new Set(['false']));
    // Each shows three faces; the model's odd one out is marked, and for a wrong triplet it is not the negative.
    const first = triplets.first();
    expect(await first.locator('figure.face').count()).toBe(3);
    expect(await first.locator('.predicted-odd').getAttribute('data-role')).not.toBe('negative');
    await inspector.locator('[data-testid=triplet-filter]').selectOption('right');
    await expect.poll(async () => [...new Set(await triplets.evaluateAll((els) => els.map((e) => e.getAttribute('data-correct'))))], { timeout: 10_000 }).toEqual(['true']);
    expect(await triplets.first().locator('.predicted-odd').getAttribute('data-role')).toBe('negative');
  });

  it("inspects a run's own rated test triplets, filtered by triplet type and rater agreement", async () => {
    const inspector = cell('triplets');
    await inspector.locator('[data-testid=gallery-select]').selectOption(fixture.smallGallery);
    await inspector.locator('[data-testid=triplet-source]').selectOption('run');
    await inspector.locator('[data-testid=triplet-filter]').selectOption('all');
    const accuracy = inspector.locator('[data-testid=triplet-accuracy]');
    await expect.poll(() => accuracy.textContent(), { timeout: 60_000 }).toContain('of 48 rated test triplets right');
    const triplets = inspector.locator('[data-testid=triplet]');
    await inspector.locator('[data-testid=triplet-type]').selectOption('THREE_CLASS');
    await expect.poll(async () => [...new Set(await triplets.evaluateAll((els) => els.map((e) => /three-class/.test(e.textContent ?? ''))))]).toEqual([true]);
    expect(await triplets.count()).toBe(16);
    await inspector.locator('[data-testid=triplet-agreement]').selectOption('1');
    await expect.poll(() => triplets.count()).toBe(8);
    expect(new Set(await triplets.evaluateAll((els) => els.map((e) => /100 % of raters/.test(e.textContent ?? ''))))).toEqual(new Set([true]));
  });

  it('keeps an edit made just before a reload (saved as the page goes, not after the debounce)', async () => {
    const title = page.getByLabel('Notebook title');
    await title.fill('Reloaded at once');
    // The edit has registered (its save is waiting out the 0.4 s debounce); leave at once.
    await expect.poll(() => page.locator('[data-testid=save-state]').textContent(), { timeout: 300, interval: 10 }).toBe('unsaved');
    await page.reload();
    // The save leaves with the old page; the new page may be served a moment before it lands, so look again.
    await expect
      .poll(
        async () => {
          const value = await page.getByLabel('Notebook title').inputValue();
          if (value !== 'Reloaded at once') await page.reload();
          return value;
        },
        { timeout: 30_000 },
      )
      .toBe('Reloaded at once');
  });

  it('returns the nearest faces for a query photo', async () => {
    await cell('search').locator('[data-testid=search-file]').setInputFiles(QUERY_PHOTO);
    const results = cell('search').locator('[data-testid=search-results]');
    await results.waitFor({ timeout: 120_000 });
    // The query face as aligned, then the top 12 of the 64 gallery faces.
    await expect.poll(() => results.locator('figure.face').count()).toBe(13);
    expect(await results.textContent()).toMatch(/12 nearest/);
  });

  it('lists the bundled model as a run and searches a gallery it built with it', async () => {
    const runs = (await (await fetch(`${server.url}/api/experiments`)).json()) as { runs: { runId: string; bundled: boolean; status: string }[] };
    expect(runs.runs.find((r) => r.runId === BUNDLED_RUN)).toMatchObject({ bundled: true, status: 'completed' });
    const form = new FormData();
    form.set('photo', new Blob([readFileSync(QUERY_PHOTO)]), 'query.jpg');
    form.set('gallery', fixture.bundledGallery);
    form.set('k', '5');
    const response = await fetch(`${server.url}/api/search`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const found = (await response.json()) as { runId: string; hits: { id: string }[] };
    expect(found.runId).toBe(BUNDLED_RUN);
    expect(found.hits).toHaveLength(5);
    const curves = (await (await fetch(`${server.url}/api/experiments/${BUNDLED_RUN}/curves`)).json()) as { evals: unknown[] };
    expect(curves.evals.length).toBeGreaterThan(0);
  });

  it('answers a stale notebook save with 409 and a tag cycle with 400, each with its message', async () => {
    const api = (p: string, init?: RequestInit) => fetch(`${server.url}${p}`, { ...init, headers: { 'content-type': 'application/json' } });
    const notebook = (await (await api('/api/notebooks/starter')).json()) as { version: number; cells: unknown[] };
    const stale = await api('/api/notebooks/starter', { method: 'PUT', body: JSON.stringify({ version: notebook.version - 1, cells: notebook.cells }) });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { error: string }).error).toMatch(/saved by someone else/);

    const parent = await api('/api/tags', { method: 'POST', body: JSON.stringify({ from: 'faces', gallery: fixture.smallGallery, faceIds: ['person0-0'], radius: 0.3, name: 'cycle parent', parentId: null }) });
    expect(parent.status).toBe(201);
    const parentId = ((await parent.json()) as { tagId: number }).tagId;
    const child = await api('/api/tags', { method: 'POST', body: JSON.stringify({ from: 'faces', gallery: fixture.smallGallery, faceIds: ['person0-1'], radius: 0.3, name: 'cycle child', parentId }) });
    const childId = ((await child.json()) as { tagId: number }).tagId;
    // In the taxonomy cell, the parent is not offered a move under its own child, and delete asks first.
    await page.reload();
    const parentRow = cell('taxonomy').locator('[data-testid=tag-row]', { has: page.locator(`input[aria-label="name of tag ${parentId}"]`) });
    await parentRow.waitFor();
    expect(await parentRow.locator('select[aria-label="move under"] option').allTextContents()).not.toContain('cycle child');
    const asked = new Promise<string>((resolve) => page.once('dialog', (d) => (resolve(d.message()), void d.dismiss())));
    await parentRow.locator('[data-testid=delete-tag]').click();
    expect(await asked).toMatch(/Delete tag "cycle parent" and its 1 sub-tag\?/);
    expect(await parentRow.count()).toBe(1);
    const cycle = await api(`/api/tags/${parentId}`, { method: 'PATCH', body: JSON.stringify({ moveTo: childId }) });
    expect(cycle.status).toBe(400);
    expect(((await cycle.json()) as { error: string }).error).toMatch(/cycle/);
    for (const id of [childId, parentId]) expect((await api(`/api/tags/${id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('says once that a photo has no face', async () => {
    const form = new FormData();
    const grey = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
    form.set('photo', new Blob([new Uint8Array(grey)]), 'wall.png');
    form.set('gallery', fixture.smallGallery);
    const response = await fetch(`${server.url}/api/search`, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: string };
    expect(error).toMatch(/^no-face: /);
    expect(error).not.toMatch(/no-face: no-face/);
  });

  it('refuses uploads that are not images, and anything outside its roots', async () => {
    const form = new FormData();
    form.set('photo', new Blob([new TextEncoder().encode('not an image at all')]), 'fake.jpg');
    form.set('gallery', fixture.smallGallery);
    const upload = await fetch(`${server.url}/api/search`, { method: 'POST', body: form });
    expect(upload.status).toBe(415);

    symlinkSync('/etc', path.join(fixture.experiments, 'escape'));
    const attempts = [
      '/api/files?root=experiments&path=../../../../etc/passwd',
      '/api/files?root=data&path=..%2F..%2F..%2Fetc%2Fpasswd',
      '/api/files?root=experiments&path=%2Fetc%2Fpasswd',
      '/api/files?root=experiments&path=escape/passwd',
      '/api/gallery/faces?gallery=experiments/../../etc',
      '/api/gallery/face-image?gallery=data/../../..&face=x',
    ];
    for (const attempt of attempts) {
      const response = await fetch(`${server.url}${attempt}`);
      expect(response.status, attempt).toBe(403);
      expect(await response.text()).not.toContain('root:');
    }
    for (const raw of ['/..%2f..%2f..%2fetc%2fpasswd', '/api/files/../../../../etc/passwd', '/_next/static/..%2f..%2f..%2fpackage.json']) {
      const response = await rawGet(server.url, raw);
      expect(response.status, raw).not.toBe(200);
      expect(response.body).not.toContain('root:');
    }
    // Inside the roots, the same route serves.
    expect((await fetch(`${server.url}/api/files?root=experiments&path=fixture-a/config.json`)).status).toBe(200);
  });

  it('follows a run in progress: it appears, its steps advance, and it is marked finished', async () => {
    const dir = path.join(fixture.experiments, 'live-run');
    const step = (n: number) => `{"kind":"step","step":${n},"epoch":0,"loss":${1 / n},"learningRate":0.001,"tripletsPerSecond":50,"elapsedSeconds":${n}}\n`;
    const experiments = JSON.parse(readFileSync(path.join(fixture.experiments, 'fixture-b', 'config.json'), 'utf8')) as Record<string, unknown>;
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...experiments, runId: 'live-run' }));
    writeFileSync(path.join(dir, 'metrics.jsonl'), step(25));
    const row = cell('experiments').locator('[data-testid=runs-table] tbody tr', { hasText: 'live-run' });
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toContain('running · step 25');
    appendFileSync(path.join(dir, 'metrics.jsonl'), step(50));
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('running · step 50');
    writeFileSync(path.join(dir, 'summary.json'), readFileSync(path.join(fixture.experiments, 'fixture-b', 'summary.json'), 'utf8').replace('"fixture-b"', '"live-run"'));
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('completed');
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a photo folder and an upload as background jobs whose galleries appear in every cell, listing the files it could not use', async () => {
    const folder = path.join(fixture.data, 'holiday');
    mkdirSync(folder);
    for (const i of [1, 2, 3]) copyFileSync(DEMO_PHOTO(i), path.join(folder, `photo${i}.jpg`));
    writeFileSync(path.join(folder, 'notes.jpg'), 'a text file named like a photo');

    await page.getByRole('button', { name: '+ Import photos' }).click();
    const imports = cell('import');
    await imports.locator('[data-testid=import-folder]').selectOption('holiday');
    expect(await imports.locator('[data-testid=import-name]').inputValue()).toBe('holiday');
    expect(await imports.locator('[data-testid=import-run]').inputValue()).toBe(BUNDLED_RUN);
    await imports.locator('[data-testid=import-start]').click();

    const job = imports.locator('[data-testid=import-job][data-name=holiday]');
    await job.waitFor();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 240_000, interval: 1000 }).toBe('completed');
    expect(await job.locator('[data-testid=import-failures]').textContent()).toBe('1');
    expect(await imports.locator('[data-testid=import-failure-list]').textContent()).toContain('notes.jpg');
    // The new gallery is offered in the other cells without a reload.
    await expect.poll(() => cell('map').locator('[data-testid=gallery-select] option').allTextContents()).toContainEqual(expect.stringContaining('data/galleries/holiday'));

    // Uploaded photos: the one that is not an image is skipped at the door, the others imported.
    await imports.locator('[data-testid=import-files]').setInputFiles([{ name: 'sample4.jpg', mimeType: 'image/jpeg', buffer: readFileSync(DEMO_PHOTO(4)) }, { name: 'readme.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo') }]);
    await imports.locator('[data-testid=import-name]').fill('uploaded');
    await imports.locator('[data-testid=import-fast]').check();
    await imports.locator('[data-testid=import-upload]').click();
    const uploaded = imports.locator('[data-testid=import-job][data-name=uploaded]');
    await expect.poll(() => uploaded.getAttribute('data-status'), { timeout: 240_000, interval: 1000 }).toBe('completed');
    expect(await uploaded.textContent()).toContain('tiny detector');
    expect(pageErrors).toEqual([]);
  });
});
