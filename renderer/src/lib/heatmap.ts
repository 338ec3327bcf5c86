// Draws a raw low-resolution class-activation map over a photo: bilinear upsampling to the canvas,
// normalisation by a scale (the map's own or the dataset's), a colormap, an opacity and a threshold.
import type { Heatmap } from '../../../common/types';
import { upsampleBilinear, type Placement } from '../../../common/upsample';
import type { Lut } from './colormaps';

export type Rect = Placement;

/** Where an image of imgW × imgH lands in a box under CSS object-fit `cover` or `contain`. */
export function fitRect(boxW: number, boxH: number, imgW: number | null, imgH: number | null, fit: 'cover' | 'contain'): Rect {
  if (!imgW || !imgH) return { x: 0, y: 0, w: boxW, h: boxH };
  const scale = fit === 'cover' ? Math.max(boxW / imgW, boxH / imgH) : Math.min(boxW / imgW, boxH / imgH);
  const w = imgW * scale;
  const h = imgH * scale;
  return { x: (boxW - w) / 2, y: (boxH - h) / 2, w, h };
}

/**
 * The map resampled to width × height pixels where the image occupies `rect` (common's bilinear upsampling,
 * as the HTML report draws it), normalised to 0..1 by `scale`; NaN outside the image.
 */
export function upsample(map: Heatmap, width: number, height: number, rect: Rect): Float32Array {
  const out = upsampleBilinear(map, width, height, rect);
  const inv = map.scale > 0 ? 1 / map.scale : 0;
  for (let p = 0; p < out.length; p++) out[p] = Math.min(Math.max(out[p] * inv, 0), 1);
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

/** The colormap's 256 colours with the alpha, each as one RGBA pixel (the platform's byte order), by table. */
const packedLuts = new WeakMap<Lut, Map<number, Uint32Array>>();
function packed(lut: Lut, alpha: number): Uint32Array {
  let byAlpha = packedLuts.get(lut);
  if (!byAlpha) packedLuts.set(lut, (byAlpha = new Map()));
  let colours = byAlpha.get(alpha);
  if (!colours) {
    colours = new Uint32Array(256);
    const bytes = new Uint8Array(colours.buffer);
    for (let i = 0; i < 256; i++) bytes.set([lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2], alpha], i * 4);
    byAlpha.set(alpha, colours);
  }
  return colours;
}

/** RGBA pixels for the overlay from upsampled values: colormap colours at one opacity, transparent outside the image. */
export function overlayPixels(values: Float32Array, style: OverlayStyle): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(values.length * 4);
  const pixels = new Uint32Array(rgba.buffer);
  const colours = packed(style.lut, Math.round(style.opacity * 255));
  const { cutoff } = style;
  for (let p = 0; p < values.length; p++) {
    const t = values[p];
    if (t >= cutoff) pixels[p] = colours[Math.round(t * 255)]; // NaN (outside the image) fails the test too
  }
  return rgba;
}
