/**
 * The embedding map's drawing and filtering, free of React and the DOM so it can be tested on its own: points are
 * written straight into a canvas-sized pixel buffer (one `putImageData` a frame), which stays a few milliseconds
 * at 200,000 points where a canvas path or a fillRect per point does not.
 */
import { categoryRgb } from './palette';

/** What the filter does to the faces it leaves out. */
export type FilterMode = 'dim' | 'hide';

/** The zoom transform: screen = k · base + (x, y), in CSS pixels. */
export interface View {
  readonly k: number;
  readonly x: number;
  readonly y: number;
}

/** The map's points, fixed while the coordinates and colouring stay the same. */
export interface PointLayer {
  /** Base (zoom-free) positions, CSS pixels. */
  readonly px: Float32Array;
  readonly py: Float32Array;
  /** Rows in drawing order: by category, so a category paints over the ones before it the same way every frame. */
  readonly order: Uint32Array;
  /** Per row, its colour as one pixel of an ImageData buffer, and the same colour faded for the filtered-out. */
  readonly colour: Uint32Array;
  readonly faded: Uint32Array;
}

/** A canvas-sized pixel buffer (ImageData's bytes viewed as one 32-bit word per pixel). */
export interface PixelTarget {
  readonly pixels: Uint32Array;
  /** Device pixels. */
  readonly width: number;
  readonly height: number;
  /** Device pixels per CSS pixel. */
  readonly ratio: number;
}

/**
 * One pixel of an ImageData buffer read as a Uint32: its bytes are R, G, B, A in memory, which a little-endian
 * machine (every browser platform) reads as A·2²⁴ + B·2¹⁶ + G·2⁸ + R.
 */
export function packPixel(r: number, g: number, b: number, a = 255): number {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** How far toward white a filtered-out point is faded. */
const FADE = 0.8;

/** Per-row pixel colours for a colouring (category per row, -1 for none; null while it loads: all grey). */
export function pointColours(category: Int32Array | null, count: number): { colour: Uint32Array; faded: Uint32Array } {
  const colour = new Uint32Array(count);
  const faded = new Uint32Array(count);
  const cache = new Map<number, readonly [number, number]>();
  for (let i = 0; i < count; i++) {
    const c = category ? category[i]! : -1;
    let pair = cache.get(c);
    if (!pair) {
      const [r, g, b] = categoryRgb(c);
      const fade = (v: number) => Math.round(v + (255 - v) * FADE);
      pair = [packPixel(r, g, b), packPixel(fade(r), fade(g), fade(b))];
      cache.set(c, pair);
    }
    colour[i] = pair[0];
    faded[i] = pair[1];
  }
  return { colour, faded };
}

/** Rows ordered by category (-1 first, then ascending), stable within a category: a counting sort, O(n). */
export function drawingOrder(category: Int32Array | null, count: number): Uint32Array {
  const order = new Uint32Array(count);
  if (!category) {
    for (let i = 0; i < count; i++) order[i] = i;
    return order;
  }
  let max = -1;
  for (let i = 0; i < count; i++) max = Math.max(max, category[i]!);
  // Slot 0 holds category -1; slot c + 1 holds category c.
  const starts = new Uint32Array(max + 3);
  for (let i = 0; i < count; i++) starts[Math.max(-1, category[i]!) + 2]!++;
  for (let s = 1; s < starts.length; s++) starts[s]! += starts[s - 1]!;
  for (let i = 0; i < count; i++) order[starts[Math.max(-1, category[i]!) + 1]!++] = i;
  return order;
}

/** Which categories the filter leaves out: named ones by their legend index, and "none" (-1) on its own. */
export interface HiddenCategories {
  readonly indices: ReadonlySet<number>;
  readonly none: boolean;
}

/**
 * Per row, 1 if the filter keeps it, 0 if it leaves it out; null when it keeps every row (no filter, or the
 * colouring has not arrived), so the drawing loop can skip the test altogether.
 */
export function shownMask(category: Int32Array | null, count: number, hidden: HiddenCategories): Uint8Array | null {
  if (!category || (hidden.indices.size === 0 && !hidden.none)) return null;
  const mask = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = category[i]!;
    mask[i] = (c < 0 ? hidden.none : hidden.indices.has(c)) ? 0 : 1;
  }
  return mask;
}

export interface RasterResult {
  /** Points the filter keeps whose square touches the canvas. */
  readonly inView: number;
  /** Those points' rows, when there are at most `collectUpTo` of them; else null. */
  readonly rows: number[] | null;
}

/**
 * Clears the buffer and draws every point as a `size`-pixel square (CSS pixels) under the view: the filtered-out
 * first and faded (mode 'dim') or not at all ('hide'), then the rest in category order. Counts the points in view
 * and, when few, lists them, for the thumbnails.
 */
export function rasterisePoints(target: PixelTarget, layer: PointLayer, shown: Uint8Array | null, mode: FilterMode, view: View, size: number, collectUpTo: number): RasterResult {
  const { pixels, width, height, ratio } = target;
  const { px, py, order } = layer;
  pixels.fill(0);
  const side = Math.max(1, Math.round(size * ratio));
  const half = side / 2;
  const kr = view.k * ratio;
  const xr = view.x * ratio - half;
  const yr = view.y * ratio - half;

  const square = (row: number, colour: number): boolean => {
    const x0 = Math.floor(px[row]! * kr + xr);
    const y0 = Math.floor(py[row]! * kr + yr);
    if (x0 >= width || y0 >= height || x0 + side <= 0 || y0 + side <= 0) return false;
    const xa = Math.max(0, x0);
    const xb = Math.min(width, x0 + side);
    const yb = Math.min(height, y0 + side);
    for (let y = Math.max(0, y0); y < yb; y++) {
      const line = y * width;
      for (let x = xa; x < xb; x++) pixels[line + x] = colour;
    }
    return true;
  };

  if (shown && mode === 'dim') {
    for (let n = 0; n < order.length; n++) {
      const row = order[n]!;
      if (shown[row] === 0) square(row, layer.faded[row]!);
    }
  }
  let inView = 0;
  let rows: number[] | null = [];
  for (let n = 0; n < order.length; n++) {
    const row = order[n]!;
    if (shown && shown[row] === 0) continue;
    if (!square(row, layer.colour[row]!)) continue;
    inView++;
    if (rows) {
      if (rows.length < collectUpTo) rows.push(row);
      else rows = null;
    }
  }
  return { inView, rows };
}

/** The 95th percentile of a list of durations (0 for none). */
export function percentile95(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
}
