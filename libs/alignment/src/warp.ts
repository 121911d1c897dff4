import { affineScale, invertAffine } from './similarity-transform';
import type { AffineMatrix, RgbImage } from './types';

export interface WarpOptions {
  /** Colour outside the source; default: replicate the nearest edge pixel (no black wedges in rotated crops). */
  borderColor?: readonly [number, number, number];
  /**
   * Samples per axis per output pixel; default: enough to cover the source footprint when shrinking
   * (ceil(1/scale), at most 4), so large faces are area-averaged instead of aliased.
   */
  supersample?: number;
}

/**
 * Warps `src` by `matrix` (source → output coordinates) into a `width`×`height` RGB image by inverse mapping
 * with bilinear sampling. Pixel centres sit at half-integer coordinates, so a pure scale keeps image corners
 * on image corners.
 */
export function warpAffine(src: RgbImage, matrix: AffineMatrix, width: number, height: number, options: WarpOptions = {}): RgbImage {
  const { data, width: sw, height: sh } = src;
  if (data.length !== sw * sh * 3) throw new Error(`warpAffine: expected ${sw * sh * 3} RGB bytes, got ${data.length}`);
  const inv = invertAffine(matrix);
  const [a, b, tx, c, d, ty] = inv;
  const scale = affineScale(matrix);
  const n = Math.max(1, Math.min(8, Math.round(options.supersample ?? Math.min(4, Math.ceil(1 / scale - 1e-6)))));
  const border = options.borderColor;
  const out = new Uint8Array(width * height * 3);
  const acc = new Float64Array(3);
  const maxX = sw - 1, maxY = sh - 1;
  const inv2 = 1 / (n * n);

  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      acc[0] = 0; acc[1] = 0; acc[2] = 0;
      for (let j = 0; j < n; j++) {
        const oy = v + (j + 0.5) / n;
        for (let i = 0; i < n; i++) {
          const ox = u + (i + 0.5) / n;
          // Source position in pixel-index space (centres on integers).
          const sx = a * ox + b * oy + tx - 0.5;
          const sy = c * ox + d * oy + ty - 0.5;
          if (border && (sx < -0.5 || sy < -0.5 || sx > maxX + 0.5 || sy > maxY + 0.5)) {
            acc[0] += border[0]; acc[1] += border[1]; acc[2] += border[2];
            continue;
          }
          let x0 = Math.floor(sx), y0 = Math.floor(sy);
          const fx = sx - x0, fy = sy - y0;
          let x1 = x0 + 1, y1 = y0 + 1;
          if (x0 < 0) x0 = 0; else if (x0 > maxX) x0 = maxX;
          if (x1 < 0) x1 = 0; else if (x1 > maxX) x1 = maxX;
          if (y0 < 0) y0 = 0; else if (y0 > maxY) y0 = maxY;
          if (y1 < 0) y1 = 0; else if (y1 > maxY) y1 = maxY;
          const i00 = (y0 * sw + x0) * 3, i10 = (y0 * sw + x1) * 3, i01 = (y1 * sw + x0) * 3, i11 = (y1 * sw + x1) * 3;
          const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
          acc[0] += data[i00]! * w00 + data[i10]! * w10 + data[i01]! * w01 + data[i11]! * w11;
          acc[1] += data[i00 + 1]! * w00 + data[i10 + 1]! * w10 + data[i01 + 1]! * w01 + data[i11 + 1]! * w11;
          acc[2] += data[i00 + 2]! * w00 + data[i10 + 2]! * w10 + data[i01 + 2]! * w01 + data[i11 + 2]! * w11;
        }
      }
      const o = (v * width + u) * 3;
      // Uint8Array assignment truncates; +0.5 rounds.
      out[o] = acc[0]! * inv2 + 0.5;
      out[o + 1] = acc[1]! * inv2 + 0.5;
      out[o + 2] = acc[2]! * inv2 + 0.5;
    }
  }
  return { data: out, width, height };
}
