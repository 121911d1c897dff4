import { describe, expect, it } from 'vitest';
import { createGallery, embeddingMatrix, identityInvariance, inspectTriplets, ratedTripletRows, twoClassTripletAccuracy, twoClassTriplets, type FaceRecord } from '../src/index';

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

  it('inspects each triplet: distances, the odd one out the model picks, right or wrong, and the margin', () => {
    const line = createGallery(
      [{ id: 'a', image: 'a.png' }, { id: 'p', image: 'p.png' }, { id: 'n', image: 'n.png' }, { id: 'far', image: 'far.png' }],
      embeddingMatrix(new Float32Array([0, 0, 0.1, 0, 0.5, 0, 3, 0]), 2),
      null,
    );
    const [right, wrong] = inspectTriplets(line, [[0, 1, 2], [0, 2, 1]]);
    expect(right).toMatchObject({ anchor: 'a', positive: 'p', negative: 'n', predictedOdd: 'negative', correct: true });
    expect(right!.distances.anchorPositive).toBeCloseTo(0.1, 6);
    expect(right!.margin).toBeCloseTo(0.3, 6); // min(0.5, 0.4) − 0.1
    // Rated: a and n similar, p odd; the model finds a–p closest, so it calls n the odd one out: wrong.
    expect(wrong).toMatchObject({ predictedOdd: 'positive', correct: false });
    expect(wrong!.margin).toBeLessThan(0);
    // The accuracy figure is the share of inspected triplets that are right, for the same seed.
    const g = gallery(1, 0.8);
    const inspected = inspectTriplets(g, twoClassTriplets(g, { seed: 5, count: 300 }).triplets);
    expect(inspected.filter((t) => t.correct).length / inspected.length).toBeCloseTo(twoClassTripletAccuracy(g, { seed: 5, count: 300 }).accuracy, 10);
  });

  it("inspects a dataset's rated triplets over a gallery: ratings carried, triplets with a face missing counted", () => {
    const g = gallery(1, 0);
    const rated = [
      { anchor: 'p0-e0-0', positive: 'p1-e0-0', negative: 'p2-e2-0', type: 'TWO_CLASS', agreement: 0.67 },
      { anchor: 'p0-e1-0', positive: 'p1-e1-1', negative: 'p3-e1-0', type: 'ONE_CLASS' },
      { anchor: 'p0-e0-0', positive: 'not-in-gallery', negative: 'p2-e2-0', type: 'TWO_CLASS', agreement: 1 },
    ];
    const { triplets, ratings, missing } = ratedTripletRows(g, rated);
    expect(missing).toBe(1);
    const inspected = inspectTriplets(g, triplets, ratings);
    expect(inspected.map((t) => [t.anchor, t.type, t.agreement])).toEqual([
      ['p0-e0-0', 'TWO_CLASS', 0.67],
      ['p0-e1-0', 'ONE_CLASS', null],
    ]);
    expect(inspected[0]!.correct).toBe(true);
    // Label-derived triplets carry no rating.
    expect(inspectTriplets(g, [triplets[0]!])[0]).toMatchObject({ type: null, agreement: null });
  });
});
