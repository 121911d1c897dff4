/**
 * Downloads each distinct image once into a resumable on-disk cache keyed by URL: bounded concurrency, a timeout
 * per attempt, retries with exponential back-off (honouring Retry-After), and a per-host rate limit.
 *
 * Cache layout under `cacheDir`:
 *   images/<h[0..2]>/<h>   the body of a URL whose SHA-1 is h, complete and checked to be an image. Bodies are
 *                          written to a `.part` file and renamed, so a file under its final name is always whole.
 *   dead.jsonl             {url, reason} for URLs that will not work (404/410 and other 4xx, an HTML page instead
 *                          of an image, a body that stays truncated, too large). Appended one line at a time.
 *
 * A URL is done once its image file or its dead line exists; a rerun (after Ctrl-C or a kill) skips every done URL
 * and fetches only the others. Transient failures (timeouts, 5xx, 429, connection errors) after the last retry
 * are reported as `failed` and not recorded: the next run tries them again.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export interface DownloadOptions {
  cacheDir: string;
  /** Downloads in flight at once (default 8). */
  concurrency?: number;
  /** Per attempt, headers and body together (default 20 s). */
  timeoutMs?: number;
  /** Extra attempts after a transient failure (default 3). */
  retries?: number;
  /** First back-off; doubles each retry, with ±25 % jitter (default 500 ms). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Request starts per second per host (default 5). */
  perHostPerSecond?: number;
  /** Bodies larger than this are refused (default 25 MB). */
  maxBytes?: number;
  /** Also retry URLs an earlier run recorded as dead. */
  retryDead?: boolean;
  signal?: AbortSignal;
  /** Injected for tests; default the global (undici) fetch. */
  fetch?: typeof fetch;
  userAgent?: string;
}

export type DownloadResult =
  | { url: string; status: 'ok'; file: string; bytes: number; cached: boolean }
  | { url: string; status: 'dead'; reason: string; cached: boolean }
  | { url: string; status: 'failed'; reason: string };

export interface DownloadProgress {
  done: number;
  total: number;
  ok: number;
  dead: number;
  failed: number;
  fromCache: number;
  bytes: number;
  last?: DownloadResult;
}

export interface DownloadSummary {
  results: Map<string, DownloadResult>;
  total: number;
  ok: number;
  dead: number;
  failed: number;
  /** Done by an earlier run: nothing fetched for them. */
  fromCache: number;
  /** Fetched now (completed bodies), and HTTP requests made in all (attempts included). */
  downloaded: number;
  requests: number;
  bytes: number;
  /** Dead and failed URLs by reason (e.g. "http 404", "not-an-image", "timeout"). */
  reasons: Record<string, number>;
  aborted: boolean;
  seconds: number;
}

const DEAD_FILE = 'dead.jsonl';

export function urlHash(url: string): string {
  return createHash('sha1').update(url).digest('hex');
}

/** Where the cached body of `url` lives (whether or not it is there yet). */
export function cachedImagePath(cacheDir: string, url: string): string {
  const h = urlHash(url);
  return path.join(cacheDir, 'images', h.slice(0, 2), h);
}

/** URL → reason of every dead line; a truncated last line (a kill mid-append) is ignored. */
export function readDeadList(cacheDir: string): Map<string, string> {
  const file = path.join(cacheDir, DEAD_FILE);
  const dead = new Map<string, string>();
  if (!existsSync(file)) return dead;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const row = JSON.parse(line) as { url?: unknown; reason?: unknown };
      if (typeof row.url === 'string') dead.set(row.url, String(row.reason ?? 'dead'));
    } catch {
      // partial line from an interrupted run
    }
  }
  return dead;
}

/** Removes `.part` files a killed run left behind. */
function removePartials(cacheDir: string): void {
  const images = path.join(cacheDir, 'images');
  if (!existsSync(images)) return;
  for (const shard of readdirSync(images)) {
    const dir = path.join(images, shard);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.part')) unlinkSync(path.join(dir, f));
  }
}

/** The image format a body starts with, or undefined. */
export function sniffImage(b: Uint8Array): 'jpeg' | 'png' | 'gif' | 'webp' | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  if (b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') return 'webp';
  return undefined;
}

/** Whether an image body reaches its end marker (a cut connection without Content-Length leaves it short). */
export function imageLooksComplete(b: Uint8Array, format: 'jpeg' | 'png' | 'gif' | 'webp'): boolean {
  const tail = b.subarray(Math.max(0, b.length - 4096));
  switch (format) {
    case 'jpeg':
      for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
      return false;
    case 'png':
      return Buffer.from(tail).includes('IEND');
    case 'gif':
      return b[b.length - 1] === 0x3b;
    case 'webp':
      return b.length >= 8 && Buffer.from(b.buffer, b.byteOffset, b.byteLength).readUInt32LE(4) + 8 <= b.length;
  }
}

class Permanent extends Error {}
class Transient extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Start slots per host, `1000 / rate` ms apart. */
class HostRateLimit {
  private readonly next = new Map<string, number>();
  constructor(private readonly intervalMs: number) {}

  async acquire(url: string, signal?: AbortSignal): Promise<void> {
    let host: string;
    try {
      host = new URL(url).host;
    } catch {
      return;
    }
    const now = Date.now();
    const slot = Math.max(now, this.next.get(host) ?? 0);
    this.next.set(host, slot + this.intervalMs);
    await sleep(slot - now, signal);
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** One attempt: the checked body, or a Permanent / Transient error saying why not. */
async function fetchOnce(url: string, o: Required<Pick<DownloadOptions, 'timeoutMs' | 'maxBytes'>> & DownloadOptions): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  const doFetch = o.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, { signal, redirect: 'follow', headers: { 'user-agent': o.userAgent ?? 'feenet-workbench/0.1 (research dataset preparation)' } });
  } catch (err) {
    if (o.signal?.aborted) throw err;
    if (timeout.aborted) throw new Transient('timeout');
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    if (err instanceof TypeError && /invalid url|unsupported protocol/i.test(String((err as Error).message))) throw new Permanent('bad url');
    throw new Transient(cause ? `connection ${cause}` : 'connection error');
  }
  if (response.status >= 400) {
    void response.body?.cancel().catch(() => undefined);
    const s = response.status;
    if (s === 408 || s === 425 || s === 429 || s >= 500) throw new Transient(`http ${s}`, retryAfterMs(response.headers.get('retry-after')));
    throw new Permanent(`http ${s}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > o.maxBytes) {
    void response.body?.cancel().catch(() => undefined);
    throw new Permanent('too-large');
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > o.maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new Permanent('too-large');
        }
        chunks.push(value);
      }
    }
  } catch (err) {
    if (err instanceof Permanent || o.signal?.aborted) throw err;
    // undici ends the stream with an error when the connection closes before Content-Length bytes arrived.
    throw new Transient(timeout.aborted ? 'timeout' : 'truncated');
  }
  const body = Buffer.concat(chunks, size);
  if (Number.isFinite(declared) && size !== declared) throw new Transient('truncated');
  const format = sniffImage(body);
  if (!format) {
    const type = (response.headers.get('content-type') ?? 'unknown type').split(';')[0];
    throw new Permanent(`not-an-image (${type})`);
  }
  if (!imageLooksComplete(body, format)) throw new Transient('truncated');
  return body;
}

/** Downloads every URL not yet in the cache; see the file comment for the cache and what counts as dead. */
export async function downloadImages(urls: readonly string[], options: DownloadOptions, onProgress?: (p: DownloadProgress) => void): Promise<DownloadSummary> {
  const started = performance.now();
  const o = {
    concurrency: 8,
    timeoutMs: 20_000,
    retries: 3,
    backoffMs: 500,
    maxBackoffMs: 15_000,
    perHostPerSecond: 5,
    maxBytes: 25_000_000,
    ...options,
  };
  await mkdir(path.join(o.cacheDir, 'images'), { recursive: true });
  removePartials(o.cacheDir);
  const deadBefore = o.retryDead ? new Map<string, string>() : readDeadList(o.cacheDir);
  const distinct = [...new Set(urls)];
  const results = new Map<string, DownloadResult>();
  const summary: DownloadSummary = { results, total: distinct.length, ok: 0, dead: 0, failed: 0, fromCache: 0, downloaded: 0, requests: 0, bytes: 0, reasons: {}, aborted: false, seconds: 0 };
  const progress = (last: DownloadResult) => {
    results.set(last.url, last);
    summary[last.status]++;
    if (last.status !== 'ok') summary.reasons[last.reason] = (summary.reasons[last.reason] ?? 0) + 1;
    onProgress?.({ done: results.size, total: distinct.length, ok: summary.ok, dead: summary.dead, failed: summary.failed, fromCache: summary.fromCache, bytes: summary.bytes, last });
  };

  const todo: string[] = [];
  for (const url of distinct) {
    const file = cachedImagePath(o.cacheDir, url);
    const deadReason = deadBefore.get(url);
    if (existsSync(file)) {
      summary.fromCache++;
      progress({ url, status: 'ok', file, bytes: statSync(file).size, cached: true });
    } else if (deadReason !== undefined) {
      summary.fromCache++;
      progress({ url, status: 'dead', reason: deadReason, cached: true });
    } else {
      todo.push(url);
    }
  }

  const limiter = new HostRateLimit(1000 / o.perHostPerSecond);
  const deadFile = path.join(o.cacheDir, DEAD_FILE);
  const one = async (url: string): Promise<DownloadResult | undefined> => {
    for (let attempt = 0; ; attempt++) {
      await limiter.acquire(url, o.signal);
      if (o.signal?.aborted) return undefined;
      summary.requests++;
      try {
        const body = await fetchOnce(url, o);
        const file = cachedImagePath(o.cacheDir, url);
        await mkdir(path.dirname(file), { recursive: true });
        const part = `${file}.${process.pid}.${attempt}.part`;
        await writeFile(part, body);
        await rename(part, file);
        summary.downloaded++;
        summary.bytes += body.byteLength;
        return { url, status: 'ok', file, bytes: body.byteLength, cached: false };
      } catch (err) {
        if (o.signal?.aborted) return undefined;
        if (err instanceof Permanent) {
          appendFileSync(deadFile, `${JSON.stringify({ url, reason: err.message })}\n`);
          return { url, status: 'dead', reason: err.message, cached: false };
        }
        if (!(err instanceof Transient)) throw err;
        if (attempt >= o.retries) {
          // A body that arrives cut short on every attempt is broken at the source.
          if (err.message === 'truncated') {
            appendFileSync(deadFile, `${JSON.stringify({ url, reason: 'truncated' })}\n`);
            return { url, status: 'dead', reason: 'truncated', cached: false };
          }
          return { url, status: 'failed', reason: err.message };
        }
        const backoff = Math.min(o.maxBackoffMs, o.backoffMs * 2 ** attempt) * (0.75 + 0.5 * Math.random());
        await sleep(Math.min(o.maxBackoffMs, Math.max(backoff, err.retryAfterMs ?? 0)), o.signal);
      }
    }
  };

  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency, todo.length) }, async () => {
      while (next < todo.length && !o.signal?.aborted) {
        const r = await one(todo[next++]!);
        if (r) progress(r);
      }
    }),
  );
  summary.aborted = Boolean(o.signal?.aborted) && results.size < distinct.length;
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
