// Recognises an image format from a file's first bytes, so a misnamed file gets a precise reason.
import sharp from 'sharp';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'bmp' | 'avif' | 'heif';

/** How many leading bytes `sniffFormat` needs. */
export const SNIFF_BYTES = 16;

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

export function sniffFormat(head: Uint8Array): ImageFormat | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(0, 2) === 'BM') return 'bmp';
  if (ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (HEIF_BRANDS.has(brand)) return 'heif';
  }
  return null;
}

/** Why sharp cannot read this format, or null when it can try. */
export function unsupportedReason(format: ImageFormat): string | null {
  // sharp files AVIF under its 'heif' loader; HEIC needs that loader built with an HEVC decoder, which the
  // prebuilt sharp leaves out (its heif loader then lists only .avif).
  const loader = format === 'avif' ? 'heif' : format;
  const info = Object.entries(sharp.format).find(([name]) => name === loader)?.[1];
  const hevc = format !== 'heif' || (info?.input.fileSuffix ?? []).includes('.heic');
  if (info?.input.buffer && hevc) return null;
  return format === 'heif'
    ? 'HEIC/HEIF images are not supported by this build of sharp (no HEVC decoder); convert them to JPEG first'
    : `${format.toUpperCase()} images are not supported by this build of sharp (libvips)`;
}
