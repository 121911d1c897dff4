import { describe, expect, it } from 'vitest';
import { drawingOrder, packPixel, percentile95, pointColours, rasterisePoints, shownMask, type PointLayer } from '../src/cells/map-points';
import { categoryColour, categoryRgb, hslRgb } from '../src/cells/palette';

/** A layer of points at the given base positions, category per point. */
function layerOf(points: [number, number][], category: Int32Array | null): PointLayer {
  return {
    px: Float32Array.from(points, (p) => p[0]),
    py: Float32Array.from(points, (p) => p[1]),
    order: drawingOrder(category, points.length),
    ...pointColours(category, points.length),
  };
}

function target(width: number, height: number, ratio = 1) {
  return { pixels: new Uint32Array(width * height), width, height, ratio };
}

const identity = { k: 1, x: 0, y: 0 };

describe('the map palette', () => {
  it('gives the pixel buffer the colours the legend shows', () => {
    expect(categoryRgb(0)).toEqual([0x1f, 0x77, 0xb4]);
    expect(categoryRgb(-1)).toEqual([0xc8, 0xc8, 0xc8]);
    expect(categoryColour(12)).toMatch(/^hsl\(/);
    // CSS hsl(120 100% 25%) is rgb(0 128 0); hsl(0 100% 50%) is red.
    expect(hslRgb(120, 1, 0.25)).toEqual([0, 128, 0]);
    expect(hslRgb(0, 1, 0.5)).toEqual([255, 0, 0]);
  });

  it('packs a pixel as ImageData bytes R, G, B, A read little-endian', () => {
    const word = new Uint32Array([packPixel(1, 2, 3, 4)]);
    expect(Array.from(new Uint8Array(word.buffer))).toEqual([1, 2, 3, 4]);
  });
});

describe('drawing order', () => {
  it('sorts rows by category, none first, stable within one', () => {
    expect(Array.from(drawingOrder(Int32Array.from([2, 0, -1, 2, 0, 1]), 6))).toEqual([2, 1, 4, 5, 0, 3]);
    expect(Array.from(drawingOrder(null, 3))).toEqual([0, 1, 2]);
  });
});

describe('the filter mask', () => {
  const category = Int32Array.from([0, 1, -1, 1, 2]);
  it('keeps every row when nothing is hidden, or while the colouring loads', () => {
    expect(shownMask(category, 5, { indices: new Set(), none: false })).toBeNull();
    expect(shownMask(null, 5, { indices: new Set([1]), none: true })).toBeNull();
  });
  it('leaves out hidden categories and, on its own, the rows with none', () => {
    expect(Array.from(shownMask(category, 5, { indices: new Set([1]), none: false })!)).toEqual([1, 0, 1, 0, 1]);
    expect(Array.from(shownMask(category, 5, { indices: new Set(), none: true })!)).toEqual([1, 1, 0, 1, 1]);
  });
});

describe('rasterisePoints', () => {
  it('draws each point as a square of its colour, later categories over earlier ones', () => {
    const layer = layerOf([[2, 2], [2, 2], [7, 7]], Int32Array.from([1, 0, 0]));
    const t = target(10, 10);
    const result = rasterisePoints(t, layer, null, 'dim', identity, 2, 10);
    expect(result).toEqual({ inView: 3, rows: [1, 2, 0] });
    // Square of side 2 centred on (2, 2): pixels 1..2 on both axes; category 1 drawn last wins.
    expect(t.pixels[1 * 10 + 1]).toBe(layer.colour[0]);
    expect(t.pixels[2 * 10 + 2]).toBe(layer.colour[0]);
    expect(t.pixels[6 * 10 + 6]).toBe(layer.colour[2]);
    expect(t.pixels.filter((p) => p !== 0).length).toBe(8);
  });

  it('follows the zoom and the device pixel ratio, and clips at the edges', () => {
    const layer = layerOf([[1, 1], [30, 30]], null);
    const t = target(8, 8, 2);
    // Scale 2 and shift 1: (1, 1) lands at 3 CSS px = 6 device px; (30, 30) is far outside.
    const result = rasterisePoints(t, layer, null, 'dim', { k: 2, x: 1, y: 1 }, 2, 10);
    expect(result.inView).toBe(1);
    expect(t.pixels[4 * 8 + 4]).toBe(layer.colour[0]);
    expect(t.pixels[7 * 8 + 7]).toBe(layer.colour[0]);
    expect(t.pixels[3 * 8 + 3]).toBe(0);
  });

  it('fades the filtered-out (dim) or leaves them out (hide), and counts only the kept', () => {
    const layer = layerOf([[2, 2], [7, 7]], Int32Array.from([0, 1]));
    const shown = Uint8Array.from([1, 0]);
    const dim = target(10, 10);
    expect(rasterisePoints(dim, layer, shown, 'dim', identity, 2, 10)).toEqual({ inView: 1, rows: [0] });
    expect(dim.pixels[7 * 10 + 7]).toBe(layer.faded[1]);
    expect(layer.faded[1]).not.toBe(layer.colour[1]);
    const hide = target(10, 10);
    rasterisePoints(hide, layer, shown, 'hide', identity, 2, 10);
    expect(hide.pixels[7 * 10 + 7]).toBe(0);
    expect(hide.pixels[2 * 10 + 2]).toBe(layer.colour[0]);
  });

  it('lists the points in view only while they are few enough for thumbnails', () => {
    const layer = layerOf([[1, 1], [3, 3], [5, 5]], null);
    expect(rasterisePoints(target(10, 10), layer, null, 'dim', identity, 1, 2)).toEqual({ inView: 3, rows: null });
    expect(rasterisePoints(target(10, 10), layer, null, 'dim', identity, 1, 3).rows).toEqual([0, 1, 2]);
  });

  it('clears what the previous frame drew', () => {
    const layer = layerOf([[2, 2]], null);
    const t = target(10, 10);
    rasterisePoints(t, layer, null, 'dim', identity, 2, 10);
    rasterisePoints(t, layer, null, 'dim', { k: 1, x: 5, y: 5 }, 2, 10);
    expect(t.pixels[2 * 10 + 2]).toBe(0);
    expect(t.pixels[7 * 10 + 7]).toBe(layer.colour[0]);
  });
});

describe('percentile95', () => {
  it('is the value 95 % of the list is at or under', () => {
    expect(percentile95([])).toBe(0);
    expect(percentile95(Array.from({ length: 100 }, (_, i) => i + 1))).toBe(96);
    expect(percentile95([5])).toBe(5);
  });
});
