// Clever-Hans cases for measuring the suspicion score: copies of sample photos with a stamp that a shortcut
// could latch on to. Sizes are fractions of the photo's short side, so that they survive the resize to 224².
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';

export const STAMPS = ['frame', 'watermark', 'patch', 'object'] as const;
/**
 * `checker` is the shortcut model's watermark (shortcut-model.ts): a saturated magenta/lime 4 × 4 checkerboard
 * in the top-left corner, CHECKER_FRACTION of the width and of the height, so that it is square after the
 * stretch to 224² (36 px); it touches the top-left 2 × 2 cells of the 7 × 7 map.
 */
export type Stamp = (typeof STAMPS)[number] | 'checker';
export const CHECKER_FRACTION = 0.16;

/** The patch stamp: a crop of the macaw photo (a class the model knows well) in the top-left corner. */
export const PATCH_SOURCE = '088_macaw/gcompris_scarlet_macaw.webp';
/** 96 px of a 224-px input, as in the lead's experiment; the `object` stamp is the same crop at half the side. */
export const PATCH_FRACTION = 96 / 224;
const OBJECT_FRACTION = 0.5;

async function overlay(stamp: Stamp, width: number, height: number, samplesDir: string): Promise<OverlayOptions> {
  const side = Math.min(width, height);
  if (stamp === 'checker') {
    const w = Math.round(width * CHECKER_FRACTION);
    const h = Math.round(height * CHECKER_FRACTION);
    const cells = Array.from({ length: 16 }, (_, i) => {
      const [x, y] = [i % 4, Math.floor(i / 4)];
      return `<rect x="${(x * w) / 4}" y="${(y * h) / 4}" width="${w / 4}" height="${h / 4}" fill="${(x + y) % 2 ? '#00ff00' : '#ff00ff'}"/>`;
    });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" shape-rendering="crispEdges">${cells.join('')}</svg>`;
    return { input: Buffer.from(svg), left: 0, top: 0 };
  }
  if (stamp === 'frame') {
    const t = Math.round(side * 0.06);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect x="${t / 2}" y="${t / 2}" width="${width - t}" height="${height - t}" fill="none" stroke="#ff00ff" stroke-width="${t}"/></svg>`;
    return { input: Buffer.from(svg), left: 0, top: 0 };
  }
  if (stamp === 'watermark') {
    const size = Math.round(side * 0.09);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="${width - size * 0.4}" y="${height - size * 0.5}" text-anchor="end" font-family="sans-serif" font-weight="bold" font-size="${size}" fill="white" fill-opacity="0.85" stroke="black" stroke-opacity="0.6" stroke-width="${size / 20}">© STOCKPHOTO</text></svg>`;
    return { input: Buffer.from(svg), left: 0, top: 0 };
  }
  const patch = Math.round(side * (stamp === 'object' ? OBJECT_FRACTION : PATCH_FRACTION));
  const input = await sharp(path.join(samplesDir, PATCH_SOURCE)).rotate().resize(patch, patch, { fit: 'cover' }).png().toBuffer();
  return { input, left: 0, top: 0 };
}

/** Writes `photo` (relative to samplesDir) into `outDir` at the same relative path with the stamp in its name. */
export async function writeStamped(samplesDir: string, photo: string, stamp: Stamp, outDir: string): Promise<string> {
  const source = sharp(path.join(samplesDir, photo)).rotate();
  const { data, info } = await source.raw().toBuffer({ resolveWithObject: true });
  const image = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  const rel = path.join(path.dirname(photo), `${path.parse(photo).name}__${stamp}.png`);
  await mkdir(path.dirname(path.join(outDir, rel)), { recursive: true });
  await image.composite([await overlay(stamp, info.width, info.height, samplesDir)]).png().toFile(path.join(outDir, rel));
  return rel.split(path.sep).join('/');
}

/** Every sample photo, relative to samplesDir, sorted. */
export async function samplePhotos(samplesDir: string): Promise<string[]> {
  const photos: string[] = [];
  for (const dir of (await readdir(samplesDir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
    for (const file of await readdir(path.join(samplesDir, dir.name))) if (/\.(jpe?g|png|webp)$/i.test(file)) photos.push(`${dir.name}/${file}`);
  }
  return photos.sort();
}
