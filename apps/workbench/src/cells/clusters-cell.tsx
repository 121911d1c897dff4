'use client';
/**
 * K-Means over a gallery with K on a slider; for each cluster the 15 faces nearest its centre, as in the FEENet
 * write-up; name a cluster to make it a tag under a chosen parent. The request runs in the server's engine and
 * is cancelled when K moves again, so the page never waits on a stale K.
 */
import { useEffect, useState } from 'react';
import type { KMeansView } from '../engine-protocol';
import type { CellParams } from '../notebook/cells';
import type { GalleryListing } from '../server/galleries';
import { api, query, sendJson } from './api';
import { ErrorLine, FaceThumb, GallerySelect } from './common';
import { TagOptions, useTags } from './use-tags';
import type { TagView } from '../server/tag-view';

/** A clustering and the gallery it was computed on. */
type ClusterResult = Omit<KMeansView, 'assignments'> & { gallery: string; roundTripMs: number };

export function ClustersCell({ params, galleries, onChange }: { params: CellParams['clusters']; galleries: readonly GalleryListing[]; onChange: (p: CellParams['clusters']) => void }) {
  const { gallery, seed } = params;
  const [k, setK] = useState(params.k);
  const [result, setResult] = useState<ClusterResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { tags, setTags } = useTags();

  useEffect(() => setK(params.k), [params.k]);
  useEffect(() => {
    if (!gallery) return;
    const controller = new AbortController();
    const started = performance.now();
    setBusy(true);
    const timer = setTimeout(() => {
      api<KMeansView>(`/api/gallery/kmeans?${query({ gallery, k: params.k, seed, nearest: 15 })}`, { signal: controller.signal }).then(
        (r) => {
          setResult({ ...r, gallery, roundTripMs: performance.now() - started });
          setError(null);
          setBusy(false);
        },
        (e: Error) => {
          if (e.name === 'AbortError') return;
          setError(e.message);
          setBusy(false);
        },
      );
    }, 150);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [gallery, params.k, seed]);

  // Results are drawn only over the gallery they were computed on: after a switch, nothing until the new ones.
  const shown = result && result.gallery === gallery ? result : null;

  return (
    <div>
      <div className="controls">
        <GallerySelect galleries={galleries} value={gallery} onChange={(g) => onChange({ ...params, gallery: g })} />
        <label>
          K = <strong data-testid="k-value">{k}</strong>{' '}
          <input
            type="range"
            min={2}
            max={200}
            value={k}
            data-testid="k-slider"
            onChange={(e) => setK(Number(e.target.value))}
            onPointerUp={() => onChange({ ...params, k })}
            onKeyUp={() => onChange({ ...params, k })}
          />
        </label>
        {busy && <span className="muted">clustering…</span>}
        {gallery && (
          <span>
            export{' '}
            <a href={`/api/gallery/export?${query({ gallery, k: params.k, seed, format: 'csv' })}`} download data-testid="export-clusters-csv">
              CSV
            </a>{' '}
            <a href={`/api/gallery/export?${query({ gallery, k: params.k, seed, format: 'json' })}`} download>
              JSON
            </a>
          </span>
        )}
        {shown && !busy && (
          <span className="muted" data-testid="kmeans-timing" data-k={shown.k} data-seconds={shown.seconds.toFixed(3)} data-round-trip-ms={Math.round(shown.roundTripMs)}>
            K = {shown.k}: {shown.iterations} iterations, {shown.seconds.toFixed(2)} s in the engine
          </span>
        )}
      </div>
      <ErrorLine error={error} />
      {shown && gallery && (
        <div className="clusters" data-testid="clusters" data-k={shown.k} data-gallery={shown.gallery}>
          {shown.clusters.map((c) => (
            <ClusterRow key={`${shown.k}-${c.index}`} gallery={gallery} k={shown.k} seed={seed} cluster={c} tags={tags} onTagged={setTags} />
          ))}
        </div>
      )}
    </div>
  );
}

function ClusterRow({ gallery, k, seed, cluster, tags, onTagged }: { gallery: string; k: number; seed: number; cluster: ClusterResult['clusters'][number]; tags: ReturnType<typeof useTags>['tags']; onTagged: (tags: TagView[]) => void }) {
  const [name, setName] = useState('');
  const [parent, setParent] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  return (
    <div className="cluster" data-testid="cluster">
      <div className="cluster-head">
        <strong>cluster {cluster.index + 1}</strong> <span className="muted">{cluster.size} faces</span>
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              const r = await sendJson<{ tagId: number; tags: TagView[] }>('/api/tags', 'POST', { from: 'cluster', gallery, k, seed, cluster: cluster.index, name, parentId: parent === '' ? null : Number(parent) });
              setStatus(`tag ${r.tagId} created: "${name}"`);
              setName('');
              onTagged(r.tags);
            } catch (err) {
              setStatus((err as Error).message);
            }
          }}
        >
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="name this cluster" aria-label={`name cluster ${cluster.index + 1}`} required />
          <select value={parent} onChange={(e) => setParent(e.target.value)} aria-label="parent tag">
            <TagOptions tags={tags} />
          </select>
          <button type="submit">Create tag</button>
          {status && <span className="muted"> {status}</span>}
        </form>
      </div>
      <div className="faces">
        {cluster.nearest.map((f) => (
          <FaceThumb key={f.id} gallery={gallery} faceId={f.id} caption={f.distance.toFixed(2)} size={64} />
        ))}
      </div>
    </div>
  );
}
