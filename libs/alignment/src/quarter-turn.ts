import type { Box, Point, RgbImage } from './types';

/** Clockwise quarter turns used to find faces the detector misses sideways or upside down. */
export type QuarterTurn = 0 | 90 | 180 | 270;

/** Rotates an RGB image clockwise by a multiple of 90°. */
export function rotateRgb(img: RgbImage, turn: QuarterTurn): RgbImage {
  if (turn === 0) return img;
  const { data, width: w, height: h } = img;
  const ow = turn === 180 ? w : h, oh = turn === 180 ? h : w;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sx: number, sy: number;
      if (turn === 90) { sx = y; sy = h - 1 - x; }
      else if (turn === 180) { sx = w - 1 - x; sy = h - 1 - y; }
      else { sx = w - 1 - y; sy = x; }
      const s = (sy * w + sx) * 3, o = (y * ow + x) * 3;
      out[o] = data[s]!; out[o + 1] = data[s + 1]!; out[o + 2] = data[s + 2]!;
    }
  }
  return { data: out, width: ow, height: oh };
}

/** Maps a point of the turned image back to the unturned one of size `w`×`h`. */
export function unturnPoint(p: Point, turn: QuarterTurn, w: number, h: number): Point {
  switch (turn) {
    case 0: return p;
    case 90: return { x: p.y, y: h - p.x };
    case 180: return { x: w - p.x, y: h - p.y };
    case 270: return { x: w - p.y, y: p.x };
  }
}

export function unturnBox(b: Box, turn: QuarterTurn, w: number, h: number): Box {
  const a = unturnPoint({ x: b.x, y: b.y }, turn, w, h), c = unturnPoint({ x: b.x + b.width, y: b.y + b.height }, turn, w, h);
  return { x: Math.min(a.x, c.x), y: Math.min(a.y, c.y), width: Math.abs(c.x - a.x), height: Math.abs(c.y - a.y) };
}
