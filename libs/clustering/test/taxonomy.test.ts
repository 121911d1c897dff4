import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TagDefinition, TaxonomyError, TaxonomyStore, assignTags, embeddingMatrix } from '../src/index';

const root = mkdtempSync(join(tmpdir(), 'feenet-taxonomy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dbCounter = 0;
const freshDb = () => join(root, `t${dbCounter++}.db`);

const unit = (axis: number, dim = 16) => {
  const v = new Float32Array(dim);
  v[axis] = 1;
  return v;
};
const centreTag = (axis: number, radius = 0.5): TagDefinition => ({ kind: 'centre', centre: unit(axis), radius });
const exampleTag = (axis: number, radius = 0.5): TagDefinition => ({
  kind: 'examples',
  examples: [{ faceId: `face-${axis}`, image: `${axis}.png`, embedding: unit(axis) }],
  radius,
});

describe('TaxonomyStore edits', () => {
  let store: TaxonomyStore;
  beforeEach(() => {
    store = TaxonomyStore.open(freshDb());
  });
  afterEach(() => store.close());

  it('creates a tree of tags and lists it parents-first', () => {
    const happy = store.create({ name: 'happy', definition: centreTag(0) });
    const smile = store.create({ name: 'smile with teeth', parentId: happy.id, definition: exampleTag(1) });
    const big = store.create({ name: 'big smile with teeth', parentId: smile.id, definition: exampleTag(2, 0.1) });
    store.create({ name: 'sad', definition: centreTag(3) });
    const tree = store.tree();
    expect(tree.map((n) => n.tag.name)).toEqual(['happy', 'sad']);
    expect(tree[0]!.children[0]!.tag.name).toBe('smile with teeth');
    expect(tree[0]!.children[0]!.children[0]!.tag.id).toBe(big.id);
    const stored = store.get(smile.id);
    expect(stored.centre).toBeNull();
    expect(stored.examples).toHaveLength(1);
    expect(Array.from(stored.examples[0]!.embedding)).toEqual(Array.from(unit(1)));
    expect(store.history().map((e) => e.op)).toEqual(['create', 'create', 'create', 'create']);
  });

  it('renames, refusing a name a sibling already has', () => {
    const a = store.create({ name: 'happy', definition: centreTag(0) });
    store.create({ name: 'sad', definition: centreTag(1) });
    store.rename(a.id, 'joyful');
    expect(store.get(a.id).name).toBe('joyful');
    expect(() => store.rename(a.id, 'sad')).toThrow(TaxonomyError);
    expect(() => store.create({ name: 'sad', definition: centreTag(2) })).toThrow(/sibling/);
    expect(store.history(a.id).map((e) => [e.op, e.detail])).toEqual([
      ['create', expect.anything()],
      ['rename', { from: 'happy', to: 'joyful' }],
    ]);
  });

  it('moves a tag under a new parent and refuses moves that would create a cycle', () => {
    const a = store.create({ name: 'a', definition: centreTag(0) });
    const b = store.create({ name: 'b', parentId: a.id, definition: centreTag(1) });
    const c = store.create({ name: 'c', parentId: b.id, definition: centreTag(2) });
    const d = store.create({ name: 'd', definition: centreTag(3) });
    store.move(c.id, d.id);
    expect(store.get(c.id).parentId).toBe(d.id);
    store.move(c.id, null);
    expect(store.get(c.id).parentId).toBeNull();
    expect(() => store.move(a.id, b.id)).toThrow(/cycle/);
    expect(() => store.move(a.id, a.id)).toThrow(/cycle/);
    expect(store.get(a.id).parentId).toBeNull();
    expect(store.history().filter((e) => e.op === 'move')).toHaveLength(2);
  });

  it('merges: children and examples move to the survivor, the absorbed centre is kept as an example', () => {
    const survivor = store.create({ name: 'smile', definition: exampleTag(0) });
    const absorbed = store.create({ name: 'grin', definition: centreTag(1) });
    store.addExamples(absorbed.id, [{ faceId: 'g1', image: null, embedding: unit(2) }]);
    const child = store.create({ name: 'toothy grin', parentId: absorbed.id, definition: centreTag(3) });
    store.merge(survivor.id, absorbed.id);
    expect(() => store.get(absorbed.id)).toThrow(/no tag/);
    expect(store.get(child.id).parentId).toBe(survivor.id);
    const merged = store.get(survivor.id);
    expect(merged.examples.map((e) => e.faceId).sort((x, y) => String(x).localeCompare(String(y)))).toEqual(['face-0', 'g1', null]);
    // Faces the absorbed tag covered are still covered by the survivor.
    const faces = embeddingMatrix(Float32Array.from([...unit(1), ...unit(2)]), 16);
    expect(assignTags(store.list(), faces).byFace.map((m) => m.map((x) => x.tagId))).toEqual([[survivor.id], [survivor.id]]);
    expect(store.history(survivor.id).at(-1)).toMatchObject({ op: 'merge', detail: { absorbed: absorbed.id, movedChildren: [child.id] } });
    expect(() => store.merge(child.id, survivor.id)).toThrow(/descendant/);
  });

  it('deletes a tag with children only when asked to, removing the whole subtree', () => {
    const a = store.create({ name: 'a', definition: centreTag(0) });
    const b = store.create({ name: 'b', parentId: a.id, definition: exampleTag(1) });
    store.create({ name: 'c', parentId: b.id, definition: centreTag(2) });
    const keep = store.create({ name: 'keep', definition: centreTag(3) });
    expect(() => store.delete(a.id, { withChildren: false })).toThrow(/descendant/);
    expect(store.list()).toHaveLength(4);
    store.delete(a.id, { withChildren: true });
    expect(store.list().map((t) => t.id)).toEqual([keep.id]);
    expect(store.history().filter((e) => e.op === 'delete').map((e) => e.detail.name)).toEqual(['c', 'b', 'a']);
  });

  it('keeps the history append-only, even for direct SQL', () => {
    store.create({ name: 'a', definition: centreTag(0) });
    const path = join(root, `t${dbCounter - 1}.db`);
    const raw = new Database(path);
    expect(() => raw.prepare('DELETE FROM tag_history').run()).toThrow(/append-only/);
    expect(() => raw.prepare("UPDATE tag_history SET op = 'rename'").run()).toThrow(/append-only/);
    raw.close();
  });
});

describe('tag assignment', () => {
  // Example at e0; faces at e1 (distance exactly √2), and slightly nearer/farther.
  const faces = embeddingMatrix(Float32Array.from([...unit(1), ...unit(0), ...unit(0).map((v, i) => (i === 1 ? 3 : v))]), 16);
  const assign = (radius: number, kind: 'centre' | 'examples') => {
    const def = kind === 'centre' ? centreTag(0, radius) : exampleTag(0, radius);
    const anchors = def.kind === 'centre' ? { centre: def.centre, examples: [] } : { centre: null, examples: def.examples };
    return assignTags([{ id: 7, radius: def.radius, ...anchors }], faces);
  };

  for (const kind of ['centre', 'examples'] as const) {
    it(`counts a face exactly at the radius as inside, just outside as outside (${kind})`, () => {
      const at = assign(Math.SQRT2, kind);
      expect(at.byFace[0]).toEqual([{ tagId: 7, distance: Math.SQRT2, confidence: 0 }]);
      expect(assign(Math.SQRT2 + 1e-9, kind).byFace[0]).toHaveLength(1);
      expect(assign(Math.SQRT2 - 1e-9, kind).byFace[0]).toHaveLength(0);
      expect(at.byFace[1]).toEqual([{ tagId: 7, distance: 0, confidence: 1 }]);
      expect(at.byFace[2]).toEqual([]);
      expect(at.counts.get(7)).toBe(2);
      expect(Array.from(at.nearest.tagIds)).toEqual([7, 7, 7]);
    });
  }

  it('gives a face every tag within radius, nearest first, with counts per tag', () => {
    const store = TaxonomyStore.open(freshDb());
    const wide = store.create({ name: 'wide', definition: centreTag(0, 2) });
    const narrow = store.create({ name: 'narrow', parentId: wide.id, definition: exampleTag(1, 0.1) });
    const far = store.create({ name: 'far', definition: centreTag(5, 0.1) });
    const result = store.assign(faces);
    expect(result.byFace[0]!.map((m) => m.tagId)).toEqual([narrow.id, wide.id]);
    expect(result.byFace[0]![1]!.confidence).toBeCloseTo(1 - Math.SQRT2 / 2, 6);
    expect(result.counts).toEqual(new Map([[wide.id, 2], [narrow.id, 1], [far.id, 0]]));
    store.close();
  });
});

function runChild(script: string, args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'processes', script), ...args], {
      cwd: join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('TaxonomyStore durability', () => {
  it('loses no edit when two processes write to the same database at once', async () => {
    const path = freshDb();
    const store = TaxonomyStore.open(path);
    const shared = store.create({ name: 'shared', definition: centreTag(0) });
    const edits = 60;
    const results = await Promise.all(
      ['A', 'B'].map((who) => runChild('taxonomy-writer.ts', [path, who, String(edits), String(shared.id)])),
    );
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    const names = new Set(store.list().map((t) => t.name));
    for (const who of ['A', 'B']) {
      for (let i = 0; i < edits; i++) expect(names.has(`${who}-${i}-renamed`)).toBe(true);
    }
    expect(store.list()).toHaveLength(1 + 2 * edits);
    expect(store.get(shared.id).examples).toHaveLength(2 * edits);
    expect(store.history()).toHaveLength(1 + 2 * edits * 3);
    store.close();
  });

  it('keeps none of a multi-edit batch when the process dies inside it, and all of it when it commits', async () => {
    const path = freshDb();
    const store = TaxonomyStore.open(path);
    store.create({ name: 'happy', definition: centreTag(0) });
    store.create({ name: 'content', definition: exampleTag(1) });
    const before = { tags: store.list(), history: store.history() };

    const crashed = await runChild('taxonomy-crash.ts', [path, 'batch-crash']);
    expect(crashed.signal).toBe('SIGKILL');
    expect(store.list()).toEqual(before.tags);
    expect(store.history()).toEqual(before.history);

    const completed = await runChild('taxonomy-crash.ts', [path, 'batch-complete']);
    expect(completed, completed.stderr).toMatchObject({ code: 0 });
    const tree = store.tree();
    expect(tree.map((n) => n.tag.name)).toEqual(['joyful', 'surprise']);
    expect(tree[0]!.children.map((n) => n.tag.name)).toEqual(['big surprise']);
    expect(store.history().slice(before.history.length).map((e) => e.op)).toEqual(['create', 'create', 'rename', 'move', 'merge']);
    store.close();
  });

  it('never shows a half-written tag after a writer is killed at an arbitrary moment', async () => {
    const path = freshDb();
    TaxonomyStore.open(path).close();
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'processes', 'taxonomy-crash.ts'), path, 'loop'], {
      cwd: join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 200));
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    const store = TaxonomyStore.open(path);
    const tags = store.list();
    expect(tags.length).toBeGreaterThan(0);
    for (const t of tags) expect(t.examples).toHaveLength(300);
    const created = store.history().filter((e) => e.op === 'create').map((e) => e.tagId);
    expect(created).toEqual(tags.map((t) => t.id).sort((a, b) => a - b));
    store.close();
  });
});
