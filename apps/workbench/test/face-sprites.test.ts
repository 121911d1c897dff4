import { describe, expect, it } from 'vitest';
import { ATLAS_MAX_FACES, atlasCell, atlasDimensions } from '../src/face-atlas';
import { FaceSprites, LruCache } from '../src/cells/face-sprites';

describe('LruCache', () => {
  it('forgets the least recently used entry beyond its capacity; a get counts as a use, has does not', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.has('b')).toBe(false);
    expect(cache.has('a')).toBe(true);
    cache.has('a');
    cache.set('d', 4);
    expect([cache.has('a'), cache.has('c'), cache.has('d')]).toEqual([false, true, true]);
    expect(cache.size).toBe(2);
  });

  it('refuses a capacity under 1', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});

describe('face atlas layout', () => {
  it('lays faces out in rows of 8', () => {
    expect(atlasCell(0, 64)).toEqual({ x: 0, y: 0 });
    expect(atlasCell(9, 64)).toEqual({ x: 64, y: 64 });
    expect(atlasDimensions(3, 10)).toEqual({ width: 30, height: 10 });
    expect(atlasDimensions(17, 10)).toEqual({ width: 80, height: 30 });
  });
});

/** A fake network: each atlas request waits until released, and records what it asked for. */
function fakeAtlases() {
  const requests: { ids: readonly string[]; resolve: () => void; reject: () => void }[] = [];
  const fetchAtlas = (ids: readonly string[]) =>
    new Promise<string>((resolve, reject) => requests.push({ ids, resolve: () => resolve(`atlas(${ids[0]})`), reject: () => reject(new Error('HTTP 500')) }));
  return { requests, fetchAtlas };
}
const settle = () => new Promise((r) => setTimeout(r, 0));
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `f${from + i}`);

describe('FaceSprites', () => {
  it('fetches the faces wanted in atlases of at most 64, a bounded number at a time, and redraws when they arrive', async () => {
    const net = fakeAtlases();
    let loaded = 0;
    const sprites = new FaceSprites({ fetchAtlas: net.fetchAtlas, onLoaded: () => loaded++, size: 32, capacity: 1000, concurrency: 2 });
    sprites.want(ids(200));
    expect(net.requests.map((r) => r.ids.length)).toEqual([ATLAS_MAX_FACES, ATLAS_MAX_FACES]);
    expect(sprites.get('f0')).toBeUndefined();
    net.requests[0]!.resolve();
    await settle();
    expect(loaded).toBe(1);
    expect(sprites.get('f9')).toEqual({ image: 'atlas(f0)', x: 32, y: 32, size: 32 });
    // The freed slot takes the next batch.
    expect(net.requests.map((r) => r.ids[0])).toEqual(['f0', 'f64', 'f128']);
  });

  it('drops wishes not yet sent when the view moves on, and never asks twice for a face in flight or failed', async () => {
    const net = fakeAtlases();
    const sprites = new FaceSprites({ fetchAtlas: net.fetchAtlas, onLoaded: () => undefined, size: 32, capacity: 1000, concurrency: 1 });
    sprites.want(ids(100));
    sprites.want([...ids(3), ...ids(2, 500)]);
    expect(net.requests).toHaveLength(1);
    net.requests[0]!.reject();
    await settle();
    // f0..f63 failed; only the new faces are asked for.
    expect(net.requests[1]!.ids).toEqual(['f500', 'f501']);
    sprites.want(ids(3));
    expect(net.requests).toHaveLength(2);
  });

  it('keeps no more faces than its capacity, and ignores atlases that arrive after dispose', async () => {
    const net = fakeAtlases();
    let loaded = 0;
    const sprites = new FaceSprites({ fetchAtlas: net.fetchAtlas, onLoaded: () => loaded++, size: 32, capacity: 10, concurrency: 1 });
    sprites.want(ids(20));
    net.requests[0]!.resolve();
    await settle();
    expect(ids(20).filter((id) => sprites.get(id)).length).toBe(10);
    sprites.want(ids(5, 100));
    sprites.dispose();
    net.requests[1]!.resolve();
    await settle();
    expect(loaded).toBe(1);
    expect(sprites.get('f100')).toBeUndefined();
  });
});
