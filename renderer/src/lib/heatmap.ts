// Draws a raw low-resolution class-activation map over a photo: bilinear upsampling to the canvas,
// normalisation by a scale (the map's own or the dataset's), a colormap, an opacity and a threshold.
import type { Heatmap } from '../../../common/types';
import type { Lut } from './colormaps';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where an image of imgW × imgH lands in a box under CSS object-fit `cover` or `contain`. */
export function fitRect(boxW: number, boxH: number, imgW: number | null, imgH: number | null, fit: 'cover' | 'contain'): Rect {
  if (!imgW || !imgH) return { x: 0, y: 0, w: boxW, h: boxH };
  const scale = fit === 'cover' ? Math.max(boxW / imgW, boxH / imgH) : Math.min(boxW / imgW, boxH / imgH);
  const w = imgW * scale;
  const h = imgH * scale;
  return { x: (boxW - w) / 2, y: (boxH - h) / 2, w, h };
}

interface AxisSample {
  i0: Int32Array;
  i1: Int32Array;
  f: Float32Array;
  inside: Uint8Array;
}

/**
 * For each of `pixels` output pixels along one axis: the two map cells to blend and the weight of the
 * second. Cell centres sit at (i + 0.5) / cells of the image (align_corners = false), clamped at the edges.
 */
function axisSamples(pixels: number, cells: number, start: number, length: number): AxisSample {
  const s: AxisSample = { i0: new Int32Array(pixels), i1: new Int32Array(pixels), f: new Float32Array(pixels), inside: new Uint8Array(pixels) };
  for (let p = 0; p < pixels; p++) {
    const u = (p + 0.5 - start) / length;
    s.inside[p] = u >= 0 && u <= 1 ? 1 : 0;
    const c = Math.min(Math.max(u * cells - 0.5, 0), cells - 1);
    const i0 = Math.floor(c);
    s.i0[p] = i0;
    s.i1[p] = Math.min(i0 + 1, cells - 1);
    s.f[p] = c - i0;
  }
  return s;
}

/**
 * The map resampled to width × height pixels where the image occupies `rect`, normalised to 0..1 by
 * `scale`; NaN outside the image.
 */
export function upsample(map: Heatmap, width: number, height: number, rect: Rect): Float32Array {
  const out = new Float32Array(width * height);
  const xs = axisSamples(width, map.w, rect.x, rect.w);
  const ys = axisSamples(height, map.h, rect.y, rect.h);
  const inv = map.scale > 0 ? 1 / map.scale : 0;
  const v = map.values;
  for (let y = 0; y < height; y++) {
    const r0 = ys.i0[y] * map.w;
    const r1 = ys.i1[y] * map.w;
    const fy = ys.f[y];
    for (let x = 0; x < width; x++) {
      if (!ys.inside[y] || !xs.inside[x]) {
        out[y * width + x] = NaN;
        continue;
      }
      const c0 = xs.i0[x];
      const c1 = xs.i1[x];
      const fx = xs.f[x];
      const top = v[r0 + c0] + (v[r0 + c1] - v[r0 + c0]) * fx;
      const bottom = v[r1 + c0] + (v[r1 + c1] - v[r1 + c0]) * fx;
      out[y * width + x] = Math.min(Math.max((top + (bottom - top) * fy) * inv, 0), 1);
    }
  }
  return out;
}

export interface OverlayStyle {
  lut: Lut;
  /** 0..1, the same for every painted pixel. */
  opacity: number;
  /** Normalised values below this stay transparent (see attentionCutoff). */
  cutoff: number;
}

/**
 * The normalised value above which the top `percent` % of the map's cells lie, so that only the strongest
 * attention is painted; 100 % paints everything.
 */
export function attentionCutoff(map: Heatmap, scale: number, percent: number): number {
  if (percent >= 100 || scale <= 0) return -Infinity;
  const sorted = Float64Array.from(map.values).sort();
  const keep = Math.max(1, Math.ceil((sorted.length * percent) / 100));
  return sorted[sorted.length - keep] / scale;
}

/** RGBA pixels for the overlay from upsampled values: colormap colours at one opacity, transparent outside the image. */
export function overlayPixels(values: Float32Array, style: OverlayStyle): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(values.length * 4);
  const alpha = Math.round(style.opacity * 255);
  const { lut, cutoff } = style;
  for (let p = 0; p < values.length; p++) {
    const t = values[p];
    if (Number.isNaN(t) || t < cutoff) continue;
    const i = Math.round(t * 255) * 3;
    rgba[p * 4] = lut[i];
    rgba[p * 4 + 1] = lut[i + 1];
    rgba[p * 4 + 2] = lut[i + 2];
    rgba[p * 4 + 3] = alpha;
  }
  return rgba;
}
