'use client';
/**
 * Bring photos in: pick a folder under the data root (or upload photos) and a run; the server aligns and embeds
 * them as a background job (the same pipeline as `trainer:embed`), with progress, cancel and resume, and the
 * files it could not use listed with the reason. The finished gallery appears in every cell.
 */
import { useEffect, useRef, useState } from 'react';
import type { ImportJob } from '../server/import-jobs';
import type { ExperimentRow } from '../server/experiments';
import { api, sendJson } from './api';
import { ErrorLine, Progress } from './common';

type Listing = { jobs: ImportJob[]; folders: { folder: string; images: number }[] };
const ACTIVE = new Set(['queued', 'running']);

export function ImportCell({ onGalleriesChanged }: { onGalleriesChanged: () => void }) {
  const [listing, setListing] = useState<Listing | null>(null);
  const [runs, setRuns] = useState<ExperimentRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const completed = useRef<Set<string> | null>(null);

  useEffect(() => {
    api<{ runs: ExperimentRow[] }>('/api/experiments').then((r) => setRuns(r.runs.filter((run) => run.status === 'completed')), (e: Error) => setError(e.message));
  }, []);

  // Polls while a job is active (1.5 s), otherwise rarely; a job that completes refreshes the gallery lists.
  const active = listing?.jobs.some((j) => ACTIVE.has(j.state.status)) ?? false;
  useEffect(() => {
    let stopped = false;
    const controller = new AbortController();
    const load = () =>
      api<Listing>('/api/imports', { signal: controller.signal }).then(
        (l) => {
          if (stopped) return;
          setListing(l);
          const withGallery = new Set(l.jobs.filter((j) => j.gallery).map((j) => j.spec.name));
          if (completed.current && [...withGallery].some((n) => !completed.current!.has(n))) onGalleriesChanged();
          completed.current = withGallery;
        },
        (e: Error) => e.name !== 'AbortError' && setError(e.message),
      );
    void load();
    const timer = setInterval(load, active ? 1500 : 10_000);
    return () => {
      stopped = true;
      controller.abort();
      clearInterval(timer);
    };
  }, [active, refreshKey, onGalleriesChanged]);

  const onStarted = () => {
    setError(null);
    setRefreshKey((k) => k + 1);
  };
  const act = (name: string, action: 'cancel' | 'resume') =>
    sendJson(`/api/imports/${encodeURIComponent(name)}`, 'POST', { action }).then(
      () => setRefreshKey((k) => k + 1),
      (e: Error) => setError(e.message),
    );

  return (
    <div>
      <ErrorLine error={error} />
      {listing && <NewImport folders={listing.folders} runs={runs} onStarted={onStarted} onError={setError} />}
      {listing && listing.jobs.length > 0 && (
        <table className="runs" data-testid="import-jobs">
          <thead>
            <tr>
              <th>gallery</th>
              <th>from</th>
              <th>run</th>
              <th>status</th>
              <th>progress</th>
              <th>faces</th>
              <th>failures</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {listing.jobs.map((job) => (
              <ImportRow key={job.spec.name} job={job} onAction={(a) => void act(job.spec.name, a)} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ImportRow({ job, onAction }: { job: ImportJob; onAction: (action: 'cancel' | 'resume') => void }) {
  const { spec, state } = job;
  const fraction = state.total > 0 ? state.done / state.total : 0;
  return (
    <>
      <tr data-testid="import-job" data-name={spec.name} data-status={state.status}>
        <td>{job.gallery ?? spec.name}</td>
        <td>
          data/{spec.folder}
          {spec.detector === 'tiny-face-detector' ? ' · tiny detector' : ''}
        </td>
        <td>{spec.runId}</td>
        <td className={`status-${state.status}`}>{state.status}</td>
        <td style={{ minWidth: 180 }}>
          {state.total > 0 ? (
            <Progress label={`${state.done}/${state.total}${state.imagesPerSecond ? ` · ${state.imagesPerSecond.toFixed(1)} photos/s` : ''}`} fraction={fraction} />
          ) : (
            <span className="muted">{ACTIVE.has(state.status) ? 'loading models…' : '–'}</span>
          )}
        </td>
        <td>{state.faces}</td>
        <td data-testid="import-failures">{state.failures}</td>
        <td>
          {ACTIVE.has(state.status) && <button onClick={() => onAction('cancel')}>Cancel</button>}
          {(state.status === 'stopped' || state.status === 'failed') && <button onClick={() => onAction('resume')}>Resume</button>}
        </td>
      </tr>
      {(state.error || state.recentFailures.length > 0 || state.report) && (
        <tr>
          <td colSpan={8}>
            {state.error && <div className="error">{state.error}</div>}
            {state.report && <pre className="muted">{state.report}</pre>}
            {state.recentFailures.length > 0 && (
              <details>
                <summary>files not used ({state.failures})</summary>
                <ul data-testid="import-failure-list">
                  {state.recentFailures.map((f) => (
                    <li key={f.file}>
                      {f.file}: {f.message}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

function NewImport({
  folders,
  runs,
  onStarted,
  onError,
}: {
  folders: Listing['folders'];
  runs: readonly ExperimentRow[];
  onStarted: () => void;
  onError: (message: string) => void;
}) {
  const [folder, setFolder] = useState('');
  const [runId, setRunId] = useState('');
  const [name, setName] = useState('');
  const [labels, setLabels] = useState(false);
  const [fast, setFast] = useState(false);
  const [busy, setBusy] = useState(false);
  const files = useRef<HTMLInputElement>(null);
  const run = runId || runs.find((r) => r.bundled)?.runId || runs[0]?.runId || '';

  const detector = fast ? 'tiny-face-detector' : 'ssd-mobilenet-v1';
  const start = async (upload: boolean) => {
    setBusy(true);
    try {
      if (upload) {
        const form = new FormData();
        for (const f of Array.from(files.current?.files ?? [])) form.append('photos', f);
        form.set('name', name);
        form.set('runId', run);
        form.set('detector', detector);
        await api('/api/imports/upload', { method: 'POST', body: form });
      } else {
        await sendJson('/api/imports', 'POST', { folder, runId: run, name, labelFrom: labels ? 'folder' : 'none', personFrom: 'none', detector });
      }
      setName('');
      onStarted();
    } catch (e) {
      onError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="controls" data-testid="new-import">
      <label>
        Photos in{' '}
        <select
          value={folder}
          onChange={(e) => {
            setFolder(e.target.value);
            if (!name) setName(e.target.value.split('/').pop() ?? '');
          }}
          data-testid="import-folder"
        >
          <option value="">data/…</option>
          {folders.map((f) => (
            <option key={f.folder} value={f.folder}>
              data/{f.folder} ({f.images} images)
            </option>
          ))}
        </select>
      </label>
      <label>
        or upload <input type="file" multiple accept="image/*" ref={files} data-testid="import-files" />
      </label>
      <label>
        embedded by{' '}
        <select value={run} onChange={(e) => setRunId(e.target.value)} data-testid="import-run">
          {runs.map((r) => (
            <option key={r.runId} value={r.runId}>
              {r.runId}
              {r.bundled ? ' (bundled)' : ''}
            </option>
          ))}
        </select>
      </label>
      <label>
        as gallery <input value={name} onChange={(e) => setName(e.target.value)} placeholder="name" data-testid="import-name" size={16} />
      </label>
      <label title="label = the photo's subfolder">
        <input type="checkbox" checked={labels} onChange={(e) => setLabels(e.target.checked)} /> subfolders are labels
      </label>
      <label title="face-api's tiny detector: about 3× faster, may miss small or turned faces">
        <input type="checkbox" checked={fast} onChange={(e) => setFast(e.target.checked)} data-testid="import-fast" /> faster detector
      </label>
      <button disabled={busy || !name || !run || !folder} onClick={() => void start(false)} data-testid="import-start">
        Import folder
      </button>
      <button disabled={busy || !name || !run} onClick={() => void start(true)} data-testid="import-upload">
        Upload and import
      </button>
    </div>
  );
}
