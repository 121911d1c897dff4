/**
 * Face thumbnails for the map, fetched in atlases (many faces per request, src/face-atlas.ts) and kept in a
 * least-recently-used cache. The map asks every frame for the faces in view and draws the ones already here;
 * the rest arrive later and trigger a redraw, so a frame never waits on the network.
 */
import { ATLAS_MAX_FACES, atlasCell } from '../face-atlas';

/** A Map that forgets its least recently used entry beyond `capacity` (Map keeps insertion order; a use re-inserts). */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`an LRU cache needs a capacity of at least 1, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Without counting as a use. */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
  }
}

/** One face's square in an atlas image. */
export interface Sprite<Image> {
  readonly image: Image;
  readonly x: number;
  readonly y: number;
  readonly size: number;
}

export interface FaceSpritesOptions<Image> {
  /** Fetches and decodes one atlas of these faces (at most ATLAS_MAX_FACES), `size` pixels each. */
  readonly fetchAtlas: (faceIds: readonly string[], size: number) => Promise<Image>;
  /** Called when faces have arrived, so the map redraws. */
  readonly onLoaded: () => void;
  readonly size: number;
  /** Faces kept; above the most the map shows at once, so faces in view are never evicted by each other. */
  readonly capacity: number;
  /** Atlas requests in flight at once. */
  readonly concurrency: number;
}

export class FaceSprites<Image> {
  private readonly cache: LruCache<string, Sprite<Image>>;
  private readonly inFlight = new Set<string>();
  /** Faces whose atlas failed: not asked for again, so a broken image does not cost a request every frame. */
  private readonly failed = new Set<string>();
  private queue: string[] = [];
  private running = 0;
  private disposed = false;

  constructor(private readonly options: FaceSpritesOptions<Image>) {
    this.cache = new LruCache(options.capacity);
  }

  get(faceId: string): Sprite<Image> | undefined {
    return this.cache.get(faceId);
  }

  /**
   * The faces wanted now (those in view). Replaces any earlier wish not yet sent: after a pan, the faces that
   * left the view are not fetched.
   */
  want(faceIds: readonly string[]): void {
    this.queue = faceIds.filter((id) => !this.cache.has(id) && !this.inFlight.has(id) && !this.failed.has(id));
    this.pump();
  }

  /** Stops: atlases still arriving are dropped and no more are asked for. */
  dispose(): void {
    this.disposed = true;
    this.queue = [];
  }

  private pump(): void {
    while (!this.disposed && this.running < this.options.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, ATLAS_MAX_FACES);
      for (const id of batch) this.inFlight.add(id);
      this.running++;
      const { size } = this.options;
      this.options
        .fetchAtlas(batch, size)
        .then(
          (image) => {
            if (this.disposed) return;
            batch.forEach((id, i) => this.cache.set(id, { image, ...atlasCell(i, size), size }));
            this.options.onLoaded();
          },
          () => batch.forEach((id) => this.failed.add(id)),
        )
        .finally(() => {
          for (const id of batch) this.inFlight.delete(id);
          this.running--;
          this.pump();
        });
    }
  }
}
