// Draws a raw low-resolution class-activation map over a photo: bilinear upsampling to the canvas,
// normalisation by the map's scale, the turbo colormap, one fixed opacity.
import type { Heatmap } from '../../../common/types';

export const OVERLAY_OPACITY = 0.45;

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

/**
 * Turbo (Mikhailov, Google 2019), by its published polynomial approximation: perceptually smoother than
 * jet, still reads as "cold → hot". 256 entries, RGB packed.
 */
const TURBO: Uint8ClampedArray = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  const poly = (t: number, k: readonly number[]): number =>
    k[0] + t * (k[1] + t * (k[2] + t * (k[3] + t * (k[4] + t * k[5]))));
  const red = [0.13572138, 4.6153926, -42.66032258, 132.13108234, -152.94239396, 59.28637943];
  const green = [0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604];
  const blue = [0.1066733, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973];
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    lut[i * 3] = poly(t, red) * 255;
    lut[i * 3 + 1] = poly(t, green) * 255;
    lut[i * 3 + 2] = poly(t, blue) * 255;
  }
  return lut;
})();

export function turbo(t: number): [number, number, number] {
  const i = Math.round(Math.min(Math.max(t, 0), 1) * 255) * 3;
  return [TURBO[i], TURBO[i + 1], TURBO[i + 2]];
}

/** RGBA pixels for the overlay: turbo colours at a fixed opacity, transparent outside the image. */
export function overlayPixels(map: Heatmap, width: number, height: number, rect: Rect, opacity = OVERLAY_OPACITY): Uint8ClampedArray<ArrayBuffer> {
  const values = upsample(map, width, height, rect);
  const rgba = new Uint8ClampedArray(width * height * 4);
  const alpha = Math.round(opacity * 255);
  for (let p = 0; p < values.length; p++) {
    const t = values[p];
    if (Number.isNaN(t)) continue;
    const i = Math.round(t * 255) * 3;
    rgba[p * 4] = TURBO[i];
    rgba[p * 4 + 1] = TURBO[i + 1];
    rgba[p * 4 + 2] = TURBO[i + 2];
    rgba[p * 4 + 3] = alpha;
  }
  return rgba;
}
