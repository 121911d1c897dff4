/**
 * The categorical palette every cell colours with: ten distinguishable colours, then golden-angle hues for as
 * many more as a K of 200 needs; -1 (no category) is grey. As CSS for the DOM and SVG, as RGB for the map's
 * pixel buffer, from one definition.
 */
const BASE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const;
const NONE = '#c8c8c8';
const SATURATION = 0.65;
const LIGHTNESS = 0.48;

const hue = (i: number) => (i * 137.508) % 360;

export function categoryColour(i: number): string {
  if (i < 0) return NONE;
  return i < BASE.length ? BASE[i]! : `hsl(${hue(i)} ${SATURATION * 100}% ${LIGHTNESS * 100}%)`;
}

export type Rgb = readonly [r: number, g: number, b: number];

export function categoryRgb(i: number): Rgb {
  if (i < 0) return hexRgb(NONE);
  return i < BASE.length ? hexRgb(BASE[i]!) : hslRgb(hue(i), SATURATION, LIGHTNESS);
}

function hexRgb(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** CSS's hsl() → sRGB (CSS Color 4's algorithm), rounded to bytes. */
export function hslRgb(h: number, s: number, l: number): Rgb {
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}
