/**
 * The cells a notebook can hold and their parameters. The store keeps params as JSON; this is where their
 * shape is defined, with one parser per kind so a notebook saved by an older workbench still opens.
 */

export const CELL_KINDS = ['experiments', 'map', 'clusters', 'triplets', 'search', 'summary', 'taxonomy', 'import'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/**
 * The map's filter: the categories of its current colouring it leaves out (legend names, plus the faces with no
 * category at all), and whether those are faded or hidden. The map empties it when the colouring or K changes.
 */
export interface MapFilter {
  hidden: string[];
  hideNone: boolean;
  mode: 'dim' | 'hide';
}

export interface CellParams {
  experiments: { selected: string[]; sortBy: string; descending: boolean };
  map: { gallery: string | null; colourBy: 'label' | 'cluster' | 'tag' | 'person'; k: number; filter: MapFilter };
  clusters: { gallery: string | null; k: number; seed: number };
  search: { gallery: string | null; k: number; person: string };
  summary: { gallery: string | null; person: string | null; k: number };
  taxonomy: { gallery: string | null };
  triplets: {
    gallery: string | null;
    /** labels: two-class triplets drawn from the gallery's labels; run: the rated test triplets of the gallery's run. */
    source: 'labels' | 'run';
    filter: 'wrong' | 'right' | 'all';
    sort: 'margin' | '-margin';
    count: number;
    /** Rated triplets: one type only, or all; and the least rater agreement shown (0 to 1). */
    type: 'all' | 'ONE_CLASS' | 'TWO_CLASS' | 'THREE_CLASS';
    minAgreement: number;
  };
  import: Record<string, never>;
}

export const CELL_TITLES: Record<CellKind, string> = {
  experiments: 'Experiments',
  map: 'Embedding map',
  clusters: 'Clusters',
  search: 'Search by photo',
  summary: 'Person summary',
  taxonomy: 'Tag taxonomy',
  triplets: 'Triplet inspector',
  import: 'Import photos',
};

export type Cell = { [K in CellKind]: { id: string; kind: K; params: CellParams[K] } }[CellKind];

export function isCellKind(kind: string): kind is CellKind {
  return (CELL_KINDS as readonly string[]).includes(kind);
}

const str = (v: unknown, fallback: string | null): string | null => (typeof v === 'string' ? v : fallback);
const int = (v: unknown, fallback: number, min: number, max: number): number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : fallback;

/** A stored map filter, or no filter (a notebook saved before the map had one, or a mangled value). */
function mapFilter(raw: unknown): MapFilter {
  const r = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  return {
    hidden: Array.isArray(r.hidden) ? [...new Set(r.hidden.filter((h): h is string => typeof h === 'string'))] : [],
    hideNone: r.hideNone === true,
    mode: r.mode === 'hide' ? 'hide' : 'dim',
  };
}

/** Parameters of a kind from whatever JSON was stored, each missing or invalid field replaced by its default. */
export function parseParams<K extends CellKind>(kind: K, raw: Record<string, unknown>, defaultGallery: string | null): CellParams[K] {
  const gallery = str(raw.gallery, defaultGallery);
  const parsed: { [Kind in CellKind]: () => CellParams[Kind] } = {
    experiments: () => ({
      selected: Array.isArray(raw.selected) ? raw.selected.filter((s): s is string => typeof s === 'string') : [],
      sortBy: str(raw.sortBy, 'modifiedAt')!,
      descending: raw.descending !== false,
    }),
    map: () => ({
      gallery,
      colourBy: (['label', 'cluster', 'tag', 'person'] as const).find((c) => c === raw.colourBy) ?? 'label',
      k: int(raw.k, 8, 2, 200),
      filter: mapFilter(raw.filter),
    }),
    clusters: () => ({ gallery, k: int(raw.k, 8, 2, 200), seed: int(raw.seed, 1, 0, 2 ** 31 - 1) }),
    search: () => ({ gallery, k: int(raw.k, 12, 1, 100), person: str(raw.person, '')! }),
    summary: () => ({ gallery, person: str(raw.person, null), k: int(raw.k, 8, 1, 64) }),
    taxonomy: () => ({ gallery }),
    triplets: () => ({
      gallery,
      source: raw.source === 'run' ? 'run' : 'labels',
      filter: (['wrong', 'right', 'all'] as const).find((f) => f === raw.filter) ?? 'wrong',
      type: (['all', 'ONE_CLASS', 'TWO_CLASS', 'THREE_CLASS'] as const).find((t) => t === raw.type) ?? 'all',
      minAgreement: typeof raw.minAgreement === 'number' && raw.minAgreement >= 0 && raw.minAgreement <= 1 ? raw.minAgreement : 0,
      sort: (['margin', '-margin'] as const).find((s) => s === raw.sort) ?? 'margin',
      count: int(raw.count, 2000, 1, 20_000),
    }),
    import: () => ({}),
  };
  return parsed[kind]() as CellParams[K];
}

export function newCell<K extends CellKind>(kind: K, defaultGallery: string | null): Cell {
  const id = `${kind}-${Math.random().toString(36).slice(2, 10)}`;
  return { id, kind, params: parseParams(kind, {}, defaultGallery) } as Cell;
}
