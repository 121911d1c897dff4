'use client';
/**
 * A notebook: cells top to bottom, each a view with its own parameters. Every change of cells or parameters is
 * saved (debounced) with the version it started from; a save that lost to another tab says so instead of
 * overwriting it.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Notebook } from '../server/notebook-store';
import { CELL_KINDS, CELL_TITLES, type Cell, type CellKind, isCellKind, newCell, parseParams } from '../notebook/cells';
import type { GalleryListing } from '../server/galleries';
import { ApiError, api } from './api';
import { ClustersCell } from './clusters-cell';
import { ExperimentsCell } from './experiments-cell';
import { MapCell } from './map-cell';
import { SearchCell } from './search-cell';
import { SummaryCell } from './summary-cell';
import { TripletsCell } from './triplets-cell';
import { TaxonomyCell } from './taxonomy-cell';
import { ImportCell } from './import-cell';

type SaveState = 'saved' | 'saving' | 'unsaved' | { error: string };

function parseCells(notebook: Notebook, defaultGallery: string | null): Cell[] {
  return notebook.cells.filter((c) => isCellKind(c.kind)).map((c) => ({ id: c.id, kind: c.kind, params: parseParams(c.kind as CellKind, c.params as Record<string, unknown>, defaultGallery) }) as Cell);
}

export function NotebookView({ notebook, galleries: initialGalleries }: { notebook: Notebook; galleries: readonly GalleryListing[] }) {
  // Re-read when an import finishes, so the new gallery is offered in every cell.
  const [galleries, setGalleries] = useState(initialGalleries);
  const refreshGalleries = useCallback(() => {
    api<{ galleries: GalleryListing[] }>('/api/galleries').then((r) => setGalleries(r.galleries), () => {});
  }, []);
  const defaultGallery = galleries[0]?.id ?? null;
  const [cells, setCells] = useState<Cell[]>(() => parseCells(notebook, defaultGallery));
  const [title, setTitle] = useState(notebook.title);
  const [saveState, setSaveState] = useState<SaveState>('saved');
  const version = useRef(notebook.version);
  const firstRender = useRef(true);

  // The edit not saved yet, and its debounce timer: leaving the page (or hiding it) saves at once, so an edit
  // followed by a reload within the debounce is not lost.
  const pending = useRef<{ title: string; cells: Cell[] } | null>(null);
  // This tab as a writer: its saves are numbered, so one sent while the previous is in flight does not conflict.
  const writer = useRef({ id: typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : String(Math.random()), seq: 0 });
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const saveNow = useCallback(
    async (keepalive: boolean) => {
      const edit = pending.current;
      if (!edit) return;
      pending.current = null;
      clearTimeout(timer.current);
      setSaveState('saving');
      try {
        const saved = await api<Notebook>(`/api/notebooks/${encodeURIComponent(notebook.id)}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ version: version.current, ...edit, writer: { id: writer.current.id, seq: ++writer.current.seq } }),
          keepalive, // lets the request outlive the page
        });
        version.current = Math.max(version.current, saved.version);
        setSaveState(pending.current ? 'unsaved' : 'saved');
      } catch (err) {
        setSaveState({ error: err instanceof ApiError && err.status === 409 ? 'Another tab saved this notebook; reload to see its version.' : (err as Error).message });
      }
    },
    [notebook.id],
  );

  // A layout effect runs in the same task as the edit's render, so an edit followed at once by leaving the page
  // is already pending when 'pagehide' fires (a passive effect could still be waiting to run).
  useLayoutEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    pending.current = { title, cells };
    setSaveState('unsaved');
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void saveNow(false), 400);
  }, [cells, title, saveNow]);

  useEffect(() => {
    const flush = () => void saveNow(true);
    const onVisibility = () => document.visibilityState === 'hidden' && flush();
    window.addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.removeEventListener('pagehide', flush);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [saveNow]);

  const update = useCallback((id: string, params: Cell['params']) => {
    setCells((cs) => cs.map((c) => (c.id === id ? ({ ...c, params } as Cell) : c)));
  }, []);
  const move = (index: number, by: number) =>
    setCells((cs) => {
      const next = [...cs];
      const [cell] = next.splice(index, 1);
      next.splice(Math.max(0, Math.min(next.length, index + by)), 0, cell!);
      return next;
    });

  return (
    <div className="notebook" data-testid="notebook">
      <div className="notebook-head">
        <input className="title" value={title} onChange={(e) => setTitle(e.target.value)} aria-label="Notebook title" />
        <span className="save-state" data-testid="save-state">
          {typeof saveState === 'string' ? saveState : <span className="error">{saveState.error}</span>}
        </span>
      </div>
      {cells.map((cell, i) => (
        <section key={cell.id} className="cell" data-testid={`cell-${cell.kind}`} data-cell-id={cell.id}>
          <div className="cell-head">
            <h2>{CELL_TITLES[cell.kind]}</h2>
            <div className="cell-tools">
              <button onClick={() => move(i, -1)} disabled={i === 0} aria-label="Move cell up">↑</button>
              <button onClick={() => move(i, 1)} disabled={i === cells.length - 1} aria-label="Move cell down">↓</button>
              <button onClick={() => setCells((cs) => cs.filter((c) => c.id !== cell.id))} aria-label="Remove cell">✕</button>
            </div>
          </div>
          <CellBody cell={cell} galleries={galleries} onChange={(params) => update(cell.id, params)} onGalleriesChanged={refreshGalleries} />
        </section>
      ))}
      <div className="add-cell">
        Add a cell:{' '}
        {CELL_KINDS.map((kind) => (
          <button key={kind} onClick={() => setCells((cs) => [...cs, newCell(kind, defaultGallery)])}>
            + {CELL_TITLES[kind]}
          </button>
        ))}
      </div>
    </div>
  );
}

function CellBody({
  cell,
  galleries,
  onChange,
  onGalleriesChanged,
}: {
  cell: Cell;
  galleries: readonly GalleryListing[];
  onChange: (params: Cell['params']) => void;
  onGalleriesChanged: () => void;
}) {
  switch (cell.kind) {
    case 'experiments':
      return <ExperimentsCell params={cell.params} onChange={onChange} />;
    case 'map':
      return <MapCell params={cell.params} galleries={galleries} onChange={onChange} />;
    case 'clusters':
      return <ClustersCell params={cell.params} galleries={galleries} onChange={onChange} />;
    case 'search':
      return <SearchCell params={cell.params} galleries={galleries} onChange={onChange} />;
    case 'summary':
      return <SummaryCell params={cell.params} galleries={galleries} onChange={onChange} />;
    case 'triplets':
      return <TripletsCell params={cell.params} galleries={galleries} onChange={onChange} />;
    case 'taxonomy':
      return <TaxonomyCell params={cell.params} galleries={galleries} onChange={onChange} />;
    case 'import':
      return <ImportCell onGalleriesChanged={onGalleriesChanged} />;
  }
}
