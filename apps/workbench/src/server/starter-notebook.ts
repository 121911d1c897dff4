/**
 * The notebook a first visit opens: one cell of each kind over the newest gallery (the default training run's
 * test gallery on a fresh clone), with the newest completed runs and the bundled models selected for comparison.
 */
import type { Notebook } from './notebook-store';
import { CELL_KINDS, newCell } from '../notebook/cells';
import { listRuns } from './experiments';
import { listGalleryIds } from './galleries';
import type { WorkbenchRoots } from './roots';
import { notebooks } from './stores';

export const STARTER_NOTEBOOK_ID = 'starter';

export function ensureStarterNotebook(roots: WorkbenchRoots): Notebook {
  const store = notebooks();
  const existing = store.get(STARTER_NOTEBOOK_ID);
  if (existing) return existing;
  const runs = listRuns(roots);
  const gallery = listGalleryIds(roots)[0] ?? null;
  const cells = CELL_KINDS.map((kind) => newCell(kind, gallery));
  const experiments = cells.find((c) => c.kind === 'experiments');
  if (experiments?.kind === 'experiments') {
    // The newest finished runs of this workspace, next to the models shipped with the project.
    const own = runs.filter((r) => !r.bundled && r.status === 'completed').slice(0, 3);
    experiments.params.selected = [...own, ...runs.filter((r) => r.bundled && r.status === 'completed')].map((r) => r.runId);
  }
  try {
    return store.create('Starter notebook', cells, STARTER_NOTEBOOK_ID);
  } catch {
    // Another request created it first.
    return store.get(STARTER_NOTEBOOK_ID)!;
  }
}
