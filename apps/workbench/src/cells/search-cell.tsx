'use client';
/** Search by photo: drop or pick a photo; the server aligns its largest face, embeds it and returns the nearest faces. */
import { useState } from 'react';
import type { SearchHit } from '../engine-protocol';
import type { CellParams } from '../notebook/cells';
import type { GalleryListing } from '../server/galleries';
import { ErrorLine, FaceThumb, GallerySelect } from './common';
import { TagOptions, useTags } from './use-tags';

interface SearchAnswer {
  runId: string;
  /** The gallery searched: an answer is drawn only while the cell still shows that gallery. */
  gallery: string;
  facesFound: number;
  qualityIssues: string[];
  engine: string;
  embedSeconds: number;
  queryFace: string;
  hits: SearchHit[];
}

const MAX_BYTES = 8 * 1024 * 1024;

export function SearchCell({ params, galleries, onChange }: { params: CellParams['search']; galleries: readonly GalleryListing[]; onChange: (p: CellParams['search']) => void }) {
  const [answer, setAnswer] = useState<SearchAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tag, setTag] = useState('');
  const { tags } = useTags();

  const search = async (file: File) => {
    if (!params.gallery) return setError('choose a gallery first');
    if (file.size > MAX_BYTES) return setError(`that file is ${(file.size / 1024 / 1024).toFixed(1)} MB; the limit is 8 MB`);
    const form = new FormData();
    form.set('photo', file);
    form.set('gallery', params.gallery);
    form.set('k', String(params.k));
    if (params.person) form.set('person', params.person);
    if (tag) form.set('tag', tag);
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/api/search', { method: 'POST', body: form });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
      setAnswer(body as SearchAnswer);
    } catch (err) {
      setError((err as Error).message);
      setAnswer(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div>
      <div className="controls">
        <GallerySelect galleries={galleries} value={params.gallery} onChange={(g) => onChange({ ...params, gallery: g })} />
        <label>
          top <input type="number" min={1} max={100} value={params.k} onChange={(e) => onChange({ ...params, k: Math.max(1, Math.min(100, Number(e.target.value) || 1)) })} />
        </label>
        <label>
          person <input value={params.person} onChange={(e) => onChange({ ...params, person: e.target.value })} placeholder="any" />
        </label>
        <label>
          within tag{' '}
          <select value={tag} onChange={(e) => setTag(e.target.value)}>
            <option value="">any</option>
            <TagOptions tags={tags} />
          </select>
        </label>
      </div>
      <div
        className="dropzone"
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          const file = e.dataTransfer.files[0];
          if (file) void search(file);
        }}
      >
        Drop a photo here or <input type="file" accept="image/*" data-testid="search-file" onChange={(e) => e.target.files?.[0] && void search(e.target.files[0])} />
        {busy && <span className="muted"> aligning and embedding…</span>}
      </div>
      <ErrorLine error={error} />
      {answer && params.gallery && answer.gallery === params.gallery && (
        <div className="search-results" data-testid="search-results">
          <figure className="face query">
            {/* The aligned query face, as the model saw it. */}
            <img src={answer.queryFace} width={96} height={96} alt="aligned query face" />
            <figcaption>query{answer.facesFound > 1 ? ` (largest of ${answer.facesFound})` : ''}</figcaption>
          </figure>
          <div>
            <p className="muted">
              {answer.hits.length} nearest · {answer.engine} · embedded in {answer.embedSeconds.toFixed(2)} s{answer.qualityIssues.length ? ` · quality: ${answer.qualityIssues.join(', ')}` : ''}
            </p>
            <div className="faces">
              {answer.hits.map((h, i) => (
                <FaceThumb key={h.id} gallery={params.gallery!} faceId={h.id} caption={`${i + 1}. ${h.distance.toFixed(3)}${h.label ? ` ${h.label}` : ''}`} size={72} />
              ))}
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
