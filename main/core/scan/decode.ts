// Reads one image file: its hash, its oriented size, a thumbnail, and the model's input pixels.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { SNIFF_BYTES, sniffFormat, unsupportedReason } from './sniff';

/** Longest side of a stored thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 320;

export interface DecodedImage {
  /** sha256 of the file's bytes, hex. */
  contentHash: string;
  /** After EXIF orientation. */
  width: number;
  height: number;
  thumbnail: Buffer;
  /** inputSize × inputSize × 3 RGB bytes, row-major, stretched to the square like Keras' load_img. */
  pixels: Buffer;
}

/** Throws an Error whose message says, for a person, why the file cannot be used. */
export async function decodeImage(file: string, inputSize: number): Promise<DecodedImage> {
  const bytes = await readFile(file);
  const format = sniffFormat(bytes.subarray(0, SNIFF_BYTES));
  if (!format) {
    throw new Error(
      bytes.length === 0 ? 'Empty file' : 'Not an image: the content is not JPEG, PNG, WebP, GIF, TIFF, BMP, AVIF or HEIF',
    );
  }
  const unsupported = unsupportedReason(format);
  if (unsupported) throw new Error(unsupported);
  try {
    const oriented = sharp(bytes).rotate();
    const [meta, thumbnail, input] = await Promise.all([
      sharp(bytes).metadata(),
      oriented
        .clone()
        .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 80 })
        .toBuffer(),
      oriented
        .clone()
        .resize(inputSize, inputSize, { fit: 'fill' })
        .removeAlpha()
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true }),
    ]);
    if (input.info.channels !== 3) throw new Error(`decoded to ${input.info.channels} channels instead of 3`);
    return {
      contentHash: createHash('sha256').update(bytes).digest('hex'),
      width: meta.autoOrient.width,
      height: meta.autoOrient.height,
      thumbnail,
      pixels: input.data,
    };
  } catch (err) {
    throw new Error(`Could not decode this ${format.toUpperCase()} file: ${(err as Error).message}`);
  }
}

/** The original image, oriented upright, as a JPEG for display. */
export async function imageAsJpeg(file: string): Promise<Buffer> {
  return sharp(await readFile(file)).rotate().jpeg({ quality: 90 }).toBuffer();
}
