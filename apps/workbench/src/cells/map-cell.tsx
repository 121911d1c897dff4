'use client';
/**
 * The embedding map: a gallery's 2-D UMAP projection drawn on a canvas (up to hundreds of thousands of points),
 * d3 for scales, zoom and hit-testing. Hover shows the face, a click selects it; zoomed in, faces are drawn as
 * thumbnails; colour by label, person, K-Means cluster or tag, and filter by the same; lasso a region to see its
 * faces and make a tag of them. A projection still running is shown as it lays out.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type Quadtree, type ZoomBehavior, type ZoomTransform, polygonContains, quadtree, scaleLinear, select, zoom, zoomIdentity } from 'd3';
import type { CellParams, MapFilter } from '../notebook/cells';
import type { GalleryListing } from '../server/galleries';
import type { TagView } from '../server/tag-view';
import { publishTags, useTags } from './use-tags';
import { ApiError, api, query, sendJson } from './api';
import { ErrorLine, FaceThumb, GallerySelect, Progress, categoryColour } from './common';
import { FaceSprites } from './face-sprites';
import { type FilterMode, type PointLayer, drawingOrder, percentile95, pointColours, rasterisePoints, shownMask } from './map-points';
import { useGalleryFaces } from './use-gallery';

/** A projection's layout so far, while UMAP is still optimising it. */
interface Layout {
  readonly epoch: number;
  readonly coordinates: number[];
}

type ProjectionState =
  | { status: 'none' | 'loading' }
  | { status: 'running'; phase: string; fraction: number; layout: Layout | null }
  | { status: 'done'; coordinates: number[]; fromCache: boolean; seconds: number }
  | { status: 'failed'; error: string };

/** The projection route's answer: a running job's layout comes only when newer than the epoch asked with (`have`). */
type ProjectionAnswer =
  | Exclude<ProjectionState, { status: 'running' }>
  | { status: 'running'; phase: string; fraction: number; preview: { epoch: number; coordinates: number[] | null } | null };

type ColourBy = CellParams['map']['colourBy'];

const WIDTH = 820;
const HEIGHT = 560;
const PAD = 16;

export function MapCell({ params, galleries, onChange }: { params: CellParams['map']; galleries: readonly GalleryListing[]; onChange: (p: CellParams['map']) => void }) {
  const { gallery } = params;
  const { faces, error: facesError } = useGalleryFaces(gallery);
  const projection = useProjection(gallery);
  const colours = useColouring(gallery, params.colourBy, params.k, faces?.ids.length ?? 0, faces);
  // The filter names categories of one colouring: another colouring (or another K) starts unfiltered.
  const unfiltered: MapFilter = { ...params.filter, hidden: [], hideNone: false };

  // What the canvas draws: the finished projection, or the layout so far while UMAP runs.
  const drawn =
    projection.status === 'done'
      ? { coordinates: projection.coordinates, final: true, note: projection.fromCache ? 'projection from cache' : `projected in ${projection.seconds.toFixed(1)} s` }
      : projection.status === 'running' && projection.layout
        ? { coordinates: projection.layout.coordinates, final: false, note: `UMAP still laying out (epoch ${projection.layout.epoch})` }
        : null;

  return (
    <div>
      <div className="controls">
        <GallerySelect galleries={galleries} value={gallery} onChange={(g) => onChange({ ...params, gallery: g })} />
        <label>
          Colour by{' '}
          <select value={params.colourBy} onChange={(e) => onChange({ ...params, colourBy: e.target.value as ColourBy, filter: unfiltered })} data-testid="colour-by">
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
        {params.colourBy === 'cluster' && <KInput k={params.k} onChange={(k) => onChange({ ...params, k, filter: unfiltered })} />}
      </div>
      <ErrorLine error={facesError ?? (projection.status === 'failed' ? projection.error : null) ?? colours.error} />
      {projection.status === 'running' && <Progress label={`UMAP ${projection.phase}`} fraction={projection.fraction} />}
      {projection.status === 'loading' && <p className="muted">Loading the projection…</p>}
      {drawn && faces && gallery && faces.ids.length * 2 === drawn.coordinates.length && (
        <PointCanvas
          key={gallery}
          gallery={gallery}
          coordinates={drawn.coordinates}
          final={drawn.final}
          faces={faces}
          colours={colours}
          colourBy={params.colourBy}
          filter={params.filter}
          onFilter={(filter) => onChange({ ...params, filter })}
          note={drawn.note}
        />
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
    let layout: Layout | null = null;
    setState({ status: 'loading' });
    const url = (have: number) => `/api/gallery/projection?${query({ gallery, have })}`;
    const take = (job: ProjectionAnswer) => {
      if (!live) return;
      if (job.status !== 'running') {
        setState(job);
        return;
      }
      if (job.preview?.coordinates) layout = { epoch: job.preview.epoch, coordinates: job.preview.coordinates };
      setState({ status: 'running', phase: job.phase, fraction: job.fraction, layout });
      timer = setTimeout(() => api<ProjectionAnswer>(url(layout?.epoch ?? -1)).then(take, fail), 500);
    };
    const fail = (e: Error) => live && setState({ status: 'failed', error: e.message });
    sendJson<ProjectionAnswer>(url(-1), 'POST').then(take, fail);
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

function useColouring(gallery: string | null, by: ColourBy, k: number, count: number, faces: { labels: readonly (string | null)[]; persons: readonly (string | null)[] } | null): Colouring {
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

/** Faces are drawn as thumbnails once the zoom is at least this and at most this many (kept) points are in view. */
const THUMBNAIL_MIN_ZOOM = 2;
const THUMBNAIL_MAX_IN_VIEW = 300;
/** Thumbnail pixels fetched per face, and faces kept (above THUMBNAIL_MAX_IN_VIEW; 64² RGBA is 16 kB a face). */
const SPRITE_PIXELS = 64;
const SPRITE_CAPACITY = 1024;
/** Draw times kept for the p95 on the map element. */
const FRAME_WINDOW = 120;

/** A point's square side (CSS pixels): grows with the zoom, within bounds. */
const pointSize = (k: number) => Math.max(1.5, Math.min(6, 2 * Math.sqrt(k)));
/** A thumbnail's side (CSS pixels). */
const thumbnailSide = (k: number) => Math.round(Math.min(56, Math.max(24, 7 * Math.sqrt(k))));

async function fetchAtlas(gallery: string, faces: readonly string[], size: number): Promise<ImageBitmap> {
  const response = await fetch('/api/gallery/face-atlas', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gallery, faces, size }) });
  if (!response.ok) throw new ApiError(`face atlas: HTTP ${response.status}`, response.status);
  return createImageBitmap(await response.blob());
}

/** What a frame draws: everything that changes only with the data, the colouring, the filter or the selection. */
interface Scene {
  readonly layer: PointLayer;
  readonly shown: Uint8Array | null;
  readonly mode: FilterMode;
  readonly category: Int32Array | null;
  readonly ids: readonly string[];
  readonly selected: number | null;
}

interface Faces {
  ids: readonly string[];
  labels: readonly (string | null)[];
  persons: readonly (string | null)[];
}

function PointCanvas({
  gallery,
  coordinates,
  final,
  faces,
  colours,
  colourBy,
  filter,
  onFilter,
  note,
}: {
  gallery: string;
  coordinates: readonly number[];
  /** False while UMAP is still laying out: the coordinates will change. */
  final: boolean;
  faces: Faces;
  colours: Colouring;
  colourBy: ColourBy;
  filter: MapFilter;
  onFilter: (filter: MapFilter) => void;
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
  const [selected, setSelected] = useState<number | null>(null);
  const count = coordinates.length / 2;
  const { category } = colours;

  // Base (zoom-free) pixel positions of every point; when they arrived, for the time to interactive.
  const base = useMemo(() => {
    const arrived = performance.now();
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < count; i++) {
      const cx = coordinates[2 * i]!;
      const cy = coordinates[2 * i + 1]!;
      if (cx < x0) x0 = cx;
      if (cx > x1) x1 = cx;
      if (cy < y0) y0 = cy;
      if (cy > y1) y1 = cy;
    }
    const x = scaleLinear().domain([x0, x1]).range([PAD, WIDTH - PAD]);
    const y = scaleLinear().domain([y0, y1]).range([HEIGHT - PAD, PAD]);
    const px = new Float32Array(count);
    const py = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      px[i] = x(coordinates[2 * i]!);
      py[i] = y(coordinates[2 * i + 1]!);
    }
    return { px, py, arrived };
  }, [coordinates, count]);

  const layer = useMemo<PointLayer>(() => ({ px: base.px, py: base.py, order: drawingOrder(category, count), ...pointColours(category, count) }), [base, category, count]);

  // The filter: legend names → category indices → per-row mask.
  const hasNone = useMemo(() => category?.some((c) => c < 0) ?? false, [category]);
  const shown = useMemo(() => {
    const indices = new Set(colours.legend.filter((l) => filter.hidden.includes(l.name)).map((l) => l.index));
    return shownMask(category, count, { indices, none: filter.hideNone && hasNone });
  }, [category, count, colours.legend, filter.hidden, filter.hideNone, hasNone]);
  const shownCount = useMemo(() => (shown ? shown.reduce((n, v) => n + v, 0) : count), [shown, count]);

  // Hover and click find only the faces the filter keeps.
  const tree = useMemo<Quadtree<number>>(() => {
    const rows: number[] = [];
    for (let i = 0; i < count; i++) if (!shown || shown[i]) rows.push(i);
    return quadtree<number>()
      .x((i) => base.px[i]!)
      .y((i) => base.py[i]!)
      .addAll(rows);
  }, [base, shown, count]);

  const sceneRef = useRef<Scene | null>(null);
  const spritesRef = useRef<FaceSprites<ImageBitmap> | null>(null);
  const bufferRef = useRef<{ image: ImageData; pixels: Uint32Array } | null>(null);
  const frameTimes = useRef<number[]>([]);
  const frames = useRef(0);
  const pendingFrame = useRef(0);

  // One frame: points into the pixel buffer, then thumbnails and the selection ring on top. Reads only refs, so it
  // never changes identity and the zoom behaviour need not be rebound.
  const draw = useCallback(() => {
    pendingFrame.current = 0;
    const canvas = canvasRef.current;
    const scene = sceneRef.current;
    if (!canvas || !scene) return;
    const started = performance.now();
    const ctx = canvas.getContext('2d')!;
    const ratio = window.devicePixelRatio || 1;
    // Sized here, not in an effect of its own: resizing clears a canvas, and the first frame may come before any effect.
    const [width, height] = [Math.round(WIDTH * ratio), Math.round(HEIGHT * ratio)];
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    let buffer = bufferRef.current;
    if (!buffer || buffer.image.width !== canvas.width || buffer.image.height !== canvas.height) {
      const image = ctx.createImageData(canvas.width, canvas.height);
      buffer = bufferRef.current = { image, pixels: new Uint32Array(image.data.buffer) };
    }
    const t = transformRef.current;
    const { layer, ids } = scene;
    const target = { pixels: buffer.pixels, width: canvas.width, height: canvas.height, ratio };
    const { inView, rows } = rasterisePoints(target, layer, scene.shown, scene.mode, t, pointSize(t.k), THUMBNAIL_MAX_IN_VIEW);
    ctx.putImageData(buffer.image, 0, 0);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);

    // Thumbnails: the ones already loaded are drawn, the rest are asked for and redraw the map when they come.
    let thumbnails = 0;
    const side = thumbnailSide(t.k);
    const sprites = spritesRef.current;
    const showFaces = sprites !== null && rows !== null && t.k >= THUMBNAIL_MIN_ZOOM;
    if (showFaces) {
      sprites.want(rows.map((row) => ids[row]!));
      ctx.lineWidth = 2;
      for (const row of rows) {
        const sprite = sprites.get(ids[row]!);
        if (!sprite) continue;
        const sx = t.applyX(layer.px[row]!) - side / 2;
        const sy = t.applyY(layer.py[row]!) - side / 2;
        ctx.drawImage(sprite.image, sprite.x, sprite.y, sprite.size, sprite.size, sx, sy, side, side);
        // The frame keeps the face's colour on the map.
        ctx.strokeStyle = categoryColour(scene.category ? scene.category[row]! : -1);
        ctx.strokeRect(sx, sy, side, side);
        thumbnails++;
      }
    }

    if (scene.selected !== null) {
      const sx = t.applyX(layer.px[scene.selected]!);
      const sy = t.applyY(layer.py[scene.selected]!);
      const radius = (showFaces ? side * Math.SQRT1_2 : pointSize(t.k)) + 4;
      ctx.beginPath();
      ctx.arc(sx, sy, radius, 0, 2 * Math.PI);
      ctx.lineWidth = 4;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#111';
      ctx.stroke();
    }

    const times = frameTimes.current;
    times.push(performance.now() - started);
    if (times.length > FRAME_WINDOW) times.shift();
    frames.current++;
    const wrap = wrapRef.current;
    wrap?.setAttribute('data-frame-p95-ms', percentile95(times).toFixed(2));
    wrap?.setAttribute('data-frames', String(frames.current));
    wrap?.setAttribute('data-in-view', String(inView));
    wrap?.setAttribute('data-thumbnails', String(thumbnails));
  }, []);

  /** At most one frame per animation frame, however many events asked for one. */
  const requestDraw = useCallback(() => {
    if (!pendingFrame.current) pendingFrame.current = requestAnimationFrame(draw);
  }, [draw]);

  useEffect(() => {
    const sprites = new FaceSprites<ImageBitmap>({
      fetchAtlas: (ids, size) => fetchAtlas(gallery, ids, size),
      onLoaded: requestDraw,
      size: SPRITE_PIXELS,
      capacity: SPRITE_CAPACITY,
      concurrency: 2,
    });
    spritesRef.current = sprites;
    return () => {
      sprites.dispose();
      spritesRef.current = null;
    };
  }, [gallery, requestDraw]);

  // A new scene is drawn on the next frame; new coordinates at once, timing data → first frame for the e2e run.
  const drawnBase = useRef<typeof base | null>(null);
  useEffect(() => {
    sceneRef.current = { layer, shown, mode: filter.mode, category, ids: faces.ids, selected };
    if (drawnBase.current !== base) {
      drawnBase.current = base;
      draw();
      wrapRef.current?.setAttribute('data-interactive-ms', String(Math.round(performance.now() - base.arrived)));
    } else requestDraw();
  }, [layer, shown, filter.mode, category, faces.ids, selected, base, draw, requestDraw]);

  useEffect(() => () => cancelAnimationFrame(pendingFrame.current), []);

  useEffect(() => {
    const canvas = canvasRef.current!;
    const behaviour = zoom<HTMLCanvasElement, unknown>()
      .scaleExtent([0.5, 64])
      .filter((event: Event) => !lassoMode || event.type === 'wheel')
      .on('zoom', (event: { transform: ZoomTransform }) => {
        transformRef.current = event.transform;
        // The face under the pointer moves with the zoom: drop the tooltip until the pointer moves again.
        setHover((h) => (h === null ? h : null));
        requestDraw();
      });
    select(canvas).call(behaviour);
    zoomRef.current = behaviour;
    return () => {
      select(canvas).on('.zoom', null);
    };
  }, [lassoMode, requestDraw]);

  // Escape clears the selection.
  useEffect(() => {
    if (selected === null) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setSelected(null);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [selected]);

  /** The kept face nearest a pointer position (canvas CSS pixels), within 12 screen pixels. */
  const faceAt = (sx: number, sy: number): number | undefined => {
    const t = transformRef.current;
    return tree.find(t.invertX(sx), t.invertY(sy), 12 / t.k);
  };

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
    const row = faceAt(sx, sy);
    setHover(row === undefined ? null : { row, x: sx, y: sy });
    hoverTimes.current.push(performance.now() - started);
    if (hoverTimes.current.length > 200) hoverTimes.current.shift();
    wrapRef.current?.setAttribute('data-hover-p95-ms', percentile95(hoverTimes.current).toFixed(2));
  };

  const finishLasso = () => {
    if (!lasso || lasso.length < 3) {
      setLasso(null);
      return;
    }
    const t = transformRef.current;
    const polygon = lasso.map(([sx, sy]) => [t.invertX(sx), t.invertY(sy)] as [number, number]);
    const rows: number[] = [];
    for (let i = 0; i < count; i++) if ((!shown || shown[i]) && polygonContains(polygon, [base.px[i]!, base.py[i]!])) rows.push(i);
    setSelection(rows);
    setLasso(null);
  };

  const categoryName = (row: number): string | null => {
    const c = category?.[row] ?? -1;
    return c < 0 ? null : (colours.legend.find((l) => l.index === c)?.name ?? (colourBy === 'cluster' ? `cluster ${c + 1}` : null));
  };
  const toggle = (name: string) => onFilter({ ...filter, hidden: filter.hidden.includes(name) ? filter.hidden.filter((h) => h !== name) : [...filter.hidden, name] });
  const filtered = filter.hidden.length > 0 || filter.hideNone;

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
          {count.toLocaleString()} faces · {note} · scroll to zoom, drag to pan, click a face to select it; zoom in to see faces
        </span>
      </div>
      <div className="map-row">
        <div
          className="map-wrap"
          ref={wrapRef}
          data-testid="map"
          data-points={count}
          data-projection={final ? 'done' : 'in-progress'}
          data-shown={shownCount}
          data-selected={selected === null ? undefined : faces.ids[selected]}
        >
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
            onClick={(e) => {
              // A drag that pans does not click (d3-zoom swallows it); a click on empty space clears the selection.
              if (lassoMode) return;
              const rect = e.currentTarget.getBoundingClientRect();
              setSelected(faceAt(e.clientX - rect.left, e.clientY - rect.top) ?? null);
            }}
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
              <div className="muted">{[faces.labels[hover.row], faces.persons[hover.row]].filter(Boolean).join(' · ')}</div>
            </div>
          )}
        </div>
        {selected !== null && (
          <SelectedFace gallery={gallery} faces={faces} row={selected} colourBy={colourBy} category={categoryName(selected)} onClose={() => setSelected(null)} />
        )}
      </div>
      {colours.note && (
        <p className="muted" data-testid="colour-note">
          {colours.note}
        </p>
      )}
      {(colours.legend.length > 0 || hasNone) && (
        <div className="legend" data-testid="map-legend">
          {/* Each entry is also the filter's toggle for its category. */}
          {colours.legend.map((l) => (
            <span key={l.name}>
              <label>
                <input type="checkbox" checked={!filter.hidden.includes(l.name)} onChange={() => toggle(l.name)} data-testid="legend-toggle" data-category={l.name} />
                <i style={{ background: categoryColour(l.index) }} /> {l.name}
              </label>
            </span>
          ))}
          {hasNone && (
            <span>
              <label>
                <input type="checkbox" checked={!filter.hideNone} onChange={() => onFilter({ ...filter, hideNone: !filter.hideNone })} data-testid="legend-toggle-none" />
                <i style={{ background: categoryColour(-1) }} /> no {colourBy}
              </label>
            </span>
          )}
        </div>
      )}
      {(colours.legend.length > 0 || hasNone) && (
        <div className="controls">
          <label>
            Faces left out by the filter{' '}
            <select value={filter.mode} onChange={(e) => onFilter({ ...filter, mode: e.target.value as FilterMode })} data-testid="filter-mode">
              <option value="dim">faded</option>
              <option value="hide">hidden</option>
            </select>
          </label>
          {filtered && (
            <button onClick={() => onFilter({ ...filter, hidden: [], hideNone: false })} data-testid="filter-clear">
              Show all
            </button>
          )}
          <span className="muted" data-testid="filter-count">
            {filtered ? `${shownCount.toLocaleString()} of ${count.toLocaleString()} faces kept by the filter` : 'untick a legend entry to filter'}
          </span>
        </div>
      )}
      {selection && <LassoSelection gallery={gallery} rows={selection} ids={faces.ids} onClose={() => setSelection(null)} />}
    </div>
  );
}

function SelectedFace({ gallery, faces, row, colourBy, category, onClose }: { gallery: string; faces: Faces; row: number; colourBy: ColourBy; category: string | null; onClose: () => void }) {
  const facts: [string, string | null][] = [
    ['label', faces.labels[row] ?? null],
    ['person', faces.persons[row] ?? null],
  ];
  // The face's cluster or tag is known when the map is coloured by it.
  if (colourBy === 'cluster' || colourBy === 'tag') facts.push([colourBy, category]);
  return (
    <aside className="map-selected" data-testid="map-selected">
      <FaceThumb gallery={gallery} faceId={faces.ids[row]!} size={160} />
      <div className="map-selected-id" data-testid="map-selected-id">
        {faces.ids[row]}
      </div>
      <dl>
        {facts.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value ?? '—'}</dd>
          </div>
        ))}
      </dl>
      <button onClick={onClose} data-testid="map-selected-clear">
        Clear (Esc)
      </button>
    </aside>
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
