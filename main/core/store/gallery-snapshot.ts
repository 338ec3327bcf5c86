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
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { LIBRARY_FILE_MODE } from './database';
import type { ColumnData } from './gallery-index';

/** Raised whenever ColumnData changes shape: a file of another version is ignored. */
const VERSION = 1;
const MAGIC = 'sightline-gallery';

/** The library file as it is on disk, taken while no connection writes it; bigints as strings. */
export interface FileStamp {
  size: string;
  mtimeNs: string;
  ino: string;
}

interface Header {
  magic: string;
  version: number;
  stamp: FileStamp;
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
 * The columns saved beside the library, when they were saved from the file as it is now (`stamp`, taken before
 * this process opened it); otherwise null, and a saved file that no longer matches is removed.
 */
export function readSnapshot(library: string, stamp: FileStamp | null): ColumnData | null {
  const file = snapshotFile(library);
  if (!existsSync(file)) return null;
  try {
    const bytes = readFileSync(file);
    const headerLength = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as Header;
    const same = stamp !== null && header.magic === MAGIC && header.version === VERSION && sameStamp(header.stamp, stamp);
    if (same) return deserialize(bytes.subarray(4 + headerLength)) as ColumnData;
  } catch {
    // Unreadable (cut short, another format): removed below, and the dataset is read from the library.
  }
  rmSync(file, { force: true });
  return null;
}

/**
 * Saves the columns beside the library, once every connection of this process has closed it; false (and no file)
 * when the library has a WAL with commits, that is another program still has it open. A write that fails costs
 * only the speed-up.
 */
export function writeSnapshot(library: string, data: ColumnData): boolean {
  const file = snapshotFile(library);
  try {
    const stamp = fileStamp(library);
    if (!stamp) {
      rmSync(file, { force: true });
      return false;
    }
    const header = Buffer.from(JSON.stringify({ magic: MAGIC, version: VERSION, stamp } satisfies Header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length, 0);
    const partial = `${file}.partial`;
    writeFileSync(partial, Buffer.concat([length, header, serialize(data)]), { mode: LIBRARY_FILE_MODE });
    renameSync(partial, file);
    return true;
  } catch {
    rmSync(file, { force: true });
    return false;
  }
}

const sameStamp = (a: FileStamp, b: FileStamp): boolean => a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;
