import { describe, expect, it } from 'vitest';
import { alignFace, applyAffine, fitSimilarity, invertAffine, templateForSize, warpAffine, type Point, type RgbImage } from '../src/index';

const similarity = (s: number, deg: number, tx: number, ty: number) => {
  const r = (deg * Math.PI) / 180;
  return [s * Math.cos(r), -s * Math.sin(r), tx, s * Math.sin(r), s * Math.cos(r), ty] as const;
};

describe('fitSimilarity', () => {
  it('recovers an exact similarity from 5 points', () => {
    const m = similarity(1.7, 23, 12, -40);
    const from: Point[] = [{ x: 10, y: 20 }, { x: 50, y: 22 }, { x: 31, y: 45 }, { x: 15, y: 70 }, { x: 47, y: 69 }];
    const fitted = fitSimilarity(from, from.map((p) => applyAffine(m, p)));
    fitted.forEach((v, i) => expect(v).toBeCloseTo(m[i]!, 9));
  });

  it('never reflects: mirrored targets give a rotation, not a flip', () => {
    const from: Point[] = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 5, y: 8 }];
    const mirrored = from.map((p) => ({ x: -p.x, y: p.y }));
    const m = fitSimilarity(from, mirrored);
    expect(m[0] * m[4] - m[1] * m[3]).toBeGreaterThan(0);
  });

  it('inverts', () => {
    const m = similarity(0.5, -70, 3, 9);
    const p = { x: 13, y: -4 };
    const back = applyAffine(invertAffine(m), applyAffine(m, p));
    expect(back.x).toBeCloseTo(p.x, 9);
    expect(back.y).toBeCloseTo(p.y, 9);
  });
});

describe('template', () => {
  it('puts the eyes at y = 0.4·size, size/2 ± 35 px at 224, and scales with size', () => {
    const t = templateForSize(224);
    expect(t.leftEye.x).toBeCloseTo(77, 9);
    expect(t.leftEye.y).toBeCloseTo(89.6, 9);
    expect(t.rightEye.x).toBeCloseTo(147, 9);
    expect(t.noseTip.y).toBeGreaterThan(t.leftEye.y);
    expect(t.mouthLeft.y).toBeGreaterThan(t.noseTip.y);
    expect(templateForSize(112).rightEye.x - templateForSize(112).leftEye.x).toBeCloseTo(35, 9);
  });
});

describe('warpAffine / alignFace', () => {
  const gradient = (w: number, h: number): RgbImage => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x * 2, y * 2, 100], (y * w + x) * 3);
    return { data, width: w, height: h };
  };

  it('is exact for the identity and an integer shift', () => {
    const src = gradient(40, 30);
    expect(warpAffine(src, [1, 0, 0, 0, 1, 0], 40, 30).data).toEqual(src.data);
    const shifted = warpAffine(src, [1, 0, -5, 0, 1, -3], 10, 10);
    expect(Array.from(shifted.data.subarray(0, 3))).toEqual([10, 6, 100]);
  });

  it('samples bilinearly between pixels and replicates edges', () => {
    const src = gradient(4, 4);
    const half = warpAffine(src, [1, 0, -0.5, 0, 1, 0], 4, 4);
    expect(half.data[3]).toBe(3); // between x = 1 (2) and x = 2 (4)
    const out = warpAffine(src, [1, 0, 10, 0, 1, 0], 4, 4);
    expect(out.data[0]).toBe(0); // left of the source: edge replicated
  });

  it('maps landmarks onto the template: eyes level and 70 px apart for a tilted face', () => {
    const tilt = similarity(0.6, 30, 40, 10);
    const t = templateForSize(224);
    const src = { leftEye: t.leftEye, rightEye: t.rightEye, noseTip: t.noseTip, mouthLeft: t.mouthLeft, mouthRight: t.mouthRight };
    const inv = invertAffine(tilt);
    const onPhoto = Object.fromEntries(Object.entries(src).map(([k, p]) => [k, applyAffine(inv, p)])) as typeof src;
    const crop = alignFace(gradient(300, 300), onPhoto);
    expect(crop.image.width).toBe(224);
    expect(crop.image.data.length).toBe(224 * 224 * 3);
    expect(crop.alignedLandmarks.leftEye.x).toBeCloseTo(77, 6);
    expect(crop.alignedLandmarks.rightEye.y).toBeCloseTo(89.6, 6);
  });
});
