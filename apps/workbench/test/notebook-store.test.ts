import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { TaxonomyStore } from '@feenet/clustering';
import { NotebookConflictError, NotebookError, NotebookStore } from '../src/server/notebook-store';

const root = mkdtempSync(join(tmpdir(), 'feenet-notebooks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDb = () => join(root, `n${n++}.db`);

const cells = [
  { id: 'a', kind: 'experiments', params: { selected: ['run-1'] } },
  { id: 'b', kind: 'clusters', params: { gallery: 'g', k: 12 } },
];

describe('NotebookStore', () => {
  it('saves a notebook and reopens it from another connection, cells in order', () => {
    const path = freshDb();
    const store = NotebookStore.open(path);
    const created = store.create('Starter', cells, 'starter');
    expect(created.version).toBe(1);
    const saved = store.save('starter', 1, { cells: [cells[1]!, cells[0]!] });
    expect(saved.version).toBe(2);
    store.close();

    const again = NotebookStore.open(path);
    const nb = again.get('starter')!;
    expect(nb.title).toBe('Starter');
    expect(nb.cells.map((c) => c.id)).toEqual(['b', 'a']);
    expect(nb.cells[0]!.params).toEqual({ gallery: 'g', k: 12 });
    expect(again.list()).toEqual([expect.objectContaining({ id: 'starter', cells: 2 })]);
    again.close();
  });

  it('refuses a save based on a stale version instead of overwriting the other edit', () => {
    const path = freshDb();
    const tabA = NotebookStore.open(path);
    const tabB = NotebookStore.open(path);
    tabA.create('Shared', cells, 'shared');
    tabA.save('shared', 1, { cells: [cells[0]!] });
    expect(() => tabB.save('shared', 1, { cells: [] })).toThrow(NotebookConflictError);
    expect(tabB.get('shared')!.cells.map((c) => c.id)).toEqual(['a']);
    tabA.close();
    tabB.close();
  });

  it("never makes a tab's own saves conflict, keeps the newest when they arrive out of order, and still refuses another tab's stale save", () => {
    const store = NotebookStore.open(freshDb());
    store.create('Mine', cells, 'mine');
    const tab = { id: 'tab-1', seq: 0 };
    store.save('mine', 1, { title: 'first', cells }, { ...tab, seq: 1 });
    // Sent while save 1 was in flight, so from version 1 too; the stored version is already 2.
    store.save('mine', 1, { title: 'second', cells }, { ...tab, seq: 3 });
    // Save 2 arrives last: older than what is stored, it changes nothing.
    store.save('mine', 1, { title: 'stale', cells }, { ...tab, seq: 2 });
    expect(store.get('mine')).toMatchObject({ title: 'second', version: 3 });
    expect(() => store.save('mine', 2, { title: 'other tab', cells }, { id: 'tab-2', seq: 1 })).toThrow(NotebookConflictError);
    expect(() => store.save('mine', 2, { title: 'no writer', cells })).toThrow(NotebookConflictError);
    store.close();
  });

  it('opens a database made before notebooks recorded their writer', () => {
    const path = freshDb();
    const old = new Database(path);
    old.exec("CREATE TABLE notebooks (id TEXT PRIMARY KEY, title TEXT NOT NULL, cells TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL); INSERT INTO notebooks VALUES ('n', 'Old', '[]', 4, 'x', 'x');");
    old.close();
    const store = NotebookStore.open(path);
    expect(store.save('n', 4, { cells }, { id: 't', seq: 1 })).toMatchObject({ title: 'Old', version: 5 });
    store.close();
  });

  it('rejects malformed cells and titles', () => {
    const store = NotebookStore.open(freshDb());
    expect(() => store.create(' ', cells)).toThrow(NotebookError);
    expect(() => store.create('x', [cells[0]!, cells[0]!])).toThrow(/share the id/);
    expect(() => store.create('x', [{ id: 'c', kind: '', params: {} }])).toThrow(/no kind/);
    expect(() => store.create('x', [{ id: 'c', kind: 'k', params: [] as unknown as Record<string, unknown> }])).toThrow(/params/);
    expect(store.list()).toEqual([]);
    store.close();
  });

  it('lives in the same database file as the taxonomy without disturbing it', () => {
    const path = freshDb();
    const tags = TaxonomyStore.open(path);
    const v = new Float32Array(16);
    v[0] = 1;
    tags.create({ name: 'smile', definition: { kind: 'centre', centre: v, radius: 0.3 } });
    const notebooks = NotebookStore.open(path);
    notebooks.create('N', cells, 'n');
    expect(tags.list().map((t) => t.name)).toEqual(['smile']);
    expect(notebooks.get('n')).not.toBeNull();
    expect(notebooks.get('missing')).toBeNull();
    tags.close();
    notebooks.close();
  });
});
