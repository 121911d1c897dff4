'use client';
/**
 * Runs side by side: a sortable table of every run, and for the ones ticked, test accuracy per triplet type
 * against the published reference points, and learning curves from metrics.jsonl.
 */
import { useEffect, useMemo, useState } from 'react';
import { extent, max, scaleBand, scaleLinear, line } from 'd3';
import type { CellParams } from '../notebook/cells';
import type { ExperimentRow, LearningCurves } from '../server/experiments';
import { api } from './api';
import { ErrorLine, categoryColour } from './common';

/** Published triplet prediction accuracies (FEC test set) that every comparison is read against. */
export const REFERENCE_ACCURACIES = [
  { name: 'FECNet', accuracy: 0.818 },
  { name: 'FEENet', accuracy: 0.845 },
  { name: 'human raters', accuracy: 0.862 },
] as const;

const TYPES = ['ONE_CLASS', 'TWO_CLASS', 'THREE_CLASS'] as const;

const COLUMNS: { key: string; label: string; value: (r: ExperimentRow) => string | number | null; show: (r: ExperimentRow) => string }[] = [
  { key: 'runId', label: 'run', value: (r) => r.runId, show: (r) => (r.bundled ? `${r.runId} (bundled)` : r.runId) },
  { key: 'dataset', label: 'dataset', value: (r) => r.dataset, show: (r) => r.dataset },
  { key: 'backbone', label: 'backbone', value: (r) => r.backbone, show: (r) => r.backbone },
  { key: 'inputSize', label: 'input', value: (r) => r.inputSize, show: (r) => (r.inputSize ? `${r.inputSize} px` : '–') },
  { key: 'backend', label: 'backend', value: (r) => r.backend, show: (r) => r.backend ?? '–' },
  { key: 'parameters', label: 'params', value: (r) => r.parameters, show: (r) => (r.parameters ? `${(r.parameters / 1e6).toFixed(2)} M` : '–') },
  { key: 'tripletsSeen', label: 'triplets seen', value: (r) => r.tripletsSeen, show: (r) => r.tripletsSeen?.toLocaleString() ?? '–' },
  { key: 'wallSeconds', label: 'wall time', value: (r) => r.wallSeconds, show: (r) => (r.wallSeconds ? `${(r.wallSeconds / 60).toFixed(1)} min` : '–') },
  { key: 'validation', label: 'val acc', value: (r) => r.validation?.accuracy ?? null, show: (r) => pct(r.validation?.accuracy) },
  { key: 'test', label: 'test acc', value: (r) => r.test?.accuracy ?? null, show: (r) => pct(r.test?.accuracy) },
  ...TYPES.map((t) => ({
    key: t,
    label: t.toLowerCase().replace('_class', '-class'),
    value: (r: ExperimentRow) => r.test?.byType[t]?.accuracy ?? null,
    show: (r: ExperimentRow) => pct(r.test?.byType[t]?.accuracy),
  })),
  { key: 'status', label: 'status', value: (r) => r.status, show: runStatus },
];

/** How often the cell looks again while a run is in progress. */
const LIVE_POLL_MS = 3000;
const IDLE_POLL_MS = 10_000;

function runStatus(r: ExperimentRow): string {
  if (r.bundled) return `${r.status}, shipped in models/`;
  if (r.status === 'running') return `running · step ${r.lastStep ?? 0}`;
  if (r.status === 'stopped') return `stopped at step ${r.lastStep ?? 0} (resumable)`;
  return r.collapsed ? `${r.status} · collapsed` : r.status;
}

function pct(v: number | undefined | null): string {
  return v === undefined || v === null ? '–' : `${(v * 100).toFixed(1)} %`;
}

export function ExperimentsCell({ params, onChange }: { params: CellParams['experiments']; onChange: (p: CellParams['experiments']) => void }) {
  const [runs, setRuns] = useState<ExperimentRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Runs in progress are followed: the list (and the selected runs' curves) reload every few seconds while any
  // run is running, and once more when it finishes.
  const anyRunning = runs?.some((r) => r.status === 'running') ?? false;
  const [tick, setTick] = useState(0);
  useEffect(() => {
    api<{ runs: ExperimentRow[] }>('/api/experiments').then((r) => setRuns(r.runs), (e: Error) => setError(e.message));
  }, [tick]);
  useEffect(() => {
    // Often while a run is in progress; now and then otherwise, so a run started elsewhere shows up.
    const timer = setInterval(() => setTick((t) => t + 1), anyRunning ? LIVE_POLL_MS : IDLE_POLL_MS);
    return () => clearInterval(timer);
  }, [anyRunning]);
  const [smoothing, setSmoothing] = useState(0.6);

  const sorted = useMemo(() => {
    if (!runs) return [];
    const column = COLUMNS.find((c) => c.key === params.sortBy);
    if (!column) return runs;
    const sign = params.descending ? -1 : 1;
    return [...runs].sort((a, b) => {
      const va = column.value(a);
      const vb = column.value(b);
      if (va === vb) return 0;
      if (va === null) return 1;
      if (vb === null) return -1;
      return (va < vb ? -1 : 1) * sign;
    });
  }, [runs, params.sortBy, params.descending]);
  const selected = sorted.filter((r) => params.selected.includes(r.runId));

  return (
    <div>
      <ErrorLine error={error} />
      {runs && runs.length === 0 && <p className="muted">No runs under the experiments folder yet: nx run trainer:train makes the default one.</p>}
      {runs && runs.length > 0 && (
        <div className="table-wrap">
          <table className="runs" data-testid="runs-table">
            <thead>
              <tr>
                <th>compare</th>
                {COLUMNS.map((c) => (
                  <th key={c.key}>
                    <button className="sort" onClick={() => onChange({ ...params, sortBy: c.key, descending: params.sortBy === c.key ? !params.descending : true })}>
                      {c.label}
                      {params.sortBy === c.key ? (params.descending ? ' ▾' : ' ▴') : ''}
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {sorted.map((r) => (
                <tr key={r.runId} title={r.failure ?? undefined}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`compare ${r.runId}`}
                      checked={params.selected.includes(r.runId)}
                      onChange={(e) =>
                        onChange({ ...params, selected: e.target.checked ? [...params.selected, r.runId] : params.selected.filter((s) => s !== r.runId) })
                      }
                    />
                  </td>
                  {COLUMNS.map((c) => (
                    <td key={c.key}>{c.show(r)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selected.length > 0 && (
        <div className="compare" data-testid="compare">
          <AccuracyBars runs={selected} />
          <LearningCurveChart runIds={selected.map((r) => r.runId)} refresh={selected.map((r) => `${r.runId}:${r.lastStep ?? ''}:${r.status}`).join(',')} smoothing={smoothing} onSmoothing={setSmoothing} />
        </div>
      )}
    </div>
  );
}

export function AccuracyBars({ runs }: { runs: readonly ExperimentRow[] }) {
  const width = 560;
  const height = 260;
  const margin = { top: 16, right: 110, bottom: 40, left: 44 };
  const groups = ['overall', ...TYPES] as const;
  const x = scaleBand<string>().domain(groups).range([margin.left, width - margin.right]).padding(0.2);
  const inner = scaleBand<string>().domain(runs.map((r) => r.runId)).range([0, x.bandwidth()]).padding(0.08);
  const y = scaleLinear().domain([0.3, 1]).range([height - margin.bottom, margin.top]);
  const value = (r: ExperimentRow, g: (typeof groups)[number]) => (g === 'overall' ? r.test?.accuracy : r.test?.byType[g]?.accuracy) ?? null;
  return (
    <figure>
      <figcaption>Test triplet accuracy by triplet type</figcaption>
      <svg width={width} height={height} role="img" aria-label="accuracy bars" data-testid="accuracy-bars">
        {y.ticks(7).map((t) => (
          <g key={t} transform={`translate(0,${y(t)})`}>
            <line x1={margin.left} x2={width - margin.right} stroke="#eee" />
            <text x={margin.left - 6} dy="0.32em" textAnchor="end" fontSize={10}>
              {Math.round(t * 100)}%
            </text>
          </g>
        ))}
        {groups.map((g) => (
          <g key={g} transform={`translate(${x(g)},0)`}>
            {runs.map((r, i) => {
              const v = value(r, g);
              return v === null ? null : (
                <rect key={r.runId} x={inner(r.runId)} width={inner.bandwidth()} y={y(Math.max(0.3, v))} height={y(0.3) - y(Math.max(0.3, v))} fill={categoryColour(i)}>
                  <title>{`${r.runId} ${g}: ${pct(v)}`}</title>
                </rect>
              );
            })}
            <text x={x.bandwidth() / 2} y={height - margin.bottom + 16} textAnchor="middle" fontSize={11}>
              {g.toLowerCase().replace('_class', '-class')}
            </text>
          </g>
        ))}
        {REFERENCE_ACCURACIES.map((ref, i) => (
          <g key={ref.name} transform={`translate(0,${y(ref.accuracy)})`}>
            <line x1={margin.left} x2={width - margin.right} stroke="#444" strokeDasharray="4 3" />
            {/* The three lines sit within 5 points of each other: fan the labels out so they stay readable. */}
            <text x={width - margin.right + 4} y={(1 - i) * 11} dy="0.32em" fontSize={10}>
              {ref.name} {(ref.accuracy * 100).toFixed(1)}%
            </text>
          </g>
        ))}
      </svg>
      <Legend names={runs.map((r) => r.runId)} />
    </figure>
  );
}

/** Exponential moving average of a loss curve (TensorBoard's smoothing): `weight` 0 draws the raw losses. */
export function smoothLosses<T extends { loss: number }>(steps: readonly T[], weight: number): T[] {
  let last = steps[0]?.loss ?? 0;
  return steps.map((s) => {
    last = last * weight + s.loss * (1 - weight);
    return { ...s, loss: last };
  });
}

function LearningCurveChart({ runIds, refresh, smoothing, onSmoothing }: { runIds: readonly string[]; refresh: string; smoothing: number; onSmoothing: (w: number) => void }) {
  const [raw, setCurves] = useState<LearningCurves[]>([]);
  const [error, setError] = useState<string | null>(null);
  const runKey = runIds.join('\n');
  useEffect(() => {
    const ids = runKey.split('\n').filter(Boolean);
    Promise.all(ids.map((id) => api<LearningCurves>(`/api/experiments/${encodeURIComponent(id)}/curves`))).then(setCurves, (e: Error) => setError(e.message));
    // `refresh` changes when a selected run logs a step or changes status.
  }, [runKey, refresh]);
  const curves = useMemo(() => raw.map((c) => ({ ...c, steps: smoothLosses(c.steps, smoothing) })), [raw, smoothing]);
  const width = 560;
  const height = 240;
  const margin = { top: 12, right: 16, bottom: 32, left: 48 };
  const all = curves.flatMap((c) => c.steps);
  const x = scaleLinear().domain([0, max(all, (s) => s.step) ?? 1]).range([margin.left, width - margin.right]);
  const [lo, hi] = extent(all, (s) => s.loss);
  const y = scaleLinear().domain([Math.min(0, lo ?? 0), hi ?? 1]).nice().range([height - margin.bottom, margin.top]);
  const path = line<{ step: number; loss: number }>().x((s) => x(s.step)).y((s) => y(s.loss));
  return (
    <figure>
      <figcaption>
        Training loss by step (dots: validation accuracy, right scale 0–100 %) ·{' '}
        <label>
          smoothing <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => onSmoothing(Number(e.target.value))} data-testid="smoothing" /> {smoothing.toFixed(2)}
        </label>
      </figcaption>
      <ErrorLine error={error} />
      <svg width={width} height={height} role="img" aria-label="learning curves" data-testid="learning-curves" data-last-steps={curves.map((c) => c.steps.at(-1)?.step ?? 0).join(',')}>
        {y.ticks(5).map((t) => (
          <g key={t} transform={`translate(0,${y(t)})`}>
            <line x1={margin.left} x2={width - margin.right} stroke="#eee" />
            <text x={margin.left - 6} dy="0.32em" textAnchor="end" fontSize={10}>
              {t.toFixed(2)}
            </text>
          </g>
        ))}
        {x.ticks(6).map((t) => (
          <text key={t} x={x(t)} y={height - margin.bottom + 14} textAnchor="middle" fontSize={10}>
            {t}
          </text>
        ))}
        {curves.map((c, i) => (
          <g key={c.runId}>
            <path d={path([...c.steps]) ?? ''} fill="none" stroke={categoryColour(runIds.indexOf(c.runId) >= 0 ? runIds.indexOf(c.runId) : i)} strokeWidth={1.5} />
            {c.evals
              .filter((e) => e.split === 'validation')
              .map((e) => (
                <circle key={e.step} cx={x(e.step)} cy={margin.top + (1 - e.accuracy) * (height - margin.top - margin.bottom)} r={3} fill={categoryColour(runIds.indexOf(c.runId))}>
                  <title>{`${c.runId} step ${e.step}: validation ${pct(e.accuracy)}`}</title>
                </circle>
              ))}
          </g>
        ))}
        <text x={(margin.left + width - margin.right) / 2} y={height - 4} textAnchor="middle" fontSize={11}>
          step
        </text>
      </svg>
      <Legend names={runIds} />
    </figure>
  );
}

function Legend({ names }: { names: readonly string[] }) {
  return (
    <div className="legend">
      {names.map((n, i) => (
        <span key={n}>
          <i style={{ background: categoryColour(i) }} /> {n}
        </span>
      ))}
    </div>
  );
}
