// Reads one image file: its hash, its oriented size, a thumbnail, and the model's input pixels.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import sharp, { type Metadata, type ResizeOptions } from 'sharp';
import type { ResizeMode } from '../engine/types';
import { hashBytes } from './hash';
import { SNIFF_BYTES, sniffFormat, unsupportedReason } from './sniff';

/** Longest side of a stored thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 320;
/** Larger images are refused before decoding: a small file can claim billions of pixels (a decompression bomb). */
export const MAX_INPUT_PIXELS = 100_000_000;

export interface ImageFile {
  bytes: Buffer;
  /** sha256 of the file's bytes, hex. */
  contentHash: string;
}

export interface DecodedPixels {
  /** After EXIF orientation. */
  width: number;
  height: number;
  thumbnail: Buffer;
  /** inputSize × inputSize × 3 RGB bytes, row-major, stretched to the square like Keras' load_img. */
  pixels: Buffer;
}

export type DecodedImage = DecodedPixels & { contentHash: string };

/** Reads a plain file whole; throws an Error whose message says, for a person, why it cannot be read. */
export async function readImageFile(file: string): Promise<ImageFile> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; a plain file ignores it.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => {
    throw new Error(readFailure(err));
  });
  try {
    if (!(await handle.stat()).isFile()) throw new Error('Not a plain file (a device, pipe or socket), so it was not read');
    const bytes = await handle.readFile().catch((err: NodeJS.ErrnoException) => {
      throw new Error(readFailure(err));
    });
    return { bytes, contentHash: hashBytes(bytes) };
  } finally {
    await handle.close();
  }
}

/** Throws an Error whose message says, for a person, why the bytes cannot be used. */
/** sharp's resize options for the model's resize mode (see ResizeMode). */
const RESIZE_FIT: Record<ResizeMode, ResizeOptions> = {
  stretch: { fit: 'fill' },
  'centre-crop': { fit: 'cover', position: 'centre' },
  letterbox: { fit: 'contain', background: { r: 0, g: 0, b: 0 } },
};

export async function decodeImageBytes(bytes: Buffer, inputSize: number, resizeMode: ResizeMode = 'stretch'): Promise<DecodedPixels> {
  const format = sniffFormat(bytes.subarray(0, SNIFF_BYTES));
  if (!format) {
    throw new Error(
      bytes.length === 0 ? 'Empty file' : 'Not an image: the content is not JPEG, PNG, WebP, GIF, TIFF, BMP, AVIF or HEIF',
    );
  }
  const unsupported = unsupportedReason(format);
  if (unsupported) throw new Error(unsupported);
  const name = format.toUpperCase();
  let meta: Metadata;
  try {
    // The header only: nothing is decoded yet, whatever size the file claims.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new Error(`Could not decode this ${name} file: ${libvipsReason(err)}`);
  }
  const claimed = (meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0);
  if (claimed > MAX_INPUT_PIXELS) {
    throw new Error(
      `Too large to decode: ${meta.width}×${meta.pageHeight ?? meta.height} pixels (${Math.round(claimed / 1e6)} megapixels) ` +
        `is over the ${MAX_INPUT_PIXELS / 1e6}-megapixel limit`,
    );
  }
  try {
    // Multi-frame files (animated GIF, WebP) decode their first frame only: sharp's default.
    const oriented = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS }).rotate();
    const [thumbnail, input] = await Promise.all([
      oriented
        .clone()
        .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
        .toColourspace('srgb')
        .jpeg({ quality: 80 })
        .toBuffer(),
      oriented
        .clone()
        .resize(inputSize, inputSize, RESIZE_FIT[resizeMode])
        .toColourspace('srgb')
        .removeAlpha()
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true }),
    ]);
    if (input.info.channels !== 3) throw new Error(`decoded to ${input.info.channels} channels instead of 3`);
    return { width: meta.autoOrient.width, height: meta.autoOrient.height, thumbnail, pixels: input.data };
  } catch (err) {
    throw new Error(`Could not decode this ${name} file: ${libvipsReason(err)}`);
  }
}

/** Reads and decodes a file; throws an Error whose message says, for a person, why it cannot be used. */
export async function decodeImage(file: string, inputSize: number, resizeMode: ResizeMode = 'stretch'): Promise<DecodedImage> {
  const { bytes, contentHash } = await readImageFile(file);
  return { contentHash, ...(await decodeImageBytes(bytes, inputSize, resizeMode)) };
}

/** The original image, oriented upright, as a JPEG for display. */
export async function imageAsJpeg(file: string): Promise<Buffer> {
  const { bytes } = await readImageFile(file);
  return sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS }).rotate().jpeg({ quality: 90 }).toBuffer();
}

/** libvips can report a line per retry ("bad seek to …"): the last line says what went wrong. */
function libvipsReason(err: unknown): string {
  const lines = (err as Error).message.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.at(-1) ?? 'unknown error';
}

function readFailure(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'The file is gone: it was moved or deleted after the folder was scanned';
    case 'EACCES':
    case 'EPERM':
      return 'Permission denied: this account may not read the file';
    case 'EISDIR':
      return 'A folder, not a file';
    default:
      return `Could not read the file: ${err.message}`;
  }
}
