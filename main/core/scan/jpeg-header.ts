// The size and EXIF orientation of a JPEG, read from its header in JavaScript. The import needs both before
// it decodes (to plan one decode for the thumbnail and the model input); asking libvips (sharp's metadata())
// cost 0.26–0.32 ms of CPU per photo, reading the header here 0.004 ms. Anything this reader does not expect
// gives null, and the caller asks libvips, whose answer and errors stay the rule.

export interface JpegHeader {
  /** As stored, before EXIF orientation. */
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1 when the file has none). */
  orientation: number;
}

/** Start-of-frame markers: baseline, extended, progressive and lossless, Huffman or arithmetic coded. */
const START_OF_FRAME = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const START_OF_SCAN = 0xda;
const APP1 = 0xe1;
const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

export function readJpegHeader(bytes: Uint8Array): JpegHeader | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let offset = 2;
  let size: { width: number; height: number } | null = null;
  let orientation: number | null = null;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1];
    // Fill bytes before a marker.
    if (marker === 0xff) {
      offset++;
      continue;
    }
    if (marker === START_OF_SCAN) return size && { ...size, orientation: orientation ?? 1 };
    // Markers without a length (another SOI, TEM, restarts) or the end of the image before any scan.
    if (marker === 0xd8 || marker === 0xd9 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) return null;
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    if (length < 2 || offset + 2 + length > bytes.length) return null;
    const segment = bytes.subarray(offset + 4, offset + 2 + length);
    if (marker === APP1 && startsWith(segment, 'Exif')) {
      // One Exif block with a readable orientation; a second one is left to libvips.
      if (orientation !== null) return null;
      orientation = exifOrientation(segment);
      if (orientation === null) return null;
    } else if (START_OF_FRAME.has(marker)) {
      if (size || segment.length < 6) return null;
      const height = (segment[1] << 8) | segment[2];
      const width = (segment[3] << 8) | segment[4];
      // A height of 0 is defined later (DNL marker): libvips' business.
      if (width === 0 || height === 0) return null;
      size = { width, height };
    }
    offset += 2 + length;
  }
  return null;
}

/** The orientation in IFD0 of an APP1 Exif segment: 1 when absent, null when unreadable or not 1–8. */
function exifOrientation(segment: Uint8Array): number | null {
  if (segment.length < 14 || segment[4] !== 0 || segment[5] !== 0) return null;
  const tiff = segment.subarray(6);
  const little = startsWith(tiff, 'II');
  if (!little && !startsWith(tiff, 'MM')) return null;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  if (view.getUint16(2, little) !== 42) return null;
  const ifd = view.getUint32(4, little);
  if (ifd < 8 || ifd + 2 > tiff.length) return null;
  const entries = view.getUint16(ifd, little);
  if (ifd + 2 + entries * 12 > tiff.length) return null;
  for (let entry = 0; entry < entries; entry++) {
    const at = ifd + 2 + entry * 12;
    if (view.getUint16(at, little) !== ORIENTATION_TAG) continue;
    if (view.getUint16(at + 2, little) !== SHORT || view.getUint32(at + 4, little) !== 1) return null;
    const value = view.getUint16(at + 8, little);
    return value >= 1 && value <= 8 ? value : null;
  }
  return 1;
}

function startsWith(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}
