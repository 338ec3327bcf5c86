// Attention metrics computed from a raw low-resolution CAM (row-major, h × w, values >= 0).
// They need no model: everything here is a pure function of the map (and a reviewer's box).
import type { ImageMetrics } from '../../../common/types';

export interface MapGrid {
  h: number;
  w: number;
  values: ArrayLike<number>;
}

/** A box in normalised image coordinates: 0..1 from the left/top edge. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The metrics that depend on the map alone (the rest of ImageMetrics needs the model, a box or another run). */
export type AttentionMetrics = Pick<ImageMetrics, 'borderMass' | 'entropy' | 'gini' | 'peakX' | 'peakY' | 'areaAboveHalfMax'>;

export const BORDER_FRACTION = 0.1;

function total(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.max(0, values[i]);
  return sum;
}

/**
 * How much of a cell (y, x) lies in the outer frame of width `fraction` on every side, as a share of the
 * cell's area; cells are treated as areas so that a 7 × 7 map and a 14 × 14 map of the same image agree.
 */
function cellBorderShare(y: number, x: number, h: number, w: number, fraction: number): number {
  const inner = (lo: number, hi: number) => Math.max(0, Math.min(hi, 1 - fraction) - Math.max(lo, fraction));
  const insideX = inner(x / w, (x + 1) / w) * w;
  const insideY = inner(y / h, (y + 1) / h) * h;
  return 1 - insideX * insideY;
}

export function borderMass(map: MapGrid, fraction = BORDER_FRACTION): number {
  const sum = total(map.values);
  if (sum === 0) return 0;
  let border = 0;
  for (let y = 0; y < map.h; y++) {
    for (let x = 0; x < map.w; x++) border += Math.max(0, map.values[y * map.w + x]) * cellBorderShare(y, x, map.h, map.w, fraction);
  }
  return border / sum;
}

export function entropy(map: MapGrid): number {
  const sum = total(map.values);
  const n = map.h * map.w;
  if (sum === 0 || n < 2) return 1;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.max(0, map.values[i]) / sum;
    if (p > 0) h -= p * Math.log(p);
  }
  return h / Math.log(n);
}

export function gini(map: MapGrid): number {
  const sorted = Array.from(map.values, (v) => Math.max(0, v)).sort((a, b) => a - b);
  const n = sorted.length;
  const sum = sorted.reduce((a, b) => a + b, 0);
  if (sum === 0 || n < 2) return 0;
  let weighted = 0;
  sorted.forEach((v, i) => (weighted += (i + 1) * v));
  // Normalised so that all mass in one cell gives exactly 1.
  return ((2 * weighted) / (n * sum) - (n + 1) / n) * (n / (n - 1));
}

export function peak(map: MapGrid): { x: number; y: number; index: number } {
  let index = 0;
  for (let i = 1; i < map.h * map.w; i++) if (map.values[i] > map.values[index]) index = i;
  const y = Math.floor(index / map.w);
  const x = index % map.w;
  return { x: (x + 0.5) / map.w, y: (y + 0.5) / map.h, index };
}

export function areaAboveHalfMax(map: MapGrid): number {
  let max = 0;
  for (let i = 0; i < map.values.length; i++) max = Math.max(max, map.values[i]);
  if (max <= 0) return 0;
  let count = 0;
  for (let i = 0; i < map.values.length; i++) if (map.values[i] >= max / 2) count++;
  return count / map.values.length;
}

export function attentionMetrics(map: MapGrid): AttentionMetrics {
  const top = peak(map);
  return {
    borderMass: borderMass(map),
    entropy: entropy(map),
    gini: gini(map),
    peakX: top.x,
    peakY: top.y,
    areaAboveHalfMax: areaAboveHalfMax(map),
  };
}

/** Pointing game (Zhang et al., "Top-down neural attention by excitation backprop", ECCV 2016): the peak lies in the box. */
export function pointingHit(map: MapGrid, box: Box): boolean {
  const { x, y } = peak(map);
  return x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1;
}

/** Energy-based pointing game (Wang et al., "Score-CAM", 2020, sec. 4.3): share of the map's mass inside the box. */
export function energyInBox(map: MapGrid, box: Box): number {
  const sum = total(map.values);
  if (sum === 0) return 0;
  let inside = 0;
  for (let y = 0; y < map.h; y++) {
    const overlapY = Math.max(0, Math.min((y + 1) / map.h, box.y1) - Math.max(y / map.h, box.y0)) * map.h;
    if (overlapY === 0) continue;
    for (let x = 0; x < map.w; x++) {
      const overlapX = Math.max(0, Math.min((x + 1) / map.w, box.x1) - Math.max(x / map.w, box.x0)) * map.w;
      inside += Math.max(0, map.values[y * map.w + x]) * overlapX * overlapY;
    }
  }
  return inside / sum;
}

function ranks(values: ArrayLike<number>): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const result = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    for (let k = i; k <= j; k++) result[order[k]] = (i + j) / 2 + 1; // ties share their mean rank
    i = j + 1;
  }
  return result;
}

/** Spearman rank correlation of two maps of the same size (agreement between two runs); 0 if either is constant. */
export function rankCorrelation(a: MapGrid, b: MapGrid): number {
  if (a.h !== b.h || a.w !== b.w) throw new Error(`Maps differ in size: ${a.h}×${a.w} vs ${b.h}×${b.w}`);
  const ra = ranks(a.values);
  const rb = ranks(b.values);
  const mean = (ra.length + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - mean) * (rb[i] - mean);
    da += (ra[i] - mean) ** 2;
    db += (rb[i] - mean) ** 2;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}
