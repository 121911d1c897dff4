import type { AffineMatrix, Point } from './types';

/**
 * Weighted least-squares similarity (rotation, uniform scale, translation; never a reflection) mapping `from`
 * onto `to`: the 2-D closed form of Umeyama (1991). In 2-D the optimal rotation is atan2 of the summed
 * cross and dot products of the centred point sets, so no SVD is needed and reflections cannot arise.
 */
export function fitSimilarity(from: readonly Point[], to: readonly Point[], weights?: readonly number[]): AffineMatrix {
  if (from.length !== to.length || from.length < 2) throw new Error('fitSimilarity needs two equally long lists of at least 2 points');
  let wSum = 0;
  let mfx = 0, mfy = 0, mtx = 0, mty = 0;
  for (let i = 0; i < from.length; i++) {
    const w = weights?.[i] ?? 1;
    const f = from[i]!, t = to[i]!;
    wSum += w;
    mfx += w * f.x; mfy += w * f.y; mtx += w * t.x; mty += w * t.y;
  }
  mfx /= wSum; mfy /= wSum; mtx /= wSum; mty /= wSum;
  let dot = 0, cross = 0, norm = 0;
  for (let i = 0; i < from.length; i++) {
    const w = weights?.[i] ?? 1;
    const fx = from[i]!.x - mfx, fy = from[i]!.y - mfy;
    const tx = to[i]!.x - mtx, ty = to[i]!.y - mty;
    dot += w * (fx * tx + fy * ty);
    cross += w * (fx * ty - fy * tx);
    norm += w * (fx * fx + fy * fy);
  }
  if (norm === 0) throw new Error('fitSimilarity: source points coincide');
  const theta = Math.atan2(cross, dot);
  const scale = Math.hypot(dot, cross) / norm;
  const a = scale * Math.cos(theta), c = scale * Math.sin(theta);
  return [a, -c, mtx - (a * mfx - c * mfy), c, a, mty - (c * mfx + a * mfy)];
}

export function applyAffine(m: AffineMatrix, p: Point): Point {
  return { x: m[0] * p.x + m[1] * p.y + m[2], y: m[3] * p.x + m[4] * p.y + m[5] };
}

export function invertAffine(m: AffineMatrix): AffineMatrix {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  if (Math.abs(det) < 1e-12) throw new Error('invertAffine: singular matrix');
  const ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
  return [ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)];
}

/** Uniform scale of a similarity matrix (for a general affine: the square root of |det|). */
export function affineScale(m: AffineMatrix): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
}

/** Rotation of a similarity matrix in degrees (counter-clockwise on screen is negative, as y points down). */
export function affineRotationDeg(m: AffineMatrix): number {
  return (Math.atan2(m[3], m[0]) * 180) / Math.PI;
}
