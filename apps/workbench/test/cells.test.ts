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

  it("opens a map saved before the map had a filter with no filter, and keeps a stored filter's valid parts", () => {
    expect(parseParams('map', { gallery: 'g', colourBy: 'tag', k: 12 }, null)).toEqual({ gallery: 'g', colourBy: 'tag', k: 12, filter: { hidden: [], hideNone: false, mode: 'dim' } });
    expect(parseParams('map', { filter: { hidden: ['happy', 3, 'sad', 'happy'], hideNone: true, mode: 'hide' } }, null).filter).toEqual({ hidden: ['happy', 'sad'], hideNone: true, mode: 'hide' });
    expect(parseParams('map', { filter: 'everything' }, null).filter).toEqual({ hidden: [], hideNone: false, mode: 'dim' });
    expect(parseParams('map', { filter: { hidden: 'happy', hideNone: 'yes', mode: 'blur' } }, null).filter).toEqual({ hidden: [], hideNone: false, mode: 'dim' });
  });

  it('knows its kinds', () => {
    expect(isCellKind('map')).toBe(true);
    expect(isCellKind('shell')).toBe(false);
  });
});
