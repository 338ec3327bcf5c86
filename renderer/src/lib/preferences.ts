// What the gallery remembers between sessions (this browser profile, or the desktop app's): the last
// dataset, the run chosen in each dataset, the filters and sort, and the overlay settings. Anything unreadable falls back to the default.
import { DEFAULT_SORT, EMPTY_FILTER, readImageFilter, readImageSort, type ImageFilter, type ImageSort } from '../../../common/query-values';
import { COLORMAPS, type ColormapName } from './colormaps';

export interface OverlayPrefs {
  visible: boolean;
  opacity: number;
  colormap: ColormapName;
  /** Paint only the top this-many percent of each map's attention (100: all of it). */
  threshold: number;
  scale: 'image' | 'dataset';
}

/** The gallery's tile width, in CSS pixels at least (the grid stretches tiles to fill its rows). */
export const TILE_SIZES = { small: 140, medium: 200, large: 300 } as const;
export type TileSize = keyof typeof TILE_SIZES;

export interface Preferences {
  datasetId: number | null;
  /** The run chosen in the run picker, by dataset id; a dataset not listed shows its latest run. */
  runs: Record<string, number>;
  filter: ImageFilter;
  sort: ImageSort;
  overlay: OverlayPrefs;
  tileSize: TileSize;
}

export const DEFAULT_OVERLAY: OverlayPrefs = { visible: true, opacity: 0.45, colormap: 'turbo', threshold: 100, scale: 'image' };
export { DEFAULT_SORT };

const KEY = 'sightline.preferences';

function overlayFrom(value: unknown): OverlayPrefs {
  const v = (value ?? {}) as Partial<OverlayPrefs>;
  const num = (x: unknown, min: number, max: number, fallback: number): number =>
    typeof x === 'number' && x >= min && x <= max ? x : fallback;
  return {
    visible: typeof v.visible === 'boolean' ? v.visible : DEFAULT_OVERLAY.visible,
    opacity: num(v.opacity, 0, 1, DEFAULT_OVERLAY.opacity),
    colormap: COLORMAPS.includes(v.colormap as ColormapName) ? (v.colormap as ColormapName) : DEFAULT_OVERLAY.colormap,
    threshold: num(v.threshold, 1, 100, DEFAULT_OVERLAY.threshold),
    scale: v.scale === 'dataset' ? 'dataset' : 'image',
  };
}

function runsFrom(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const ids = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
  return Object.fromEntries(Object.entries(value).filter(([key, runId]) => ids(Number(key)) && ids(runId)));
}

export function loadPreferences(storage: Storage = localStorage): Preferences {
  let saved: Record<string, unknown> = {};
  try {
    saved = (JSON.parse(storage.getItem(KEY) ?? '{}') as Record<string, unknown>) ?? {};
  } catch {
    // A damaged entry is as good as none.
  }
  const filter = readImageFilter(saved.filter);
  const sort = readImageSort(saved.sort);
  return {
    datasetId: typeof saved.datasetId === 'number' ? saved.datasetId : null,
    runs: runsFrom(saved.runs),
    filter: filter ?? EMPTY_FILTER,
    sort: sort ?? DEFAULT_SORT,
    overlay: overlayFrom(saved.overlay),
    tileSize: typeof saved.tileSize === 'string' && saved.tileSize in TILE_SIZES ? (saved.tileSize as TileSize) : 'medium',
  };
}

export function savePreferences(prefs: Preferences, storage: Storage = localStorage): void {
  try {
    storage.setItem(KEY, JSON.stringify(prefs));
  } catch {
    // Storage full or disabled: the session still works, it just will not be remembered.
  }
}
