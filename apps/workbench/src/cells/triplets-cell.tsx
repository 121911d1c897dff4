'use client';
/**
 * The triplets a model gets wrong: a run's own rated test triplets (its test gallery, with each triplet's type and
 * rater agreement), or a labelled gallery's two-class triplets (the seeded ones `trainer:evaluate --faces` scores).
 * Each with its three faces, the raters' odd one out (the negative) and the embedding's (the face outside the
 * closest pair), the three distances and the margin. Filter right or wrong, by type and agreement, sort by margin:
 * the most confident mistakes first is where a model's blind spots show.
 */
import { useEffect, useMemo, useState } from 'react';
import type { InspectedTriplet } from '@feenet/clustering';
import type { EngineResults } from '../engine-protocol';
import type { CellParams } from '../notebook/cells';
import type { GalleryListing } from '../server/galleries';
import { api, query } from './api';
import { ErrorLine, FaceThumb, GallerySelect } from './common';
import { useGalleryFaces } from './use-gallery';

type Inspection = EngineResults['inspect-triplets'] & { gallery: string; source: CellParams['triplets']['source'] };
const SHOWN = 24;

export function TripletsCell({ params, galleries, onChange }: { params: CellParams['triplets']; galleries: readonly GalleryListing[]; onChange: (p: CellParams['triplets']) => void }) {
  const { gallery } = params;
  const { faces } = useGalleryFaces(gallery);
  const [inspection, setInspection] = useState<Inspection | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setError(null);
    if (!gallery) return;
    const controller = new AbortController();
    api<EngineResults['inspect-triplets']>(`/api/gallery/triplets?${query({ gallery, source: params.source, count: params.count, seed: 1 })}`, { signal: controller.signal }).then(
      (r) => setInspection({ ...r, gallery, source: params.source }),
      (e: Error) => e.name !== 'AbortError' && setError(e.message),
    );
    return () => controller.abort();
  }, [gallery, params.count, params.source]);

  // Drawn only over the gallery and source it was computed for.
  const shown = inspection && inspection.gallery === gallery && inspection.source === params.source ? inspection : null;
  const rows = useMemo(() => {
    if (!shown) return [];
    // Sampled triplets can repeat: each keeps its position as its identity.
    const kept = shown.triplets
      .map((t, index) => ({ ...t, index }))
      .filter((t) => params.filter === 'all' || (params.filter === 'wrong') !== t.correct)
      .filter((t) => params.type === 'all' || t.type === params.type)
      .filter((t) => (t.agreement ?? 1) >= params.minAgreement);
    // Wrong ones by how sure the mistake was (most negative margin first); right ones by how close the call was.
    return [...kept].sort((a, b) => (params.sort === 'margin' ? a.margin - b.margin : b.margin - a.margin));
  }, [shown, params.filter, params.sort, params.type, params.minAgreement]);
  const labelOf = useMemo(() => new Map(faces?.ids.map((id, i) => [id, faces.labels[i] ?? null]) ?? []), [faces]);

  return (
    <div>
      <div className="controls">
        <GallerySelect galleries={galleries} value={gallery} onChange={(g) => onChange({ ...params, gallery: g })} />
        <label>
          triplets{' '}
          <select value={params.source} onChange={(e) => onChange({ ...params, source: e.target.value as CellParams['triplets']['source'] })} data-testid="triplet-source">
            <option value="labels">drawn from the labels</option>
            <option value="run">the run&apos;s rated test triplets</option>
          </select>
        </label>
        {params.source === 'run' && (
          <>
            <label>
              type{' '}
              <select value={params.type} onChange={(e) => onChange({ ...params, type: e.target.value as CellParams['triplets']['type'] })} data-testid="triplet-type">
                <option value="all">all</option>
                <option value="ONE_CLASS">one-class</option>
                <option value="TWO_CLASS">two-class</option>
                <option value="THREE_CLASS">three-class</option>
              </select>
            </label>
            <label>
              raters agreeing ≥{' '}
              <select value={params.minAgreement} onChange={(e) => onChange({ ...params, minAgreement: Number(e.target.value) })} data-testid="triplet-agreement">
                {[0, 0.5, 0.67, 0.8, 1].map((a) => (
                  <option key={a} value={a}>
                    {Math.round(a * 100)} %
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
        <label>
          show{' '}
          <select value={params.filter} onChange={(e) => onChange({ ...params, filter: e.target.value as CellParams['triplets']['filter'] })} data-testid="triplet-filter">
            <option value="wrong">wrong</option>
            <option value="right">right</option>
            <option value="all">all</option>
          </select>
        </label>
        <label>
          sort by margin{' '}
          <select value={params.sort} onChange={(e) => onChange({ ...params, sort: e.target.value as CellParams['triplets']['sort'] })}>
            <option value="margin">lowest first</option>
            <option value="-margin">highest first</option>
          </select>
        </label>
        {shown && (
          <span className="muted" data-testid="triplet-accuracy" data-accuracy={shown.accuracy}>
            {(shown.accuracy * 100).toFixed(1)} % of {shown.triplets.length.toLocaleString()} {shown.source === 'run' ? 'rated test' : 'two-class'} triplets right{shown.acrossPersons ? ' (pairs across persons)' : ''}
            {shown.missing > 0 ? ` (${shown.missing.toLocaleString()} with a face missing from the gallery left out)` : ''} · {rows.length.toLocaleString()} shown by the filter
          </span>
        )}
      </div>
      <ErrorLine error={error} />
      {shown && gallery && (
        <div data-testid="triplets" data-gallery={shown.gallery}>
          {rows.slice(0, SHOWN).map((t) => (
            <TripletRow key={t.index} gallery={gallery} triplet={t} labelOf={labelOf} />
          ))}
          {rows.length > SHOWN && <p className="muted">and {(rows.length - SHOWN).toLocaleString()} more</p>}
        </div>
      )}
    </div>
  );
}

function TripletRow({ gallery, triplet: t, labelOf }: { gallery: string; triplet: InspectedTriplet; labelOf: ReadonlyMap<string, string | null> }) {
  const face = (role: 'anchor' | 'positive' | 'negative') => {
    const id = t[role];
    const marks = [role === 'negative' ? "raters' odd one" : null, t.predictedOdd === role ? "model's odd one" : null].filter(Boolean).join(' · ');
    return (
      <div className={`triplet-face${t.predictedOdd === role ? ' predicted-odd' : ''}`} data-role={role}>
        <FaceThumb gallery={gallery} faceId={id} caption={`${role} · ${labelOf.get(id) ?? '?'}`} size={72} />
        {marks && <div className="muted">{marks}</div>}
      </div>
    );
  };
  const d = t.distances;
  return (
    <div className="triplet" data-testid="triplet" data-correct={t.correct}>
      {face('anchor')}
      {face('positive')}
      {face('negative')}
      <div className="muted">
        {t.correct ? 'right' : 'wrong'} · margin {t.margin.toFixed(3)}
        {t.type && ` · ${t.type.toLowerCase().replace('_', '-')}`}
        {t.agreement !== null && ` · ${Math.round(t.agreement * 100)} % of raters`}
        <br />
        d(a,p) {d.anchorPositive.toFixed(3)} · d(a,n) {d.anchorNegative.toFixed(3)} · d(p,n) {d.positiveNegative.toFixed(3)}
      </div>
    </div>
  );
}
