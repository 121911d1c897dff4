import { describe, expect, it } from 'vitest';
import { createGallery, embeddingMatrix, identityInvariance, twoClassTripletAccuracy, type FaceRecord } from '../src/index';

/** 4 persons × 3 expressions, 2 faces each, in 2-d: `expression` and `identity` set how far each factor moves a face. */
function gallery(expression: number, identity: number) {
  const faces: FaceRecord[] = [];
  const values: number[] = [];
  for (let p = 0; p < 4; p++) {
    for (let e = 0; e < 3; e++) {
      for (let k = 0; k < 2; k++) {
        faces.push({ id: `p${p}-e${e}-${k}`, image: `p${p}-e${e}-${k}.png`, person: `p${p}`, label: `e${e}` });
        values.push(expression * e + 0.01 * k, identity * p);
      }
    }
  }
  return createGallery(faces, embeddingMatrix(Float32Array.from(values), 2), null);
}

describe('two-class triplet accuracy and identity invariance of a gallery', () => {
  it('an embedding of expression alone gets every triplet right and ignores identity', () => {
    const g = gallery(1, 0);
    expect(twoClassTripletAccuracy(g, { count: 500 })).toMatchObject({ accuracy: 1, triplets: 500, acrossPersons: true });
    expect(identityInvariance(g, { count: 500 })?.share).toBe(1);
  });

  it('an embedding of identity alone is caught: triplets across persons fail and identity wins every comparison', () => {
    const g = gallery(0, 1);
    expect(twoClassTripletAccuracy(g, { count: 500 }).accuracy).toBeLessThan(0.2);
    expect(identityInvariance(g, { count: 500 })?.share).toBe(0);
  });

  it('is reproducible for a seed, and says when the gallery cannot give triplets', () => {
    const g = gallery(1, 0.8);
    expect(twoClassTripletAccuracy(g, { seed: 3 })).toEqual(twoClassTripletAccuracy(g, { seed: 3 }));
    const oneLabel = createGallery([{ id: 'a', image: 'a.png', label: 'x' }, { id: 'b', image: 'b.png', label: 'x' }], embeddingMatrix(new Float32Array(4), 2), null);
    expect(() => twoClassTripletAccuracy(oneLabel)).toThrow(/two labels/);
    expect(identityInvariance(oneLabel)).toBeUndefined();
  });
});
