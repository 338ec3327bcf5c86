// Draws a raw low-resolution map over a photo as a small JPEG (for reports): common's bilinear upsampling,
// per-image normalisation, the turbo colour map, and a fixed opacity, as the gallery draws it.
import sharp from 'sharp';
import { lutFor } from '../../../common/colormaps';
import { upsampleBilinear } from '../../../common/upsample';
import type { MapGrid } from './metrics';

const TURBO = lutFor('turbo');

export const OVERLAY_OPACITY = 0.45;

/** RGBA pixels of the colour-mapped map at `width` × `height` (stretched over the photo), upsampled as the gallery does. */
export function overlayRgba(map: MapGrid & { scale?: number }, width: number, height: number): Uint8Array {
  const up = upsampleBilinear(map, width, height);
  let max = map.scale ?? 0;
  if (!(max > 0)) for (const v of up) max = Math.max(max, v);
  const out = new Uint8Array(width * height * 4);
  const alpha = Math.round(OVERLAY_OPACITY * 255);
  for (let p = 0; p < up.length; p++) {
    const t = max > 0 ? Math.min(1, Math.max(0, up[p] / max)) : 0;
    const c = Math.round(t * 255) * 3;
    out[p * 4] = TURBO[c];
    out[p * 4 + 1] = TURBO[c + 1];
    out[p * 4 + 2] = TURBO[c + 2];
    out[p * 4 + 3] = alpha;
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
