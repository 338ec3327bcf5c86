// The gallery's columns kept on disk between two runs of the app, beside the library (`library.db-gallery`), so
// that a large dataset shows its first page as the app starts instead of after its read: a million photos take
// 4–6 s to read from the library, 0.1 s from this file.
//
// When it is trusted: it is written when the library closes, after the last connection is gone (SQLite has then
// moved every commit into the database file and removed the WAL), with the database file's size, modification
// time (nanoseconds) and inode. It is used only when the file is the same on the next start, before any connection
// opens it, and no WAL holds commits. Any write in between, by Sightline or any other program, changes the file.
// Even then the service reads the dataset again in its worker as before and uses that read when it arrives, so
// that a write slipped in while the app closed is shown a few seconds later, never kept.
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { LIBRARY_FILE_MODE } from './database';
import type { DatasetSummary } from '../../../common/types';
import type { ColumnData } from './gallery-index';

/**
 * Raised whenever Snapshot changes shape or what its columns mean: a file of another version is ignored. 4: the truth
 * facet names each run's truth with its own model's class names (e4e5f38), not the label the first model gave.
 */
const VERSION = 4;
const MAGIC = 'sightline-gallery';

/** The library file as it is on disk, taken while no connection writes it; bigints as strings. */
export interface FileStamp {
  size: string;
  mtimeNs: string;
  ino: string;
}

/** What is saved: one dataset's columns, and the dataset list as it was (counted, labels read) when it was current. */
export interface Snapshot extends SavedColumns {
  listing: DatasetSummary[] | null;
}

/** A dataset's columns and its run's "suggested for review" score (which takes a count of the run's metrics to find). */
export interface SavedColumns {
  columns: ColumnData;
  threshold: number | null;
}

interface Header {
  magic: string;
  version: number;
  stamp: FileStamp;
  /** The snapshot as JSON, each typed array replaced by its place in `arrays`. */
  body: string;
  arrays: ArrayPlace[];
  /** The length of the arrays' bytes, which start after the header at the next multiple of 8. */
  bytes: number;
}

export const snapshotFile = (library: string): string => `${library}-gallery`;

/** The library file's stamp; null when it is missing or a WAL beside it holds commits not yet in the file. */
export function fileStamp(library: string): FileStamp | null {
  const wal = `${library}-wal`;
  if (!existsSync(library) || (existsSync(wal) && statSync(wal).size > 0)) return null;
  const { size, mtimeNs, ino } = statSync(library, { bigint: true });
  return { size: String(size), mtimeNs: String(mtimeNs), ino: String(ino) };
}

/**
 * What was saved beside the library, when it was saved from the file as it is now (`stamp`, taken before this
 * process opened it); otherwise null, and a saved file that no longer matches is removed. The arrays are views on
 * the bytes read, not copies: a million photos' columns read in about 0.1 s.
 */
export function readSnapshot(library: string, stamp: FileStamp | null): Snapshot | null {
  const file = snapshotFile(library);
  if (!existsSync(file)) return null;
  try {
    const fd = openSync(file, 'r');
    try {
      const prefix = Buffer.alloc(4);
      readSync(fd, prefix, 0, 4, 0);
      const headerBytes = Buffer.alloc(prefix.readUInt32LE(0));
      readSync(fd, headerBytes, 0, headerBytes.length, 4);
      const header = JSON.parse(headerBytes.toString('utf8')) as Header;
      if (stamp !== null && header.magic === MAGIC && header.version === VERSION && sameStamp(header.stamp, stamp)) {
        const start = alignUp(4 + headerBytes.length);
        const body = new ArrayBuffer(header.bytes);
        if (readSync(fd, new Uint8Array(body), 0, header.bytes, start) !== header.bytes) throw new Error('cut short');
        return restore(header.body, header.arrays, body) as Snapshot;
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    // Unreadable (cut short, another format): removed below, and the dataset is read from the library.
  }
  rmSync(file, { force: true });
  return null;
}

/**
 * Saves the snapshot beside the library, once every connection of this process has closed it; false (and no file)
 * when the library has a WAL with commits, that is another program still has it open. A write that fails costs
 * only the speed-up.
 */
export function writeSnapshot(library: string, snapshot: Snapshot): boolean {
  const file = snapshotFile(library);
  try {
    const stamp = fileStamp(library);
    if (!stamp) {
      rmSync(file, { force: true });
      return false;
    }
    const arrays: ArrayBufferView[] = [];
    const body = JSON.stringify(snapshot, (_key, value: unknown) => (ArrayBuffer.isView(value) ? { [ARRAY]: arrays.push(value) - 1 } : value));
    const placed: ArrayPlace[] = [];
    let bytes = 0;
    // Each array starts on an 8-byte boundary; `bytes` ends where the last one does, which is where the file ends
    // (a total rounded up past it, as before, made every snapshot whose last array has an odd length "cut short").
    for (const array of arrays) {
      const offset = alignUp(bytes);
      placed.push({ type: array.constructor.name as ArrayType, offset, length: array.byteLength / BYTES[array.constructor.name as ArrayType] });
      bytes = offset + array.byteLength;
    }
    const header = Buffer.from(JSON.stringify({ magic: MAGIC, version: VERSION, stamp, body, arrays: placed, bytes } satisfies Header), 'utf8');
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(header.length, 0);
    const partial = `${file}.partial`;
    const fd = openSync(partial, 'w', LIBRARY_FILE_MODE);
    try {
      writeSync(fd, prefix, 0, 4, 0);
      writeSync(fd, header, 0, header.length, 4);
      const start = alignUp(4 + header.length);
      arrays.forEach((array, i) => writeSync(fd, new Uint8Array(array.buffer, array.byteOffset, array.byteLength), 0, array.byteLength, start + placed[i].offset));
    } finally {
      closeSync(fd);
    }
    renameSync(partial, file);
    return true;
  } catch {
    rmSync(file, { force: true });
    return false;
  }
}

/** The typed arrays a snapshot holds, by constructor name, with their element sizes. */
const ARRAYS = { Int32Array, Uint8Array, Uint16Array, Float64Array } as const;
type ArrayType = keyof typeof ARRAYS;
const BYTES: Record<ArrayType, number> = { Int32Array: 4, Uint8Array: 1, Uint16Array: 2, Float64Array: 8 };
/** Where an array stands in the JSON body: `{ "$array": index }`. */
const ARRAY = '$array';

interface ArrayPlace {
  type: ArrayType;
  /** Bytes from the start of the arrays (a multiple of 8, so every view is aligned). */
  offset: number;
  length: number;
}

/** The body with each array put back, as a view on the bytes read. */
function restore(body: string, arrays: ArrayPlace[], bytes: ArrayBuffer): unknown {
  return JSON.parse(body, (_key, value: unknown) => {
    if (value === null || typeof value !== 'object' || !(ARRAY in value)) return value;
    const place = arrays[(value as Record<typeof ARRAY, number>)[ARRAY]];
    if (!(place.type in ARRAYS)) throw new Error(`Unknown array type ${place.type}`);
    return new ARRAYS[place.type](bytes, place.offset, place.length);
  });
}

const alignUp = (offset: number): number => Math.ceil(offset / 8) * 8;

const sameStamp = (a: FileStamp, b: FileStamp): boolean => a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;
