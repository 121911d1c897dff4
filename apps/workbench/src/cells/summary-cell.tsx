'use client';
/** One person's range of expressions: K-Means (K = 8) over their faces, the face nearest each centre, largest group first. */
import { useEffect, useMemo, useState } from 'react';
import type { SummaryView } from '../engine-protocol';
import type { CellParams } from '../notebook/cells';
import type { GalleryListing } from '../server/galleries';
import { api, query } from './api';
import { ErrorLine, FaceThumb, GallerySelect } from './common';
import { useGalleryFaces } from './use-gallery';

export function SummaryCell({ params, galleries, onChange }: { params: CellParams['summary']; galleries: readonly GalleryListing[]; onChange: (p: CellParams['summary']) => void }) {
  const { faces, error: facesError } = useGalleryFaces(params.gallery);
  const persons = useMemo(() => {
    const counts = new Map<string, number>();
    for (const p of faces?.persons ?? []) if (p) counts.set(p, (counts.get(p) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [faces]);
  // A person saved with the notebook but absent from this gallery falls back to the first one.
  const person = params.person !== null && persons.some(([p]) => p === params.person) ? params.person : (persons[0]?.[0] ?? null);
  /** The summary and the gallery it was made from: drawn only over that gallery. */
  const [summary, setSummary] = useState<(SummaryView & { gallery: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const gallery = params.gallery;
    setError(null);
    if (!gallery || !person) return;
    let live = true;
    api<SummaryView>(`/api/gallery/summary?${query({ gallery, person, k: params.k })}`).then(
      (s) => live && (setSummary({ ...s, gallery }), setError(null)),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [params.gallery, person, params.k]);

  return (
    <div>
      <div className="controls">
        <GallerySelect galleries={galleries} value={params.gallery} onChange={(g) => onChange({ ...params, gallery: g, person: null })} />
        {persons.length > 0 ? (
          <label>
            Person{' '}
            <select value={person ?? ''} onChange={(e) => onChange({ ...params, person: e.target.value })} data-testid="person-select">
              {persons.map(([p, n]) => (
                <option key={p} value={p}>
                  {p} ({n})
                </option>
              ))}
            </select>
          </label>
        ) : (
          faces && <span className="muted">This gallery's faces carry no person; embed a folder of person sub-folders to summarise people.</span>
        )}
        <label>
          K <input type="number" min={1} max={64} value={params.k} onChange={(e) => onChange({ ...params, k: Math.max(1, Math.min(64, Number(e.target.value) || 1)) })} />
        </label>
      </div>
      <ErrorLine error={facesError ?? error} />
      {summary && params.gallery && summary.gallery === params.gallery && summary.person === person && (
        <div className="faces" data-testid="summary">
          {summary.groups.map((g) => (
            <FaceThumb key={g.representative.id} gallery={params.gallery!} faceId={g.representative.id} caption={`${g.size} face${g.size === 1 ? '' : 's'}`} size={96} />
          ))}
        </div>
      )}
    </div>
  );
}
