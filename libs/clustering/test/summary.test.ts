import { describe, expect, it } from 'vitest';
import { createGallery, embeddingMatrix, summariseFaces, summarisePerson } from '../src/index';
import { blobs } from './synthetic';

describe('summarisePerson', () => {
  const { matrix, labels } = blobs([50, 30, 20, 7], 16, 21);
  // The first three blobs are Ana's expressions; blob 3 belongs to Ben (3 faces) and Cy (4 faces).
  const faces = labels.map((blob, i) => ({
    id: `face-${i}`,
    image: `${i}.png`,
    person: blob < 3 ? 'ana' : i % 2 === 0 ? 'ben' : 'cy',
  }));
  const gallery = createGallery(faces, matrix);

  it('groups a person’s faces into K expressions, largest first, each with the face nearest its centre', () => {
    const summary = summarisePerson(gallery, 'ana', { k: 3, seed: 1 });
    expect(summary.groups.map((g) => g.size)).toEqual([50, 30, 20]);
    for (const group of summary.groups) {
      expect(group.representative.row).toBe(group.members[0]);
      expect(group.representative.id).toBe(`face-${group.members[0]}`);
      const blob = labels[group.representative.row];
      expect(Array.from(group.members).every((row) => labels[row] === blob && faces[row]!.person === 'ana')).toBe(true);
    }
  });

  it('with fewer faces than K, returns one group per face', () => {
    const summary = summarisePerson(gallery, 'ben', { seed: 1 });
    const benFaces = faces.filter((f) => f.person === 'ben').map((f) => f.id);
    expect(benFaces.length).toBeLessThan(8);
    expect(summary.k).toBe(benFaces.length);
    expect(summary.groups.map((g) => g.size)).toEqual(benFaces.map(() => 1));
    expect(summary.groups.map((g) => g.representative.id).sort()).toEqual(benFaces.sort());
    expect(summary.groups.every((g) => g.representative.distance === 0)).toBe(true);
  });

  it('returns no groups for no faces, and refuses an unknown person', () => {
    expect(summariseFaces(gallery, new Uint32Array(0)).groups).toEqual([]);
    expect(() => summarisePerson(gallery, 'nobody')).toThrow(/no faces of person "nobody"/);
  });

  it('drops empty groups when a person has duplicate faces', () => {
    const dup = createGallery(
      [0, 1, 2, 3].map((i) => ({ id: `d${i}`, image: 'x.png', person: 'dup' })),
      embeddingMatrix(new Float32Array(4 * 16).fill(0.25), 16),
    );
    const summary = summarisePerson(dup, 'dup', { k: 3 });
    expect(summary.groups.reduce((s, g) => s + g.size, 0)).toBe(4);
    expect(summary.groups.every((g) => g.size > 0)).toBe(true);
  });
});
