import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, appendFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedImagePath, downloadImages, readDeadList } from '../src/fec/downloader';

/** A local image server with the failure modes of FEC's real URLs; counts requests per path. */
let server: Server;
let base: string;
let jpeg: Buffer;
const requests = new Map<string, number>();
let inFlight = 0;
let maxInFlight = 0;
const starts: number[] = [];
const held = new Set<ServerResponse>();

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  requests.set(url, (requests.get(url) ?? 0) + 1);
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  res.on('close', () => inFlight--);
  const sendJpeg = (delay = 0) => setTimeout(() => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length }).end(jpeg), delay);
  if (url.startsWith('/img/')) return void sendJpeg();
  if (url.startsWith('/slowish/')) return void sendJpeg(120);
  if (url.startsWith('/rate/')) {
    starts.push(performance.now());
    return void sendJpeg();
  }
  if (url.startsWith('/missing')) return void res.writeHead(404).end('not found');
  if (url === '/gone.jpg') return void res.writeHead(410).end();
  if (url === '/page.html') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>This photo is no longer available</title>');
  if (url === '/redirect.jpg') return void res.writeHead(302, { location: '/img/redirected.jpg' }).end();
  if (url === '/flaky.jpg') {
    if (requests.get(url) === 1) return void res.writeHead(503, { 'retry-after': '0' }).end();
    return void sendJpeg();
  }
  if (url === '/slow.jpg') {
    held.add(res); // never answers: the client's timeout must end it
    return;
  }
  if (url === '/stall-body.jpg') {
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
    res.write(jpeg.subarray(0, 100)); // then nothing more
    held.add(res);
    return;
  }
  if (url === '/truncated.jpg') {
    // Declares the whole length, sends half, and drops the connection.
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
    res.write(jpeg.subarray(0, jpeg.length >> 1), () => res.socket?.destroy());
    return;
  }
  if (url === '/truncated-chunked.jpg') {
    // No Content-Length: the body ends "cleanly" but without the JPEG end marker.
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    res.end(jpeg.subarray(0, jpeg.length >> 1));
    return;
  }
  res.writeHead(500).end();
}

const count = (p: string) => requests.get(p) ?? 0;
const fast = { retries: 2, backoffMs: 20, maxBackoffMs: 50, timeoutMs: 400, perHostPerSecond: 1000 };

beforeAll(async () => {
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg()
    .toBuffer();
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of held) res.socket?.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function tempCache(): string {
  return mkdtempSync(path.join(tmpdir(), 'fec-dl-'));
}

describe('image downloader', () => {
  it('downloads good images once, classifies 404/410/HTML/truncated as dead and timeouts as failed, and retries transient errors', async () => {
    const cacheDir = tempCache();
    try {
      const good = [`${base}/img/a.jpg`, `${base}/img/b.jpg`, `${base}/redirect.jpg`, `${base}/flaky.jpg`];
      const bad = ['/missing.jpg', '/gone.jpg', '/page.html', '/truncated.jpg', '/truncated-chunked.jpg'].map((p) => base + p);
      const slow = [`${base}/slow.jpg`, `${base}/stall-body.jpg`];
      // Duplicates (many FEC triplets share an image) are fetched once.
      const s = await downloadImages([...good, ...bad, ...slow, good[0]!, good[0]!], { cacheDir, concurrency: 4, ...fast });
      expect(s.total).toBe(11);
      expect(s.ok).toBe(4);
      expect(count('/img/a.jpg')).toBe(1);
      for (const url of good) expect(readFileSync(cachedImagePath(cacheDir, url)).equals(jpeg)).toBe(true);
      expect(count('/flaky.jpg')).toBe(2); // a 503, then the retry
      const reasons = Object.fromEntries(bad.map((u) => [u.slice(base.length), (s.results.get(u) as { reason: string }).reason]));
      expect(reasons).toEqual({
        '/missing.jpg': 'http 404',
        '/gone.jpg': 'http 410',
        '/page.html': 'not-an-image (text/html)',
        '/truncated.jpg': 'truncated',
        '/truncated-chunked.jpg': 'truncated',
      });
      expect(s.dead).toBe(5);
      // Permanent failures are not retried; truncated bodies are (the cut may be the network's).
      expect(count('/missing.jpg')).toBe(1);
      expect(count('/page.html')).toBe(1);
      expect(count('/truncated.jpg')).toBe(3);
      // Timeouts (no answer; a body that stalls) are retried, then left for the next run, not marked dead.
      expect(s.failed).toBe(2);
      expect(s.results.get(`${base}/slow.jpg`)).toMatchObject({ status: 'failed', reason: 'timeout' });
      expect(s.results.get(`${base}/stall-body.jpg`)).toMatchObject({ status: 'failed', reason: 'timeout' });
      expect(count('/slow.jpg')).toBe(3);
      expect([...readDeadList(cacheDir).keys()].sort()).toEqual([...bad].sort());

      // A second run downloads nothing: only the two timeouts are tried again.
      const before = new Map(requests);
      const again = await downloadImages([...good, ...bad], { cacheDir, ...fast });
      expect(again).toMatchObject({ ok: 4, dead: 5, fromCache: 9, downloaded: 0, requests: 0 });
      expect(requests).toEqual(before);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('bounds the downloads in flight and spaces requests to one host', async () => {
    const cacheDir = tempCache();
    try {
      maxInFlight = 0;
      await downloadImages(
        Array.from({ length: 9 }, (_, i) => `${base}/slowish/${i}.jpg`),
        { cacheDir, concurrency: 3, ...fast },
      );
      expect(maxInFlight).toBe(3);
      starts.length = 0;
      await downloadImages(
        Array.from({ length: 5 }, (_, i) => `${base}/rate/${i}.jpg`),
        { cacheDir, concurrency: 5, ...fast, perHostPerSecond: 20 },
      );
      // 5 starts at ≥ 50 ms intervals, though 5 could run at once.
      expect(starts).toHaveLength(5);
      expect(starts[4]! - starts[0]!).toBeGreaterThanOrEqual(4 * 50 * 0.9);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('after a kill -9 mid-run, a rerun fetches exactly the URLs that were not done, and nothing twice', async () => {
    const cacheDir = tempCache();
    try {
      const paths = Array.from({ length: 16 }, (_, i) => (i % 4 === 3 ? `/missing-${i}.jpg` : `/slowish/k${i}.jpg`));
      const urls = paths.map((p) => base + p);
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/fec/download-child.ts', import.meta.url)), cacheDir, ...urls], {
        cwd: fileURLToPath(new URL('.', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      // Kill it once 5 URLs are done (2 downloads of 120 ms run at a time: it is far from finished).
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (/done 5\n/.test(out)) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => resolve());
        child.on('error', reject);
      });
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      expect(child.signalCode).toBe('SIGKILL');

      // What the killed run finished: image files under their final names, and dead lines.
      const dead = readDeadList(cacheDir);
      const doneBefore = urls.filter((u) => existsSync(cachedImagePath(cacheDir, u)) || dead.has(u));
      expect(doneBefore.length).toBeGreaterThanOrEqual(5);
      expect(doneBefore.length).toBeLessThan(urls.length);
      // Debris of a kill: a half-written body and a half-written dead line.
      const stray = `${cachedImagePath(cacheDir, urls[15]!)}.999.0.part`;
      mkdirSync(path.dirname(stray), { recursive: true });
      writeFileSync(stray, jpeg.subarray(0, 50));
      appendFileSync(path.join(cacheDir, 'dead.jsonl'), '{"url":"http://127.0.0.1/half');

      const before = new Map(paths.map((p) => [p, count(p)]));
      const s = await downloadImages(urls, { cacheDir, ...fast });
      const fetchedNow = paths.filter((p) => count(p) > before.get(p)!).map((p) => base + p);
      expect(fetchedNow.sort()).toEqual(urls.filter((u) => !doneBefore.includes(u)).sort());
      for (const p of paths) expect(count(p) - before.get(p)!).toBeLessThanOrEqual(1);
      expect(s).toMatchObject({ ok: 12, dead: 4, failed: 0, fromCache: doneBefore.length });
      expect(existsSync(stray)).toBe(false);
      for (const u of urls.filter((_, i) => i % 4 !== 3)) expect(readFileSync(cachedImagePath(cacheDir, u)).equals(jpeg)).toBe(true);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
