'use client';
/** Small pieces every cell uses: a face thumbnail, a gallery picker, an error line, a progress bar. */
import type { GalleryListing } from '../server/galleries';
import { faceImageUrl } from './api';

export function FaceThumb({ gallery, faceId, caption, size = 72 }: { gallery: string; faceId: string; caption?: string; size?: number }) {
  return (
    <figure className="face" title={faceId}>
      <img src={faceImageUrl(gallery, faceId, Math.min(224, size * 2))} width={size} height={size} alt={faceId} loading="lazy" />
      {caption !== undefined && <figcaption>{caption}</figcaption>}
    </figure>
  );
}

export function GallerySelect({ galleries, value, onChange }: { galleries: readonly GalleryListing[]; value: string | null; onChange: (id: string) => void }) {
  if (galleries.length === 0) return <span className="muted">No galleries yet: train a run (nx run trainer:train) or embed a folder (nx run trainer:embed).</span>;
  return (
    <label>
      Gallery{' '}
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value)} data-testid="gallery-select">
        {value === null && <option value="">choose…</option>}
        {galleries.map((g) => (
          <option key={g.id} value={g.id}>
            {g.id} ({g.faces.toLocaleString()} faces)
          </option>
        ))}
      </select>
    </label>
  );
}

export function ErrorLine({ error }: { error: string | null }) {
  return error ? <p className="error" role="alert">{error}</p> : null;
}

export function Progress({ label, fraction }: { label: string; fraction: number }) {
  return (
    <div className="progress" role="progressbar" aria-valuenow={Math.round(fraction * 100)} aria-valuemin={0} aria-valuemax={100}>
      <div style={{ width: `${Math.round(fraction * 100)}%` }} />
      <span>
        {label} {Math.round(fraction * 100)}%
      </span>
    </div>
  );
}

export { categoryColour } from './palette';
