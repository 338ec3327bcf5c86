// Reads one image file: its hash, its oriented size, a thumbnail, and the model's input pixels.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import type { ResizeMode } from '../../../common/types';
import { hashBytes } from './hash';
import { readJpegHeader } from './jpeg-header';
import { SNIFF_BYTES, sniffFormat, unsupportedReason } from './sniff';

/** Longest side a thumbnail is resized to, in pixels. */
export const THUMBNAIL_SIZE = 320;
/**
 * A photo decoded (for the model input) at no more than this on its longest side is its own thumbnail: a
 * 3:2 photo's 338 × 224 or a 16:9 photo's 399 × 224 instead of 320 × 213 or 320 × 180. Resizing it once more
 * cost about 1 ms of CPU per image, a tenth of the decode stage, for a thumbnail no better to look at.
 */
export const THUMBNAIL_LIMIT = 400;
// Every file is decoded once, from its own buffer: libvips' operation cache (by default up to 100 operations
// and 50 MB) would only keep pixels that nobody asks for again, and costs a lookup per operation.
sharp.cache(false);

/** Larger images are refused before decoding: a small file can claim billions of pixels (a decompression bomb). */
export const MAX_INPUT_PIXELS = 100_000_000;
/**
 * Larger files are refused from their size, before a byte is read: the import reads up to 32 files ahead, whole,
 * and four sparse 1 GiB files took the process from 1.7 to 4.9 GB. A 100-megapixel JPEG is about 30–60 MB.
 */
export const MAX_FILE_BYTES = 128 * 1024 * 1024;
/** Longest side of the full image the gallery shows (zoom included); larger photos are scaled down for it. */
export const DISPLAY_SIZE = 2560;

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
  /** inputSize × inputSize × 3 RGB bytes, row-major, resized as the model's resize mode says (see planDecode). */
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
    const info = await handle.stat();
    if (!info.isFile()) throw new Error('Not a plain file (a device, pipe or socket), so it was not read');
    if (info.size > MAX_FILE_BYTES) {
      throw new Error(`Too large to read: ${megabytes(info.size)} is over the ${megabytes(MAX_FILE_BYTES)} limit for one photo; save a smaller copy`);
    }
    const bytes = await handle.readFile().catch((err: NodeJS.ErrnoException) => {
      throw new Error(readFailure(err));
    });
    return { bytes, contentHash: hashBytes(bytes) };
  } finally {
    await handle.close();
  }
}

/**
 * How thumbnails are encoded: quality 80, 4:2:0 chroma. Without Huffman-table optimisation (a second pass, lossless):
 * the same pixels, about 3 % more bytes, a third less encoding time.
 */
const THUMBNAIL_JPEG = { quality: 80, optimiseCoding: false } as const;

/** Throws an Error whose message says, for a person, why the bytes cannot be used. */
export async function decodeImageBytes(bytes: Buffer, inputSize: number, resizeMode: ResizeMode = 'stretch'): Promise<DecodedPixels> {
  const { name, width, height } = await checkedImage(bytes);
  try {
    // One decode per file. It stops at the smallest size both outputs can be made from (shrink-on-load: libjpeg's
    // DCT scaling, libwebp's scaled decode) and keeps any alpha; the thumbnail and the model input are then
    // resized from those raw pixels to the sizes, crops and borders sharp gave them when each was made from the
    // file (alpha flattened on black by the JPEG encoder for the thumbnail, dropped for the model). Decoding the
    // file once for each output cost about a third more CPU time per image. Multi-frame files (animated GIF, WebP)
    // decode their first frame only: sharp's default.
    const plan = planDecode(width, height, inputSize, resizeMode);
    let file = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS }).rotate();
    if (plan.decode.width < width || plan.decode.height < height) file = file.resize(plan.decode.width, plan.decode.height, { fit: 'fill' });
    const decoded = await file.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels } };
    const { model } = plan;
    let input = sharp(decoded.data, raw).resize(model.width, model.height, { fit: 'fill' });
    if (model.crop) input = input.extract(model.crop);
    if (model.border) input = input.extend({ ...model.border, background: { r: 0, g: 0, b: 0 } });
    const asDecoded = plan.thumbnail.width === decoded.info.width && plan.thumbnail.height === decoded.info.height;
    const thumbnailPixels = asDecoded ? sharp(decoded.data, raw) : sharp(decoded.data, raw).resize(plan.thumbnail.width, plan.thumbnail.height, { fit: 'fill' });
    const [thumbnail, pixels] = await Promise.all([
      thumbnailPixels.jpeg(THUMBNAIL_JPEG).toBuffer(),
      input.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }),
    ]);
    if (pixels.info.channels !== 3) throw new Error(`decoded to ${pixels.info.channels} channels instead of 3`);
    return { width, height, thumbnail, pixels: pixels.data };
  } catch (err) {
    throw new Error(`Could not decode this ${name} file: ${libvipsReason(err)}`);
  }
}

interface Size {
  width: number;
  height: number;
}

/**
 * What every decode checks first, from the bytes and the header only: a format sharp can read, and a pixel count
 * under the limit. Returns the format's name and the upright size; throws an Error that says what is wrong.
 */
async function checkedImage(bytes: Buffer): Promise<Size & { name: string }> {
  const format = sniffFormat(bytes.subarray(0, SNIFF_BYTES));
  if (!format) {
    throw new Error(
      bytes.length === 0 ? 'Empty file' : 'Not an image: the content is not JPEG, PNG, WebP, GIF, TIFF, BMP, AVIF or HEIF',
    );
  }
  const unsupported = unsupportedReason(format);
  if (unsupported) throw new Error(unsupported);
  const name = format.toUpperCase();
  const { width, height, stored } = await headerSize(bytes, format === 'jpeg', name);
  const claimed = stored.width * stored.height;
  if (claimed > MAX_INPUT_PIXELS) {
    throw new Error(
      `Too large to decode: ${stored.width}×${stored.height} pixels (${Math.round(claimed / 1e6)} megapixels) ` +
        `is over the ${MAX_INPUT_PIXELS / 1e6}-megapixel limit`,
    );
  }
  return { name, width, height };
}

/**
 * The upright size and the stored size (one frame's) from the header only: nothing is decoded yet, whatever
 * size the file claims. A JPEG's header is read in JavaScript (jpeg-header.ts) when it holds no surprise;
 * everything else asks libvips.
 */
async function headerSize(bytes: Buffer, jpeg: boolean, name: string): Promise<Size & { stored: Size }> {
  const header = jpeg ? readJpegHeader(bytes) : null;
  if (header) {
    const { width, height, orientation } = header;
    // Orientations 5–8 turn the picture a quarter.
    return orientation >= 5 ? { width: height, height: width, stored: { width, height } } : { width, height, stored: { width, height } };
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new Error(`Could not decode this ${name} file: ${libvipsReason(err)}`);
  }
  return { ...meta.autoOrient, stored: { width: meta.width ?? 0, height: meta.pageHeight ?? meta.height ?? 0 } };
}

/** How one upright image becomes its thumbnail and its model input, from a single decode. */
export interface DecodePlan {
  /** The size it is decoded at: the whole picture, no larger than the file, never smaller than either output needs. */
  decode: Size;
  /** The thumbnail: the decode itself when it is within THUMBNAIL_LIMIT², else the picture within THUMBNAIL_SIZE², never enlarged. */
  thumbnail: Size;
  /** The picture resized to width × height, then `crop` taken (centre-crop) or `border` added (letterbox). */
  model: Size & {
    crop?: { left: number; top: number; width: number; height: number };
    border?: { left: number; top: number; right: number; bottom: number };
  };
}

/**
 * Sizes, crop and border as sharp computes them for resize(…, { fit: 'inside', withoutEnlargement }) (thumbnail)
 * and for the model's fit 'fill', 'cover' or 'contain' with centre gravity (its ResolveShrink, CalculateCrop and
 * CalculateEmbedPosition), so that outputs made from the smaller decode have exactly the geometry they had when
 * sharp made each from the file.
 */
export function planDecode(width: number, height: number, inputSize: number, resizeMode: ResizeMode): DecodePlan {
  // libvips' resize rounds side × (1 / shrink) half up (VIPS_ROUND_UINT).
  const fitted = (shrink: number): Size => ({
    width: Math.max(1, Math.floor(width * (1 / shrink) + 0.5)),
    height: Math.max(1, Math.floor(height * (1 / shrink) + 0.5)),
  });
  const thumbnail = fitted(Math.max(1, width / THUMBNAIL_SIZE, height / THUMBNAIL_SIZE));
  const n = inputSize;
  let model: DecodePlan['model'];
  if (resizeMode === 'centre-crop') {
    const resized = fitted(Math.min(width / n, height / n));
    const crop = { left: (resized.width - n + 1) >> 1, top: (resized.height - n + 1) >> 1, width: n, height: n };
    model = { ...resized, crop };
  } else if (resizeMode === 'letterbox') {
    const resized = fitted(Math.max(width / n, height / n));
    const left = (n - resized.width) >> 1;
    const top = (n - resized.height) >> 1;
    model = { ...resized, border: { left, top, right: n - resized.width - left, bottom: n - resized.height - top } };
  } else {
    model = { width: n, height: n };
  }
  // Uniform, so the picture keeps its proportions; rounded up, so neither output is enlarged.
  const scale = Math.min(1, Math.max(Math.max(thumbnail.width, model.width) / width, Math.max(thumbnail.height, model.height) / height));
  const decode = scale === 1 ? { width, height } : { width: Math.ceil(width * scale - 1e-9), height: Math.ceil(height * scale - 1e-9) };
  const ownThumbnail = Math.max(decode.width, decode.height) <= THUMBNAIL_LIMIT;
  return { decode, thumbnail: ownThumbnail ? decode : thumbnail, model };
}

/** Reads and decodes a file; throws an Error whose message says, for a person, why it cannot be used. */
export async function decodeImage(file: string, inputSize: number, resizeMode: ResizeMode = 'stretch'): Promise<DecodedImage> {
  const { bytes, contentHash } = await readImageFile(file);
  return { contentHash, ...(await decodeImageBytes(bytes, inputSize, resizeMode)) };
}

/**
 * The photo for the gallery's full view: upright, no larger than DISPLAY_SIZE on its longest side, as a JPEG,
 * after the same size, format and pixel checks as the import (a large JPEG is shrunk while it is decoded).
 */
export async function imageForDisplay(file: string): Promise<Buffer> {
  const { bytes } = await readImageFile(file);
  const { name } = await checkedImage(bytes);
  try {
    return await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .resize(DISPLAY_SIZE, DISPLAY_SIZE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 90 })
      .toBuffer();
  } catch (err) {
    throw new Error(`Could not decode this ${name} file: ${libvipsReason(err)}`);
  }
}

const megabytes = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MB`;

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
