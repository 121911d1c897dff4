/** The SQLite stores of libs/clustering, opened once per server process on the configured database. */
import { TaxonomyStore } from '@feenet/clustering';
import { NotebookStore } from './notebook-store';
import { workbenchRoots } from './roots';

const key = Symbol.for('feenet.workbench.stores');
type WithStores = typeof globalThis & { [key]?: { database: string; taxonomy: TaxonomyStore; notebooks: NotebookStore } };

function stores() {
  const g = globalThis as WithStores;
  const { database } = workbenchRoots();
  if (!g[key] || g[key].database !== database) {
    g[key] = { database, taxonomy: TaxonomyStore.open(database), notebooks: NotebookStore.open(database) };
  }
  return g[key];
}

export const taxonomy = (): TaxonomyStore => stores().taxonomy;
export const notebooks = (): NotebookStore => stores().notebooks;
