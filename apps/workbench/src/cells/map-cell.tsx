'use client';
/**
 * The embedding map: a gallery's 2-D UMAP projection drawn on a canvas (tens of thousands of points), d3 for
 * scales, zoom and hit-testing. Hover shows the face; colour by label, person, K-Means cluster or tag; lasso a
 * region to see its faces and make a tag of them.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type Quadtree, type ZoomBehavior, type ZoomTransform, extent, polygonContains, quadtree, scaleLinear, select, zoom, zoomIdentity } from 'd3';
import type { CellParams } from '../notebook/cells';
import type { GalleryListing } from '../server/galleries';
import type { TagView } from '../server/tag-view';
import { publishTags, useTags } from './use-tags';
import { api, query, sendJson } from './api';
import { ErrorLine, FaceThumb, GallerySelect, Progress, categoryColour } from './common';
import { useGalleryFaces } from './use-gallery';

type ProjectionState =
  | { status: 'none' | 'loading' }
  | { status: 'running'; phase: string; fraction: number }
  | { status: 'done'; coordinates: number[]; fromCache: boolean; seconds: number }
  | { status: 'failed'; error: string };

const WIDTH = 820;
const HEIGHT = 560;
const PAD = 16;

export function MapCell({ params, galleries, onChange }: { params: CellParams['map']; galleries: readonly GalleryListing[]; onChange: (p: CellParams['map']) => void }) {
  const { gallery } = params;
  const { faces, error: facesError } = useGalleryFaces(gallery);
  const projection = useProjection(gallery);
  const colours = useColouring(gallery, params.colourBy, params.k, faces?.ids.length ?? 0, faces);

  return (
    <div>
      <div className="controls">
        <GallerySelect galleries={galleries} value={gallery} onChange={(g) => onChange({ ...params, gallery: g })} />
        <label>
          Colour by{' '}
          <select value={params.colourBy} onChange={(e) => onChange({ ...params, colourBy: e.target.value as CellParams['map']['colourBy'] })} data-testid="colour-by">
            <option value="label">label</option>
            <option value="person">person</option>
            <option value="cluster">K-Means cluster</option>
            <option value="tag">tag</option>
          </select>
        </label>
        {gallery && (
          <span>
            export map{' '}
            <a href={`/api/gallery/export?${query({ gallery, k: params.colourBy === 'cluster' ? params.k : null, format: 'csv' })}`} download data-testid="export-map-csv">
              CSV
            </a>{' '}
            <a href={`/api/gallery/export?${query({ gallery, k: params.colourBy === 'cluster' ? params.k : null, format: 'json' })}`} download>
              JSON
            </a>
          </span>
        )}
        {params.colourBy === 'cluster' && (
          <KInput k={params.k} onChange={(k) => onChange({ ...params, k })} />
        )}
      </div>
      <ErrorLine error={facesError ?? (projection.status === 'failed' ? projection.error : null) ?? colours.error} />
      {projection.status === 'running' && <Progress label={`UMAP ${projection.phase}`} fraction={projection.fraction} />}
      {projection.status === 'loading' && <p className="muted">Loading the projection…</p>}
      {projection.status === 'done' && faces && gallery && (
        <PointCanvas gallery={gallery} coordinates={projection.coordinates} faces={faces} colours={colours} note={projection.fromCache ? 'projection from cache' : `projected in ${projection.seconds.toFixed(1)} s`} />
      )}
    </div>
  );
}

function useProjection(gallery: string | null): ProjectionState {
  const [state, setState] = useState<ProjectionState>({ status: 'none' });
  useEffect(() => {
    if (!gallery) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ status: 'loading' });
    const url = `/api/gallery/projection?${query({ gallery })}`;
    const take = (job: ProjectionState) => {
      if (!live) return;
      setState(job);
      if (job.status === 'running') timer = setTimeout(() => api<ProjectionState>(url).then(take, fail), 500);
    };
    const fail = (e: Error) => live && setState({ status: 'failed', error: e.message });
    sendJson<ProjectionState>(url, 'POST').then(take, fail);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [gallery]);
  return state;
}

interface Colouring {
  /** Per face, a category index (-1: none). */
  readonly category: Int32Array | null;
  readonly legend: readonly { name: string; index: number }[];
  /** Why the colouring says little (a gallery without persons, too many clusters for a legend), or null. */
  readonly note: string | null;
  readonly error: string | null;
}

/**
 * Expression labels in a fixed colour order, so a label has the same colour in every gallery (FER2013's names
 * and face-api's spellings of the same seven, and the synthetic set's). Other labels follow, by name.
 */
const LABEL_ORDER = ['neutral', 'happy', 'sad', 'surprise', 'fear', 'disgust', 'angry', 'contempt'];
const LABEL_ALIASES: Readonly<Record<string, string>> = { happiness: 'happy', surprised: 'surprise', fearful: 'fear', disgusted: 'disgust', anger: 'angry', sadness: 'sad' };
function labelRank(name: string): number {
  const i = LABEL_ORDER.indexOf(LABEL_ALIASES[name] ?? name);
  return i < 0 ? LABEL_ORDER.length : i;
}

/** A legend is listed only while its colours can be told apart. */
const MAX_LEGEND = 24;

function useColouring(gallery: string | null, by: CellParams['map']['colourBy'], k: number, count: number, faces: { labels: readonly (string | null)[]; persons: readonly (string | null)[] } | null): Colouring {
  // Colour by tag follows the tag list as any cell edits it.
  const tagKey = useTags().tags.map((t) => `${t.id}:${t.name}:${t.radius}`).join(',');
  const [remote, setRemote] = useState<{ category: Int32Array; legend: { name: string; index: number }[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setRemote(null);
    setError(null);
    if (!gallery || (by !== 'cluster' && by !== 'tag')) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      if (by === 'cluster') {
        api<{ assignments: number[] }>(`/api/gallery/kmeans?${query({ gallery, k, nearest: 1 })}`, { signal: controller.signal }).then(
          (r) => setRemote({ category: Int32Array.from(r.assignments), legend: k <= MAX_LEGEND ? Array.from({ length: k }, (_, i) => ({ name: `cluster ${i + 1}`, index: i })) : [] }),
          (e: Error) => e.name !== 'AbortError' && setError(e.message),
        );
      } else {
        Promise.all([api<{ faceTags: number[] }>(`/api/tags/apply?${query({ gallery })}`, { signal: controller.signal }), api<{ tags: TagView[] }>('/api/tags')]).then(
          ([applied, { tags }]) => {
            const order = new Map(tags.map((t, i) => [t.id, i]));
            setRemote({ category: Int32Array.from(applied.faceTags, (id) => order.get(id) ?? -1), legend: tags.map((t, i) => ({ name: t.name, index: i })) });
          },
          (e: Error) => e.name !== 'AbortError' && setError(e.message),
        );
      }
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [gallery, by, k, tagKey]);

  return useMemo(() => {
    if (by === 'cluster' || by === 'tag') {
      const legend = remote?.legend ?? [];
      const note = by === 'cluster' && k > MAX_LEGEND ? `${k} clusters: too many colours for a legend` : by === 'tag' && remote && legend.length === 0 ? 'no tags yet: every face is grey' : null;
      return { category: remote?.category.length === count ? remote.category : null, legend, note, error };
    }
    const values = faces ? (by === 'label' ? faces.labels : faces.persons) : [];
    const names = [...new Set(values.filter((v): v is string => v !== null))].sort((a, b) => (by === 'label' ? labelRank(a) - labelRank(b) : 0) || a.localeCompare(b));
    // Known expression labels keep their colour across galleries; other labels and persons follow in name order.
    const known = by === 'label' ? names.filter((n) => labelRank(n) < LABEL_ORDER.length) : [];
    const index = new Map([...known.map((n) => [n, labelRank(n)] as const), ...names.filter((n) => !known.includes(n)).map((n, i) => [n, (known.length ? LABEL_ORDER.length : 0) + i] as const)]);
    // Too many persons to tell apart by colour: still colour them, but list no legend.
    const legend = names.length <= MAX_LEGEND ? names.map((name) => ({ name, index: index.get(name)! })) : [];
    const note =
      faces && names.length === 0
        ? `this gallery's faces carry no ${by}: every face is grey`
        : names.length > MAX_LEGEND
          ? `${names.length} ${by === 'label' ? 'labels' : 'persons'}: too many colours for a legend`
          : null;
    return { category: Int32Array.from(values, (v) => (v === null ? -1 : index.get(v)!)), legend, note, error };
  }, [by, remote, count, faces, error, k]);
}

interface Hover {
  row: number;
  x: number;
  y: number;
}

function PointCanvas({
  gallery,
  coordinates,
  faces,
  colours,
  note,
}: {
  gallery: string;
  coordinates: readonly number[];
  faces: { ids: readonly string[]; labels: readonly (string | null)[]; persons: readonly (string | null)[] };
  colours: Colouring;
  note: string;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const transformRef = useRef<ZoomTransform>(zoomIdentity);
  const zoomRef = useRef<ZoomBehavior<HTMLCanvasElement, unknown> | null>(null);
  const [hover, setHover] = useState<Hover | null>(null);
  const [lassoMode, setLassoMode] = useState(false);
  const [lasso, setLasso] = useState<[number, number][] | null>(null);
  const [selection, setSelection] = useState<number[] | null>(null);
  const dataArrived = useRef(performance.now());
  const count = coordinates.length / 2;

  // Base (zoom-free) pixel positions of every point, and a quadtree over them for hover.
  const { px, py, tree } = useMemo(() => {
    const xs = Array.from({ length: count }, (_, i) => coordinates[2 * i]!);
    const ys = Array.from({ length: count }, (_, i) => coordinates[2 * i + 1]!);
    const [x0, x1] = extent(xs) as [number, number];
    const [y0, y1] = extent(ys) as [number, number];
    const x = scaleLinear().domain([x0, x1]).range([PAD, WIDTH - PAD]);
    const y = scaleLinear().domain([y0, y1]).range([HEIGHT - PAD, PAD]);
    const px = Float32Array.from(xs, x);
    const py = Float32Array.from(ys, y);
    const tree: Quadtree<number> = quadtree<number>()
      .x((i) => px[i]!)
      .y((i) => py[i]!)
      .addAll(Array.from({ length: count }, (_, i) => i));
    dataArrived.current = performance.now();
    return { px, py, tree };
  }, [coordinates, count]);

  // Points grouped by colour so a frame sets each fillStyle once.
  const groups = useMemo(() => {
    const byCategory = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const c = colours.category ? colours.category[i]! : -1;
      let list = byCategory.get(c);
      if (!list) byCategory.set(c, (list = []));
      list.push(i);
    }
    return [...byCategory.entries()].sort((a, b) => a[0] - b[0]);
  }, [colours.category, count]);

  const draw = useCallback(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const ctx = canvas.getContext('2d')!;
    const t = transformRef.current;
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    const size = Math.max(1.5, Math.min(6, 2 * Math.sqrt(t.k)));
    for (const [category, rows] of groups) {
      ctx.fillStyle = categoryColour(category);
      for (const i of rows) {
        const sx = t.applyX(px[i]!);
        const sy = t.applyY(py[i]!);
        if (sx < -size || sy < -size || sx > WIDTH + size || sy > HEIGHT + size) continue;
        ctx.fillRect(sx - size / 2, sy - size / 2, size, size);
      }
    }
  }, [groups, px, py]);

  // Canvas set-up, zoom, first draw; the time from data to interactive goes on the element for the e2e run.
  useEffect(() => {
    const canvas = canvasRef.current!;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = WIDTH * ratio;
    canvas.height = HEIGHT * ratio;
    let frame = 0;
    const behaviour = zoom<HTMLCanvasElement, unknown>()
      .scaleExtent([0.5, 64])
      .filter((event: Event) => !lassoMode || event.type === 'wheel')
      .on('zoom', (event: { transform: ZoomTransform }) => {
        transformRef.current = event.transform;
        // The face under the pointer moves with the zoom: drop the tooltip until the pointer moves again.
        setHover(null);
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(draw);
      });
    select(canvas).call(behaviour);
    zoomRef.current = behaviour;
    draw();
    wrapRef.current?.setAttribute('data-interactive-ms', String(Math.round(performance.now() - dataArrived.current)));
    return () => {
      cancelAnimationFrame(frame);
      select(canvas).on('.zoom', null);
    };
  }, [draw, lassoMode]);

  const hoverTimes = useRef<number[]>([]);
  const onMove = (event: React.MouseEvent<HTMLCanvasElement>) => {
    const started = performance.now();
    const rect = event.currentTarget.getBoundingClientRect();
    const sx = event.clientX - rect.left;
    const sy = event.clientY - rect.top;
    if (lasso) {
      setLasso([...lasso, [sx, sy]]);
      return;
    }
    const t = transformRef.current;
    const row = tree.find(t.invertX(sx), t.invertY(sy), 12 / t.k);
    setHover(row === undefined ? null : { row, x: sx, y: sy });
    hoverTimes.current.push(performance.now() - started);
    if (hoverTimes.current.length > 200) hoverTimes.current.shift();
    const sorted = [...hoverTimes.current].sort((a, b) => a - b);
    wrapRef.current?.setAttribute('data-hover-p95-ms', sorted[Math.floor(sorted.length * 0.95)]!.toFixed(2));
  };

  const finishLasso = () => {
    if (!lasso || lasso.length < 3) {
      setLasso(null);
      return;
    }
    const t = transformRef.current;
    const polygon = lasso.map(([sx, sy]) => [t.invertX(sx), t.invertY(sy)] as [number, number]);
    const rows: number[] = [];
    for (let i = 0; i < count; i++) if (polygonContains(polygon, [px[i]!, py[i]!])) rows.push(i);
    setSelection(rows);
    setLasso(null);
  };

  return (
    <div>
      <div className="controls">
        <button onClick={() => setLassoMode(!lassoMode)} aria-pressed={lassoMode} data-testid="lasso-toggle">
          {lassoMode ? 'Lasso: on (drag to select)' : 'Lasso'}
        </button>
        {/* The canvas's own zoom behaviour, so its 'zoom' listener redraws and its stored transform is reset. */}
        <button data-testid="reset-zoom" onClick={() => zoomRef.current && select(canvasRef.current!).call(zoomRef.current.transform, zoomIdentity)}>
          Reset zoom
        </button>
        <span className="muted">
          {count.toLocaleString()} faces · {note} · scroll to zoom, drag to pan
        </span>
      </div>
      <div className="map-wrap" ref={wrapRef} data-testid="map" data-points={count}>
        <canvas
          ref={canvasRef}
          style={{ width: WIDTH, height: HEIGHT, cursor: lassoMode ? 'crosshair' : 'grab' }}
          onMouseMove={onMove}
          onMouseLeave={() => setHover(null)}
          onMouseDown={(e) => {
            if (!lassoMode) return;
            const rect = e.currentTarget.getBoundingClientRect();
            setLasso([[e.clientX - rect.left, e.clientY - rect.top]]);
          }}
          onMouseUp={finishLasso}
        />
        {lasso && (
          <svg className="lasso" width={WIDTH} height={HEIGHT}>
            <polygon points={lasso.map((p) => p.join(',')).join(' ')} />
          </svg>
        )}
        {hover && !lasso && (
          <div className="tooltip" style={{ left: Math.min(hover.x + 12, WIDTH - 150), top: Math.min(hover.y + 12, HEIGHT - 150) }} data-testid="map-tooltip">
            <FaceThumb gallery={gallery} faceId={faces.ids[hover.row]!} size={96} />
            <div>{faces.ids[hover.row]}</div>
            <div className="muted">
              {[faces.labels[hover.row], faces.persons[hover.row]].filter(Boolean).join(' · ')}
            </div>
          </div>
        )}
      </div>
      {colours.note && (
        <p className="muted" data-testid="colour-note">
          {colours.note}
        </p>
      )}
      {colours.legend.length > 0 && (
        <div className="legend" data-testid="map-legend">
          {colours.legend.map((l) => (
            <span key={l.name}>
              <i style={{ background: categoryColour(l.index) }} /> {l.name}
            </span>
          ))}
        </div>
      )}
      {selection && <LassoSelection gallery={gallery} rows={selection} ids={faces.ids} onClose={() => setSelection(null)} />}
    </div>
  );
}

function LassoSelection({ gallery, rows, ids, onClose }: { gallery: string; rows: number[]; ids: readonly string[]; onClose: () => void }) {
  const [name, setName] = useState('');
  const [radius, setRadius] = useState(0.25);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="selection" data-testid="lasso-selection">
      <p>
        {rows.length.toLocaleString()} faces in the lasso{rows.length > 40 ? ' (first 40 shown)' : ''}. <button onClick={onClose}>Clear</button>
      </p>
      <div className="faces">
        {rows.slice(0, 40).map((r) => (
          <FaceThumb key={r} gallery={gallery} faceId={ids[r]!} size={56} />
        ))}
      </div>
      {rows.length > 0 && (
        <form
          className="controls"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            try {
              const r = await sendJson<{ tagId: number; tags: TagView[] }>('/api/tags', 'POST', { from: 'faces', gallery, faceIds: rows.slice(0, 5000).map((row) => ids[row]), radius, name, parentId: null });
              publishTags(r.tags);
              setMessage(`Tag ${r.tagId} "${name}" created from ${Math.min(rows.length, 5000)} example faces.`);
            } catch (err) {
              setError((err as Error).message);
            }
          }}
        >
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Tag name" required />
          <label>
            radius <input type="number" step={0.05} min={0} max={2} value={radius} onChange={(e) => setRadius(Number(e.target.value))} />
          </label>
          <button type="submit">Make a tag of these faces</button>
        </form>
      )}
      {message && <p>{message}</p>}
      <ErrorLine error={error} />
    </div>
  );
}

/** The map's K for colouring by cluster: 2–200. A value out of range is kept in the box and refused aloud, not clamped. */
const MAP_MAX_K = 200;
function KInput({ k, onChange }: { k: number; onChange: (k: number) => void }) {
  const [text, setText] = useState(String(k));
  useEffect(() => setText(String(k)), [k]);
  const value = Number(text);
  const valid = Number.isInteger(value) && value >= 2 && value <= MAP_MAX_K;
  return (
    <label>
      K{' '}
      <input
        type="number"
        min={2}
        max={MAP_MAX_K}
        value={text}
        data-testid="map-k"
        aria-invalid={!valid}
        onChange={(e) => {
          setText(e.target.value);
          const next = Number(e.target.value);
          if (Number.isInteger(next) && next >= 2 && next <= MAP_MAX_K) onChange(next);
        }}
      />
      {!valid && (
        <span className="error" data-testid="map-k-error">
          {' '}
          K must be a whole number from 2 to {MAP_MAX_K}; the map keeps K = {k}
        </span>
      )}
    </label>
  );
}
