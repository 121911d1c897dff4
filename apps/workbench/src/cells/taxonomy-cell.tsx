'use client';
/**
 * The tag tree: rename, move, merge, delete; add a tag from example faces; apply the taxonomy to a gallery and
 * see how many faces each tag covers.
 */
import { useState } from 'react';
import type { CellParams } from '../notebook/cells';
import type { GalleryListing } from '../server/galleries';
import type { TagView } from '../server/tag-view';
import { api, query, sendJson } from './api';
import { ErrorLine, GallerySelect } from './common';
import { TagOptions, useTags } from './use-tags';

export function TaxonomyCell({ params, galleries, onChange }: { params: CellParams['taxonomy']; galleries: readonly GalleryListing[]; onChange: (p: CellParams['taxonomy']) => void }) {
  const { tags, setTags, error: loadError } = useTags();
  const [error, setError] = useState<string | null>(null);
  const [applied, setApplied] = useState<{ gallery: string; counts: Record<string, number>; untagged: number; skipped: string[] } | null>(null);
  // Counts belong to the gallery they were computed on; after a switch they are gone until applied again.
  const counts = applied && applied.gallery === params.gallery ? applied : null;

  const edit = async (tag: TagView, change: Record<string, unknown> | 'delete', withChildren = false) => {
    setError(null);
    try {
      const url = `/api/tags/${tag.id}${change === 'delete' ? `?withChildren=${withChildren}` : ''}`;
      const r = await sendJson<{ tags: TagView[] }>(url, change === 'delete' ? 'DELETE' : 'PATCH', change === 'delete' ? undefined : change);
      setTags(r.tags);
      setApplied(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <div>
      <div className="controls">
        <GallerySelect galleries={galleries} value={params.gallery} onChange={(g) => onChange({ ...params, gallery: g })} />
        <button
          disabled={!params.gallery}
          onClick={() =>
            api<{ counts: Record<string, number>; untagged: number; skipped: string[] }>(`/api/tags/apply?${query({ gallery: params.gallery })}`).then(
              (c) => setApplied({ ...c, gallery: params.gallery! }),
              (e: Error) => setError(e.message),
            )
          }
        >
          Apply to gallery
        </button>
        {counts && <span className="muted" data-testid="untagged">{counts.untagged} faces carry no tag</span>}
        <a href="/api/tags/export" download data-testid="export-taxonomy">
          export taxonomy (JSON)
        </a>
        {params.gallery && (
          <a href={`/api/gallery/export?${query({ gallery: params.gallery, format: 'csv' })}`} download>
            export this gallery's tags (CSV)
          </a>
        )}
      </div>
      <ErrorLine error={loadError ?? error} />
      {tags.length === 0 ? (
        <p className="muted">No tags yet: name a cluster in a Clusters cell, lasso faces on the map, or add one from example faces below.</p>
      ) : (
        <ul className="tag-tree" data-testid="tag-tree">
          {tags.map((t) => (
            <TagRow key={t.id} tag={t} tags={tags} count={counts?.counts[String(t.id)]} onEdit={edit} />
          ))}
        </ul>
      )}
      {counts && counts.skipped.length > 0 && (
        <details>
          <summary>{counts.skipped.length} tags do not apply to this gallery</summary>
          <ul>
            {counts.skipped.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ul>
        </details>
      )}
      {params.gallery && <ExampleTagForm gallery={params.gallery} tags={tags} onCreated={setTags} />}
    </div>
  );
}

/** Ids of every tag under `id` (the list is depth-first, parents before children). */
function descendantsOf(id: number, tags: readonly TagView[]): Set<number> {
  const below = new Set<number>();
  for (const t of tags) if (t.parentId !== null && (t.parentId === id || below.has(t.parentId))) below.add(t.id);
  return below;
}

function TagRow({ tag, tags, count, onEdit }: { tag: TagView; tags: readonly TagView[]; count: number | undefined; onEdit: (tag: TagView, change: Record<string, unknown> | 'delete', withChildren?: boolean) => void }) {
  const [name, setName] = useState(tag.name);
  const others = tags.filter((t) => t.id !== tag.id);
  // A tag cannot move under itself or under one of its own descendants (the server refuses the cycle too).
  const below = descendantsOf(tag.id, tags);
  const parents = others.filter((t) => !below.has(t.id));
  return (
    <li style={{ paddingLeft: tag.depth * 20 }} data-testid="tag-row">
      <input value={name} onChange={(e) => setName(e.target.value)} onBlur={() => name !== tag.name && onEdit(tag, { rename: name })} aria-label={`name of tag ${tag.id}`} />
      <span className="muted">
        {' '}
        #{tag.id} · {tag.kind === 'centre' ? `centre r=${tag.radius.toFixed(2)}` : `${tag.examples.length} example${tag.examples.length === 1 ? '' : 's'} r=${tag.radius.toFixed(2)}`}
        {tag.provenance ? ` · from K=${tag.provenance.k} cluster ${tag.provenance.clusterIndex + 1}` : ''}
        {count !== undefined ? ` · ${count} faces` : ''}
      </span>{' '}
      <select value="" onChange={(e) => e.target.value && onEdit(tag, { moveTo: e.target.value === 'top' ? null : Number(e.target.value) })} aria-label="move under">
        <option value="">move under…</option>
        <option value="top">(top level)</option>
        {parents.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
      <select value="" onChange={(e) => e.target.value && onEdit(tag, { mergeInto: Number(e.target.value) })} aria-label="merge into">
        <option value="">merge into…</option>
        {others.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
      <button
        data-testid="delete-tag"
        onClick={() => {
          const subTags = below.size ? ` and its ${below.size} sub-tag${below.size === 1 ? '' : 's'}` : '';
          if (window.confirm(`Delete tag "${tag.name}"${subTags}? The edit log keeps a record, but the tag cannot be restored from here.`)) onEdit(tag, 'delete', true);
        }}
        title="delete this tag and its sub-tags"
      >
        delete
      </button>
    </li>
  );
}

function ExampleTagForm({ gallery, tags, onCreated }: { gallery: string; tags: readonly TagView[]; onCreated: (tags: TagView[]) => void }) {
  const [name, setName] = useState('');
  const [faceIds, setFaceIds] = useState('');
  const [radius, setRadius] = useState(0.3);
  const [parent, setParent] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="controls"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          const ids = faceIds.split(/[\s,]+/).filter(Boolean);
          const r = await sendJson<{ tags: TagView[] }>('/api/tags', 'POST', { from: 'faces', gallery, faceIds: ids, radius, name, parentId: parent === '' ? null : Number(parent) });
          onCreated(r.tags);
          setName('');
          setFaceIds('');
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <strong>New tag from example faces:</strong>
      <input value={name} onChange={(e) => setName(e.target.value)} placeholder="name" required />
      <input value={faceIds} onChange={(e) => setFaceIds(e.target.value)} placeholder="face ids (from the map or a search)" required size={32} />
      <label>
        radius <input type="number" min={0} max={2} step={0.05} value={radius} onChange={(e) => setRadius(Number(e.target.value))} />
      </label>
      <select value={parent} onChange={(e) => setParent(e.target.value)} aria-label="parent tag">
        <TagOptions tags={tags} />
      </select>
      <button type="submit">Add tag</button>
      <ErrorLine error={error} />
    </form>
  );
}
