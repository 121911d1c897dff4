import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRunId, listExperimentRows, listRuns, readLearningCurves, runDirectory } from '../src/server/experiments';
import { workbenchRoots } from '../src/server/roots';

const root = mkdtempSync(path.join(tmpdir(), 'workbench-experiments-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(id: string, files: Record<string, string>) {
  mkdirSync(path.join(root, id, 'test-gallery'), { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(root, id, name), body);
}

const config = JSON.stringify({ runId: 'x', backbone: 'efficientnet-b0', inputSize: 64, dataset: { source: 'synthetic', root: 'data/synthetic' } });
const summary = JSON.stringify({
  runId: 'done',
  status: 'completed',
  dataset: { name: 'synthetic', source: 'synthetic', root: 'data/synthetic', faces: {}, triplets: {} },
  backbone: 'efficientnet-b0',
  backend: 'wasm (SIMD, 1 thread)',
  parameters: { total: 4713651, trainable: 1, backbone: 1, head: 1 },
  inputSize: 64,
  tripletsSeen: 1000,
  steps: 10,
  wallSeconds: 60,
  trainSeconds: 50,
  tripletsPerSecond: 20,
  validation: null,
  test: { accuracy: 0.8, byType: { ONE_CLASS: { accuracy: 0.7, count: 10 }, TWO_CLASS: { accuracy: 0.9, count: 10 }, THREE_CLASS: { accuracy: 0.8, count: 10 } }, triplets: 30, spread: 1 },
  collapsed: false,
  finishedAt: '2026-11-29T00:00:00Z',
});

run('done', { 'config.json': config, 'summary.json': summary, 'metrics.jsonl': '{"kind":"step","step":1,"epoch":0,"loss":0.3,"learningRate":0.001,"tripletsPerSecond":5,"elapsedSeconds":1}\n{"kind":"eval","split":"validation","step":1,"epoch":0,"accuracy":0.7,"byType":{},"triplets":3,"spread":1}\n{"kind":"step","st' });
writeFileSync(path.join(root, 'done', 'test-gallery', 'gallery.json'), '{}');
run('running', { 'config.json': config, 'metrics.jsonl': '{"kind":"step","step":25,"epoch":0,"loss":0.4,"learningRate":0.001,"tripletsPerSecond":5,"elapsedSeconds":9}\n' });
run('killed', { 'config.json': config, 'metrics.jsonl': '{"kind":"step","step":50,"epoch":0,"loss":0.4,"learningRate":0.001,"tripletsPerSecond":5,"elapsedSeconds":9}\n' });
// Quiet for an hour: killed or interrupted, not running.
utimesSync(path.join(root, 'killed', 'metrics.jsonl'), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
mkdirSync(path.join(root, 'not-a-run'));

describe('experiment rows', () => {
  it('lists finished, running and stopped runs, skipping folders without a config', () => {
    const rows = listExperimentRows(root);
    expect(rows.map((r) => r.runId).sort()).toEqual(['done', 'killed', 'running']);
    const done = rows.find((r) => r.runId === 'done')!;
    expect(done).toMatchObject({ status: 'completed', backbone: 'efficientnet-b0', inputSize: 64, parameters: 4713651, galleries: ['done/test-gallery'] });
    expect(done.test?.byType.TWO_CLASS.accuracy).toBe(0.9);
    expect(rows.find((r) => r.runId === 'running')).toMatchObject({ status: 'running', lastStep: 25, test: null, inputSize: 64 });
    expect(rows.find((r) => r.runId === 'killed')).toMatchObject({ status: 'stopped', lastStep: 50 });
    expect(done).toMatchObject({ collapsed: false, lastStep: 10 });
  });

  it('reads learning curves and counts the torn line a killed run leaves', () => {
    const curves = readLearningCurves(path.join(root, 'done'), 'done');
    expect(curves.steps).toHaveLength(1);
    expect(curves.evals).toEqual([{ split: 'validation', step: 1, accuracy: 0.7 }]);
    expect(curves.skippedLines).toBe(1);
  });

  it('lists the bundled models after the workspace runs and finds the folder a gallery names in either root', () => {
    const workspace = mkdtempSync(path.join(tmpdir(), 'workbench-bundled-'));
    try {
      const roots = workbenchRoots({ FEENET_WORKSPACE: workspace });
      for (const [base, id] of [[roots.experiments, 'own-run'], [roots.models, 'feenet-fer2013'], [roots.models, 'own-run']] as const) {
        mkdirSync(path.join(base, id), { recursive: true });
        writeFileSync(path.join(base, id, 'config.json'), config);
        writeFileSync(path.join(base, id, 'summary.json'), summary);
      }
      const rows = listRuns(roots);
      // A workspace run shadows a bundled model of the same name.
      expect(rows.map((r) => [r.runId, r.bundled])).toEqual([['own-run', false], ['feenet-fer2013', true]]);
      expect(runDirectory(roots, 'feenet-fer2013')).toBe(path.join(roots.models, 'feenet-fer2013'));
      expect(runDirectory(roots, 'own-run')).toBe(path.join(roots.experiments, 'own-run'));
      expect(runDirectory(roots, 'missing')).toBe(path.join(roots.experiments, 'missing'));
      expect(() => runDirectory(roots, '../models/feenet-fer2013')).toThrow();
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('accepts only plain run ids', () => {
    expect(isRunId('20261128-234631-faceapi')).toBe(true);
    for (const bad of ['..', '.', 'a/b', '../x', 'a b', '']) expect(isRunId(bad)).toBe(false);
  });
});
