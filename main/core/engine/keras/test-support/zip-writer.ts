// A zip archive of stored (uncompressed) files, as Python's zipfile writes a `.keras` file by default: local
// headers, the central directory and its end record, with CRC-32s.
import { crc32 } from 'node:zlib';

export function storedZip(files: { name: string; bytes: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const directory: Uint8Array[] = [];
  let offset = 0;
  for (const { name, bytes } of files) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(bytes);
    const local = header(30, [[0, 0x04034b50, 4], [4, 20, 2], [14, crc, 4], [18, bytes.length, 4], [22, bytes.length, 4], [26, nameBytes.length, 2]]);
    const central = header(46, [
      [0, 0x02014b50, 4], [4, 20, 2], [6, 20, 2], [16, crc, 4], [20, bytes.length, 4], [24, bytes.length, 4],
      [28, nameBytes.length, 2], [42, offset, 4],
    ]);
    parts.push(local, nameBytes, bytes);
    directory.push(central, nameBytes);
    offset += local.length + nameBytes.length + bytes.length;
  }
  const directorySize = directory.reduce((sum, part) => sum + part.length, 0);
  const end = header(22, [[0, 0x06054b50, 4], [8, files.length, 2], [10, files.length, 2], [12, directorySize, 4], [16, offset, 4]]);
  return Buffer.concat([...parts, ...directory, end]);
}

/** A little-endian record of `size` bytes with [offset, value, width] fields, the rest zero. */
function header(size: number, fields: [number, number, 2 | 4][]): Uint8Array {
  const view = new DataView(new ArrayBuffer(size));
  for (const [at, value, width] of fields) {
    if (width === 2) view.setUint16(at, value, true);
    else view.setUint32(at, value >>> 0, true);
  }
  return new Uint8Array(view.buffer);
}
