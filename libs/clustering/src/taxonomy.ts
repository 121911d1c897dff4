import type Database from 'better-sqlite3';
import { type EmbeddingMatrix, decodeFloat32LE, encodeFloat32LE, squaredDistanceAt } from './embeddings';
import { openWorkbenchDatabase } from './workbench-database';

export type TagId = number;

/** A face that defines a tag: its embedding, and where it came from when known. */
export interface TagExample {
  readonly faceId: string | null;
  readonly image: string | null;
  readonly embedding: Float32Array;
}

/** How a tag made from a K-Means cluster was produced, so it can be traced back. */
export interface ClusterProvenance {
  readonly runId: string | null;
  readonly k: number;
  readonly seed: number;
  readonly clusterIndex: number;
  readonly mode: 'centre' | 'members';
}

/**
 * What a tag covers: every face within `radius` of its centre or of any example.
 * A tag always has at least one anchor: a centre, or one or more examples.
 */
export type TagDefinition =
  | { readonly kind: 'centre'; readonly centre: Float32Array; readonly radius: number }
  | { readonly kind: 'examples'; readonly examples: readonly [TagExample, ...TagExample[]]; readonly radius: number };

export interface ExpressionTag {
  readonly id: TagId;
  readonly name: string;
  readonly parentId: TagId | null;
  readonly dim: number;
  readonly radius: number;
  /** Null for tags defined only by examples. */
  readonly centre: Float32Array | null;
  readonly examples: readonly TagExample[];
  readonly provenance: ClusterProvenance | null;
  readonly createdAt: string;
}

export interface NewTag {
  readonly name: string;
  readonly parentId?: TagId | null;
  readonly definition: TagDefinition;
  readonly provenance?: ClusterProvenance | null;
}

export interface TagTreeNode {
  readonly tag: ExpressionTag;
  readonly children: readonly TagTreeNode[];
}

export type TagEditKind = 'create' | 'rename' | 'move' | 'merge' | 'delete' | 'add-examples' | 'set-radius';

/** One row of the append-only edit history. */
export interface TagEdit {
  readonly seq: number;
  readonly at: string;
  readonly op: TagEditKind;
  readonly tagId: TagId;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** A refused edit: unknown tag, duplicate sibling name, a move that would make a cycle, ... */
export class TaxonomyError extends Error {
  override readonly name = 'TaxonomyError';
}

export const DEFAULT_TAXONOMY_DB = 'data/workbench.db';

export interface TaxonomyOpenOptions {
  /** How long a writer waits for another writer's lock before failing. Default 10 s. */
  readonly busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tags (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL CHECK (length(trim(name)) > 0),
  parent_id INTEGER REFERENCES tags(id),
  dim INTEGER NOT NULL CHECK (dim > 0),
  radius REAL NOT NULL CHECK (radius >= 0),
  centre BLOB,
  provenance TEXT,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS tags_sibling_name ON tags (ifnull(parent_id, 0), name);
CREATE INDEX IF NOT EXISTS tags_parent ON tags (parent_id);
CREATE TABLE IF NOT EXISTS tag_examples (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  face_id TEXT,
  image TEXT,
  embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS tag_examples_tag ON tag_examples (tag_id);
CREATE TABLE IF NOT EXISTS tag_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('create','rename','move','merge','delete','add-examples','set-radius')),
  tag_id INTEGER NOT NULL,
  detail TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS tag_history_no_update BEFORE UPDATE ON tag_history
  BEGIN SELECT RAISE(ABORT, 'tag_history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS tag_history_no_delete BEFORE DELETE ON tag_history
  BEGIN SELECT RAISE(ABORT, 'tag_history is append-only'); END;
`;

interface TagRow {
  id: number;
  name: string;
  parent_id: number | null;
  dim: number;
  radius: number;
  centre: Buffer | null;
  provenance: string | null;
  created_at: string;
}

interface ExampleRow {
  tag_id: number;
  face_id: string | null;
  image: string | null;
  embedding: Buffer;
}

/**
 * The tag tree, persisted in SQLite. Every edit is one IMMEDIATE transaction (the write
 * lock is taken up front, so concurrent writers queue on busy_timeout instead of
 * failing or overwriting each other), and appends to the history table in the same
 * transaction. WAL mode lets readers proceed while a writer works.
 */
export class TaxonomyStore {
  private constructor(private readonly db: Database.Database) {}

  static open(path: string = DEFAULT_TAXONOMY_DB, options: TaxonomyOpenOptions = {}): TaxonomyStore {
    return new TaxonomyStore(openWorkbenchDatabase(path, SCHEMA, { ...options, foreignKeys: true }));
  }

  close(): void {
    this.db.close();
  }

  /**
   * Runs several edits as one transaction: either all of them are stored or none
   * (e.g. naming every cluster of a K-Means run at once).
   */
  batch<T>(edits: () => T): T {
    return this.db.transaction(edits).immediate();
  }

  create(tag: NewTag): ExpressionTag {
    const name = checkName(tag.name);
    const { definition } = tag;
    checkRadius(definition.radius);
    const anchors = definition.kind === 'centre' ? [definition.centre] : definition.examples.map((e) => e.embedding);
    const dim = anchors[0]?.length ?? 0;
    if (dim === 0) throw new TaxonomyError('a tag needs a centre or at least one example');
    for (const a of anchors) {
      if (a.length !== dim) throw new TaxonomyError(`all anchors of a tag must have dim ${dim}, got ${a.length}`);
      if (!a.every(Number.isFinite)) throw new TaxonomyError('tag anchors must be finite');
    }
    const id = this.write(() => {
      const parentId = tag.parentId ?? null;
      if (parentId !== null) this.requireTag(parentId);
      const result = this.guardUnique(() =>
        this.db
          .prepare(
            'INSERT INTO tags (name, parent_id, dim, radius, centre, provenance, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            name,
            parentId,
            dim,
            definition.radius,
            definition.kind === 'centre' ? encodeFloat32LE(definition.centre) : null,
            tag.provenance ? JSON.stringify(tag.provenance) : null,
            now(),
          ),
      );
      const newId = Number(result.lastInsertRowid);
      if (definition.kind === 'examples') this.insertExamples(newId, definition.examples);
      this.log('create', newId, {
        name,
        parentId,
        radius: definition.radius,
        kind: definition.kind,
        examples: definition.kind === 'examples' ? definition.examples.length : 0,
        provenance: tag.provenance ?? null,
      });
      return newId;
    });
    return this.get(id);
  }

  rename(id: TagId, newName: string): void {
    const name = checkName(newName);
    this.write(() => {
      const before = this.requireTag(id);
      if (before.name === name) return;
      this.guardUnique(() => this.db.prepare('UPDATE tags SET name = ? WHERE id = ?').run(name, id));
      this.log('rename', id, { from: before.name, to: name });
    });
  }

  /** Reparents a tag (null = top level). Refuses to move a tag under itself or its descendants. */
  move(id: TagId, newParentId: TagId | null): void {
    this.write(() => {
      const before = this.requireTag(id);
      if (before.parent_id === newParentId) return;
      if (newParentId !== null) {
        this.requireTag(newParentId);
        if (this.subtreeIds(id).includes(newParentId)) {
          throw new TaxonomyError(`cannot move tag ${id} under ${newParentId}: that would create a cycle`);
        }
      }
      this.guardUnique(() => this.db.prepare('UPDATE tags SET parent_id = ? WHERE id = ?').run(newParentId, id));
      this.log('move', id, { from: before.parent_id, to: newParentId });
    });
  }

  /**
   * Folds `absorbedId` into `survivorId`: the absorbed tag's children and examples move to
   * the survivor (its centre, if any, becomes an example so nothing it covered is lost),
   * then the absorbed tag is removed. The survivor keeps its name and radius.
   */
  merge(survivorId: TagId, absorbedId: TagId): void {
    this.write(() => {
      if (survivorId === absorbedId) throw new TaxonomyError('cannot merge a tag into itself');
      const survivor = this.requireTag(survivorId);
      const absorbed = this.requireTag(absorbedId);
      if (survivor.dim !== absorbed.dim) {
        throw new TaxonomyError(`cannot merge tags of different dim (${survivor.dim} vs ${absorbed.dim})`);
      }
      if (this.subtreeIds(absorbedId).includes(survivorId)) {
        throw new TaxonomyError(`cannot merge tag ${absorbedId} into its own descendant ${survivorId}`);
      }
      const children = this.childIds(absorbedId);
      this.guardUnique(() =>
        this.db.prepare('UPDATE tags SET parent_id = ? WHERE parent_id = ?').run(survivorId, absorbedId),
      );
      const moved = this.db.prepare('UPDATE tag_examples SET tag_id = ? WHERE tag_id = ?').run(survivorId, absorbedId);
      if (absorbed.centre) {
        this.insertExamples(survivorId, [{ faceId: null, image: null, embedding: decodeFloat32LE(absorbed.centre) }]);
      }
      this.db.prepare('DELETE FROM tags WHERE id = ?').run(absorbedId);
      this.log('merge', survivorId, {
        absorbed: absorbedId,
        absorbedName: absorbed.name,
        movedChildren: children,
        movedExamples: moved.changes,
        centreKeptAsExample: absorbed.centre !== null,
      });
    });
  }

  /** Deletes a tag. A tag with children is only deleted with `withChildren: true`, which removes the whole subtree. */
  delete(id: TagId, options: { readonly withChildren: boolean }): void {
    this.write(() => {
      const tag = this.requireTag(id);
      const subtree = this.subtreeIds(id);
      if (subtree.length > 1 && !options.withChildren) {
        throw new TaxonomyError(`tag "${tag.name}" has ${subtree.length - 1} descendant(s); pass withChildren: true`);
      }
      // Deepest first, so no row ever points at a deleted parent.
      for (const victim of [...subtree].reverse()) {
        const row = this.requireTag(victim);
        this.db.prepare('DELETE FROM tags WHERE id = ?').run(victim);
        this.log('delete', victim, { name: row.name, parentId: row.parent_id, deletedWith: victim === id ? null : id });
      }
    });
  }

  addExamples(id: TagId, examples: readonly TagExample[]): void {
    this.write(() => {
      const tag = this.requireTag(id);
      for (const e of examples) {
        if (e.embedding.length !== tag.dim) throw new TaxonomyError(`example has dim ${e.embedding.length}, tag has ${tag.dim}`);
      }
      this.insertExamples(id, examples);
      this.log('add-examples', id, { count: examples.length, faceIds: examples.map((e) => e.faceId) });
    });
  }

  setRadius(id: TagId, radius: number): void {
    checkRadius(radius);
    this.write(() => {
      const before = this.requireTag(id);
      this.db.prepare('UPDATE tags SET radius = ? WHERE id = ?').run(radius, id);
      this.log('set-radius', id, { from: before.radius, to: radius });
    });
  }

  get(id: TagId): ExpressionTag {
    const tag = this.list().find((t) => t.id === id);
    if (!tag) throw new TaxonomyError(`no tag with id ${id}`);
    return tag;
  }

  /** All tags, parents before children (then by name). Read as one consistent snapshot. */
  list(): ExpressionTag[] {
    return this.db
      .transaction(() => {
        const rows = this.db.prepare('SELECT * FROM tags ORDER BY id').all() as TagRow[];
        const exampleRows = this.db.prepare('SELECT * FROM tag_examples ORDER BY id').all() as ExampleRow[];
        const examples = new Map<number, TagExample[]>();
        for (const e of exampleRows) {
          const list = examples.get(e.tag_id) ?? [];
          list.push({ faceId: e.face_id, image: e.image, embedding: decodeFloat32LE(e.embedding) });
          examples.set(e.tag_id, list);
        }
        const tags = rows.map((r) => toTag(r, examples.get(r.id) ?? []));
        return flattenTree(buildTree(tags));
      })
      .deferred();
  }

  /** The tags as a forest of top-level tags, children sorted by name. */
  tree(): TagTreeNode[] {
    return buildTree(this.list());
  }

  /** The edit history, oldest first; optionally for one tag only. */
  history(tagId?: TagId): TagEdit[] {
    const rows = (
      tagId === undefined
        ? this.db.prepare('SELECT * FROM tag_history ORDER BY seq').all()
        : this.db.prepare('SELECT * FROM tag_history WHERE tag_id = ? ORDER BY seq').all(tagId)
    ) as { seq: number; at: string; op: TagEditKind; tag_id: number; detail: string }[];
    return rows.map((r) => ({ seq: r.seq, at: r.at, op: r.op, tagId: r.tag_id, detail: JSON.parse(r.detail) }));
  }

  /** Assigns every tag to every face of an embedding matrix; see assignTags. */
  assign(embeddings: EmbeddingMatrix): TagAssignment {
    return assignTags(this.list(), embeddings);
  }

  private write<T>(edit: () => T): T {
    return this.db.transaction(edit).immediate();
  }

  private requireTag(id: TagId): TagRow {
    const row = this.db.prepare('SELECT * FROM tags WHERE id = ?').get(id) as TagRow | undefined;
    if (!row) throw new TaxonomyError(`no tag with id ${id}`);
    return row;
  }

  private childIds(id: TagId): TagId[] {
    return (this.db.prepare('SELECT id FROM tags WHERE parent_id = ? ORDER BY id').all(id) as { id: number }[]).map(
      (r) => r.id,
    );
  }

  /** The tag and all its descendants, parents before children. */
  private subtreeIds(id: TagId): TagId[] {
    const rows = this.db
      .prepare(
        `WITH RECURSIVE sub(id, depth) AS (SELECT ?, 0 UNION ALL SELECT t.id, sub.depth + 1 FROM tags t JOIN sub ON t.parent_id = sub.id)
         SELECT id FROM sub ORDER BY depth, id`,
      )
      .all(id) as { id: number }[];
    return rows.map((r) => r.id);
  }

  private insertExamples(tagId: TagId, examples: readonly TagExample[]): void {
    const insert = this.db.prepare('INSERT INTO tag_examples (tag_id, face_id, image, embedding) VALUES (?, ?, ?, ?)');
    for (const e of examples) {
      if (!e.embedding.every(Number.isFinite)) throw new TaxonomyError('example embeddings must be finite');
      insert.run(tagId, e.faceId, e.image, encodeFloat32LE(e.embedding));
    }
  }

  private log(op: TagEditKind, tagId: TagId, detail: Record<string, unknown>): void {
    this.db.prepare('INSERT INTO tag_history (at, op, tag_id, detail) VALUES (?, ?, ?, ?)').run(now(), op, tagId, JSON.stringify(detail));
  }

  private guardUnique<T>(statement: () => T): T {
    try {
      return statement();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new TaxonomyError('a sibling tag already has that name');
      }
      throw err;
    }
  }
}

function now(): string {
  return new Date().toISOString();
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new TaxonomyError('tag name must not be empty');
  return trimmed;
}

function checkRadius(radius: number): void {
  if (!Number.isFinite(radius) || radius < 0) throw new TaxonomyError(`radius must be a finite number >= 0, got ${radius}`);
}

function toTag(row: TagRow, examples: TagExample[]): ExpressionTag {
  return {
    id: row.id,
    name: row.name,
    parentId: row.parent_id,
    dim: row.dim,
    radius: row.radius,
    centre: row.centre ? decodeFloat32LE(row.centre) : null,
    examples,
    provenance: row.provenance ? (JSON.parse(row.provenance) as ClusterProvenance) : null,
    createdAt: row.created_at,
  };
}

function buildTree(tags: readonly ExpressionTag[]): TagTreeNode[] {
  const children = new Map<TagId | null, ExpressionTag[]>();
  for (const t of tags) {
    const list = children.get(t.parentId) ?? [];
    list.push(t);
    children.set(t.parentId, list);
  }
  const build = (parent: TagId | null): TagTreeNode[] =>
    (children.get(parent) ?? [])
      .slice()
      .sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id)
      .map((tag) => ({ tag, children: build(tag.id) }));
  return build(null);
}

function flattenTree(nodes: readonly TagTreeNode[]): ExpressionTag[] {
  return nodes.flatMap((n) => [n.tag, ...flattenTree(n.children)]);
}

/** A face's membership of one tag. */
export interface TagMatch {
  readonly tagId: TagId;
  /** Distance from the face to the tag's nearest anchor (centre or example). */
  readonly distance: number;
  /** 1 at an anchor, falling linearly to 0 at the radius. */
  readonly confidence: number;
}

export interface TagAssignment {
  /** Per embedding row, the tags within radius, nearest first. */
  readonly byFace: readonly (readonly TagMatch[])[];
  /** How many faces each tag covers (every tag is present, possibly with 0). */
  readonly counts: ReadonlyMap<TagId, number>;
  /** Per row, the nearest tag regardless of radius (-1 when there are no tags), and its distance. */
  readonly nearest: { readonly tagIds: Int32Array; readonly distances: Float32Array };
}

/** The parts of a tag that assignment needs; in-memory tags (e.g. for evaluation) can supply just these. */
export type TagAnchors = Pick<ExpressionTag, 'id' | 'radius' | 'centre' | 'examples'>;

/**
 * Gives every face every tag whose centre or any example lies within the tag's radius
 * (distance <= radius counts as inside).
 */
export function assignTags(tags: readonly TagAnchors[], embeddings: EmbeddingMatrix): TagAssignment {
  const { dim, count, data } = embeddings;
  const byFace: TagMatch[][] = Array.from({ length: count }, () => []);
  const counts = new Map<TagId, number>();
  const nearestIds = new Int32Array(count).fill(-1);
  const nearestDist = new Float32Array(count).fill(Infinity);
  const best = new Float64Array(count);
  for (const tag of tags) {
    const anchors = [...(tag.centre ? [tag.centre] : []), ...tag.examples.map((e) => e.embedding)];
    for (const a of anchors) {
      if (a.length !== dim) throw new RangeError(`tag ${tag.id} has dim ${a.length}, embeddings have dim ${dim}`);
    }
    const flat = new Float32Array(anchors.length * dim);
    anchors.forEach((a, i) => flat.set(a, i * dim));
    best.fill(Infinity);
    for (let j = 0; j < anchors.length; j++) {
      for (let i = 0; i < count; i++) {
        const d2 = squaredDistanceAt(data, i * dim, flat, j * dim, dim);
        if (d2 < best[i]!) best[i] = d2;
      }
    }
    let covered = 0;
    for (let i = 0; i < count; i++) {
      const distance = Math.sqrt(best[i]!);
      if (distance < nearestDist[i]!) {
        nearestDist[i] = distance;
        nearestIds[i] = tag.id;
      }
      if (distance <= tag.radius) {
        covered++;
        const confidence = tag.radius > 0 ? 1 - distance / tag.radius : 1;
        byFace[i]!.push({ tagId: tag.id, distance, confidence });
      }
    }
    counts.set(tag.id, covered);
  }
  for (const matches of byFace) matches.sort((a, b) => a.distance - b.distance);
  return { byFace, counts, nearest: { tagIds: nearestIds, distances: nearestDist } };
}
