// Reads named files out of a zip archive (a Keras 3 `.keras` file is one), within limits: the archive's central
// directory says where each file is and how large it is, sizes are checked before anything is inflated, inflating
// stops at the declared size, and each file's CRC-32 is checked. Stored and deflated files; no zip64, no encryption.
import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const MAX_ENTRIES = 100_000;
const STORED = 0;
const DEFLATED = 8;

/** The archive's files by name. */
export function zipEntries(bytes: Uint8Array, what: string): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const end = findEndOfCentralDirectory(view);
  if (end < 0) throw new Error(`${what} is not a zip archive (no end of central directory record)`);
  const count = view.getUint16(end + 10, true);
  const directoryOffset = view.getUint32(end + 16, true);
  if (count === 0xffff || directoryOffset === 0xffffffff) throw new Error(`${what} is a zip64 archive, which Sightline does not read`);
  if (count > MAX_ENTRIES) throw new Error(`${what} lists ${count} files, more than a model archive holds`);
  const entries = new Map<string, ZipEntry>();
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL_FILE_HEADER) {
      throw new Error(`${what} is damaged: its zip directory is cut short or overwritten`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const entry: ZipEntry = {
      name: new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      method: view.getUint16(at + 10, true),
      crc: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    entries.set(entry.name, entry);
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return entries;
}

/** One file's bytes; refused when it declares more than `maxBytes`. */
export function zipFile(bytes: Uint8Array, entry: ZipEntry, maxBytes: number, what: string): Uint8Array {
  const where = `${entry.name} in ${what}`;
  if (entry.size > maxBytes) throw new Error(`${where} is ${entry.size} bytes, more than the ${maxBytes} bytes allowed`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const header = entry.localHeaderOffset;
  if (header + 30 > bytes.length || view.getUint32(header, true) !== LOCAL_FILE_HEADER) {
    throw new Error(`${where} is damaged: its local header is missing`);
  }
  const start = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
  if (start + entry.compressedSize > bytes.length) throw new Error(`${where} is cut short: the archive is truncated`);
  const stored = bytes.subarray(start, start + entry.compressedSize);
  let content: Uint8Array;
  if (entry.method === STORED) {
    content = stored;
  } else if (entry.method === DEFLATED) {
    try {
      content = inflateRawSync(stored, { maxOutputLength: Math.max(entry.size, 1) });
    } catch (error) {
      throw new Error(`${where} could not be inflated: ${(error as Error).message}`);
    }
  } else {
    throw new Error(`${where} is compressed with zip method ${entry.method}; Sightline reads stored and deflated files`);
  }
  if (content.length !== entry.size || crc32(content) !== entry.crc) {
    throw new Error(`${where} is damaged: its size or CRC-32 does not match the archive's directory`);
  }
  return content;
}

/** The record sits at the end, after a comment of at most 65535 bytes. */
function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - 22;
  for (let at = last; at >= 0 && at >= last - 0xffff; at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY) return at;
  }
  return -1;
}
