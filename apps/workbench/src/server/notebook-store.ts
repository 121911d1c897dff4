import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { DEFAULT_TAXONOMY_DB, openWorkbenchDatabase } from '@feenet/clustering';

/**
 * One cell of a workbench notebook: which view it is and that view's parameters. The store keeps
 * `params` as JSON and does not interpret it; the workbench owns the meaning of each kind.
 */
export interface NotebookCell {
  readonly id: string;
  readonly kind: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface Notebook {
  readonly id: string;
  readonly title: string;
  readonly cells: readonly NotebookCell[];
  /** Bumped by every save; a save names the version it started from (optimistic concurrency). */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NotebookListing {
  readonly id: string;
  readonly title: string;
  readonly cells: number;
  readonly updatedAt: string;
}

/** A save that started from an older version than the stored one: someone else saved in between. */
export class NotebookConflictError extends Error {
  override readonly name = 'NotebookConflictError';
  constructor(
    readonly notebookId: string,
    readonly storedVersion: number,
  ) {
    super(`notebook ${notebookId} was saved by someone else (now at version ${storedVersion}); reload it`);
  }
}

export class NotebookError extends Error {
  override readonly name = 'NotebookError';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notebooks (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL CHECK (length(trim(title)) > 0),
  cells TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  writer TEXT,
  writer_seq INTEGER
);
`;

interface NotebookRow {
  id: string;
  title: string;
  cells: string;
  version: number;
  created_at: string;
  updated_at: string;
  writer: string | null;
  writer_seq: number | null;
}

/** Who saves: one browser tab (a random id per page load) and the number of its save, counting up. */
export interface NotebookWriter {
  readonly id: string;
  readonly seq: number;
}

/**
 * Workbench notebooks in the same SQLite file as the tag taxonomy (`data/workbench.db` by default).
 * Every save is one IMMEDIATE transaction that checks the version it started from, so two browser
 * tabs editing one notebook get a conflict instead of silently overwriting each other. A tab's own saves never
 * conflict with each other: one sent while its previous save is still in flight (leaving the page right after
 * an edit) starts from a version that save is about to replace; they are ordered by the tab's save number.
 */
export class NotebookStore {
  private constructor(private readonly db: Database.Database) {}

  static open(path: string = DEFAULT_TAXONOMY_DB, options: { busyTimeoutMs?: number } = {}): NotebookStore {
    const db = openWorkbenchDatabase(path, SCHEMA, options);
    // Databases made before notebooks recorded their writer gain the columns.
    const columns = new Set((db.prepare('PRAGMA table_info(notebooks)').all() as { name: string }[]).map((c) => c.name));
    if (!columns.has('writer')) db.exec('ALTER TABLE notebooks ADD COLUMN writer TEXT; ALTER TABLE notebooks ADD COLUMN writer_seq INTEGER;');
    return new NotebookStore(db);
  }

  close(): void {
    this.db.close();
  }

  list(): NotebookListing[] {
    const rows = this.db.prepare('SELECT * FROM notebooks ORDER BY updated_at DESC, id').all() as NotebookRow[];
    return rows.map((r) => ({ id: r.id, title: r.title, cells: (JSON.parse(r.cells) as unknown[]).length, updatedAt: r.updated_at }));
  }

  /** The notebook, or null when no notebook has that id. */
  get(id: string): Notebook | null {
    const row = this.db.prepare('SELECT * FROM notebooks WHERE id = ?').get(id) as NotebookRow | undefined;
    return row ? toNotebook(row) : null;
  }

  create(title: string, cells: readonly NotebookCell[], id: string = randomUUID()): Notebook {
    const checkedTitle = checkTitle(title);
    const json = JSON.stringify(checkCells(cells));
    const at = new Date().toISOString();
    this.db
      .transaction(() => {
        if (this.db.prepare('SELECT 1 FROM notebooks WHERE id = ?').get(id)) throw new NotebookError(`notebook ${id} already exists`);
        this.db.prepare('INSERT INTO notebooks (id, title, cells, version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)').run(id, checkedTitle, json, at, at);
      })
      .immediate();
    return this.get(id)!;
  }

  /**
   * Replaces title and cells if the stored version is still `baseVersion` — or if the last save came from the
   * same `writer` and this one is newer (a save older than one already stored changes nothing); returns the
   * notebook as stored.
   */
  save(id: string, baseVersion: number, change: { readonly title?: string; readonly cells: readonly NotebookCell[] }, writer?: NotebookWriter): Notebook {
    const json = JSON.stringify(checkCells(change.cells));
    const title = change.title === undefined ? undefined : checkTitle(change.title);
    this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT version, title, writer, writer_seq FROM notebooks WHERE id = ?').get(id) as Pick<NotebookRow, 'version' | 'title' | 'writer' | 'writer_seq'> | undefined;
        if (!row) throw new NotebookError(`no notebook ${id}`);
        const sameWriter = writer !== undefined && row.writer === writer.id;
        if (sameWriter && writer.seq <= (row.writer_seq ?? -1)) return;
        if (!sameWriter && row.version !== baseVersion) throw new NotebookConflictError(id, row.version);
        this.db
          .prepare('UPDATE notebooks SET title = ?, cells = ?, version = version + 1, updated_at = ?, writer = ?, writer_seq = ? WHERE id = ?')
          .run(title ?? row.title, json, new Date().toISOString(), writer?.id ?? null, writer?.seq ?? null, id);
      })
      .immediate();
    return this.get(id)!;
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM notebooks WHERE id = ?').run(id).changes > 0;
  }
}

function checkTitle(title: string): string {
  const t = title.trim();
  if (t === '') throw new NotebookError('a notebook needs a title');
  if (t.length > 200) throw new NotebookError('notebook title longer than 200 characters');
  return t;
}

function checkCells(cells: readonly NotebookCell[]): NotebookCell[] {
  if (!Array.isArray(cells)) throw new NotebookError('cells must be an array');
  if (cells.length > 200) throw new NotebookError(`a notebook holds at most 200 cells, got ${cells.length}`);
  const ids = new Set<string>();
  return cells.map((c, i) => {
    if (typeof c !== 'object' || c === null) throw new NotebookError(`cell ${i} is not an object`);
    if (typeof c.id !== 'string' || c.id === '') throw new NotebookError(`cell ${i} has no id`);
    if (ids.has(c.id)) throw new NotebookError(`two cells share the id "${c.id}"`);
    ids.add(c.id);
    if (typeof c.kind !== 'string' || c.kind === '') throw new NotebookError(`cell ${i} has no kind`);
    if (typeof c.params !== 'object' || c.params === null || Array.isArray(c.params)) throw new NotebookError(`cell ${i} params must be an object`);
    return { id: c.id, kind: c.kind, params: c.params };
  });
}

function toNotebook(row: NotebookRow): Notebook {
  return {
    id: row.id,
    title: row.title,
    cells: JSON.parse(row.cells) as NotebookCell[],
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
