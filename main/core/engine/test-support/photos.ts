// Shared by the engine tests: the bundled sample photos, decoded the way the scan stage decodes them.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { resourcesDir } from '../paths';

export interface SamplePhoto {
  file: string;
  /** The ImageNet class index from the folder's numeric prefix. */
  trueClass: number;
}

export const samplesDir = path.join(resourcesDir(), 'samples');

export function samplePhotos(): SamplePhoto[] {
  return readdirSync(samplesDir).flatMap((folder) =>
    readdirSync(path.join(samplesDir, folder)).map((fileName) => ({
      file: path.join(samplesDir, folder, fileName),
      trueClass: Number.parseInt(folder, 10),
    })),
  );
}

/** size × size RGB bytes: EXIF rotation applied, whole image stretched to the square. */
export async function decodeRgb(file: string, size: number): Promise<Uint8Array> {
  const { data, info } = await sharp(file)
    .rotate()
    .resize(size, size, { fit: 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${file} decoded to ${info.channels} channels`);
  return new Uint8Array(data);
}

export async function decodeBatch(files: string[], size: number): Promise<Uint8Array> {
  const images = await Promise.all(files.map((file) => decodeRgb(file, size)));
  const batch = new Uint8Array(images.length * size * size * 3);
  images.forEach((image, index) => batch.set(image, index * image.length));
  return batch;
}
