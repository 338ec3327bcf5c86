// Draws a raw low-resolution map over a photo as a small JPEG (for reports): bilinear upsampling,
// per-image normalisation, the turbo colour map, and a fixed opacity, as the gallery draws it.
import { interpolateTurbo } from 'd3-scale-chromatic';
import sharp from 'sharp';
import { upsample } from './faithfulness';
import type { MapGrid } from './metrics';

const TURBO: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = (interpolateTurbo(i / 255).match(/\d+/g) ?? ['0', '0', '0']).map(Number);
    lut.set([r, g, b], i * 3);
  }
  return lut;
})();

export const OVERLAY_OPACITY = 0.45;

/** RGBA pixels of the colour-mapped map at `width` × `height` (stretched over the photo). */
export function overlayRgba(map: MapGrid & { scale?: number }, width: number, height: number): Uint8Array {
  // upsample() makes a square grid; build it at the larger side and sample it for a non-square photo.
  const side = Math.max(width, height);
  const up = upsample(map, side);
  let max = map.scale ?? 0;
  if (!(max > 0)) for (const v of up) max = Math.max(max, v);
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(side - 1, Math.floor(((y + 0.5) * side) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(side - 1, Math.floor(((x + 0.5) * side) / width));
      const t = max > 0 ? Math.min(1, Math.max(0, up[sy * side + sx] / max)) : 0;
      const c = Math.round(t * 255) * 3;
      const o = (y * width + x) * 4;
      out[o] = TURBO[c];
      out[o + 1] = TURBO[c + 1];
      out[o + 2] = TURBO[c + 2];
      out[o + 3] = Math.round(OVERLAY_OPACITY * 255);
    }
  }
  return out;
}

/** A JPEG of the photo (any format sharp reads) with the map laid over it, at most `maxSide` px. */
export async function overlayJpeg(photo: Buffer, map: (MapGrid & { scale?: number }) | null, maxSide = 240): Promise<Buffer> {
  const base = sharp(photo).rotate().resize(maxSide, maxSide, { fit: 'inside' }).removeAlpha();
  const { data, info } = await base.raw().toBuffer({ resolveWithObject: true });
  const image = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } });
  if (!map) return image.jpeg({ quality: 78 }).toBuffer();
  const layer = Buffer.from(overlayRgba(map, info.width, info.height));
  return image
    .composite([{ input: layer, raw: { width: info.width, height: info.height, channels: 4 } }])
    .jpeg({ quality: 78 })
    .toBuffer();
}
