import { describe, expect, it } from 'vitest';
import { CELL_KINDS, isCellKind, newCell, parseParams } from '../src/notebook/cells';

describe('notebook cell parameters', () => {
  it('gives every kind complete defaults, over the default gallery', () => {
    for (const kind of CELL_KINDS) {
      const cell = newCell(kind, 'experiments/r/test-gallery');
      expect(cell.kind).toBe(kind);
      if ('gallery' in cell.params) expect(cell.params.gallery).toBe('experiments/r/test-gallery');
    }
  });

  it('replaces invalid stored values by defaults instead of failing to open the notebook', () => {
    expect(parseParams('clusters', { k: 1000, seed: -3, gallery: 7 }, 'g')).toEqual({ gallery: 'g', k: 8, seed: 1 });
    expect(parseParams('clusters', { k: 150, seed: 4, gallery: 'h' }, 'g')).toEqual({ gallery: 'h', k: 150, seed: 4 });
    expect(parseParams('map', { colourBy: 'rainbow' }, null)).toMatchObject({ colourBy: 'label', gallery: null });
    expect(parseParams('experiments', { selected: ['a', 3, 'b'] }, null).selected).toEqual(['a', 'b']);
  });

  it('knows its kinds', () => {
    expect(isCellKind('map')).toBe(true);
    expect(isCellKind('shell')).toBe(false);
  });
});
