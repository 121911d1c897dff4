/** The comparison chart rendered to markup: one bar per run and triplet type, the three published reference lines. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AccuracyBars, REFERENCE_ACCURACIES } from '../src/cells/experiments-cell';
import type { ExperimentRow } from '../src/server/experiments';

function row(runId: string, accuracy: number, two: number | null): ExperimentRow {
  const byType = { ONE_CLASS: { accuracy: accuracy - 0.1, count: 10 }, TWO_CLASS: { accuracy: two, count: two === null ? 0 : 10 }, THREE_CLASS: { accuracy, count: 10 } };
  return {
    runId,
    status: 'completed',
    dataset: 'synthetic',
    backbone: 'faceapi',
    inputSize: null,
    backend: 'wasm',
    parameters: 1,
    tripletsSeen: 1,
    wallSeconds: 1,
    validation: null,
    test: { accuracy, byType: byType as never, triplets: 30, spread: 1 },
    failure: null,
    galleries: [],
    modifiedAt: '2026-11-29T00:00:00Z',
  };
}

describe('AccuracyBars', () => {
  it('draws a bar for every run and type it has, and the reference lines', () => {
    const html = renderToStaticMarkup(<AccuracyBars runs={[row('a', 0.8, 0.9), row('b', 0.7, null)]} />);
    // 4 groups × 2 runs, less run b's missing two-class accuracy.
    expect(html.match(/<rect/g)).toHaveLength(7);
    for (const ref of REFERENCE_ACCURACIES) expect(html).toContain(`${ref.name} ${(ref.accuracy * 100).toFixed(1)}%`);
    expect(html).toContain('a TWO_CLASS: 90.0 %');
  });
});
