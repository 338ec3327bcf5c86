// Reads the files of one folder without ever leaving it. A name from a model's own files (a weight shard, a
// labels file) is resolved to its real path, which must lie inside the folder's real path: `../x`, an absolute
// path or a symlink out is refused. Only regular files are read (a FIFO or a device such as /dev/zero would
// block or never end a synchronous read), and each file's size is checked against a limit before a byte is read.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';

/** A file that passed the checks: where it really is and how big it was. */
export interface ConfinedFile {
  real: string;
  size: number;
}

// Where the platform has them: never follow a link swapped in after the checks, never wait on a FIFO.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export class ConfinedFolder {
  private constructor(
    /** The folder as the caller named it (messages say this). */
    readonly dir: string,
    readonly realDir: string,
  ) {}

  static open(dir: string): ConfinedFolder {
    let realDir: string;
    try {
      realDir = realpathSync(dir);
    } catch {
      throw new Error(`Model folder ${dir} does not exist`);
    }
    if (!statSync(realDir).isDirectory()) throw new Error(`Model folder ${dir} is not a folder`);
    return new ConfinedFolder(dir, realDir);
  }

  /**
   * The file `name` (relative to the folder), checked: inside the folder, a regular file, at most `maxBytes`.
   * Null when nothing is there. `what` names the file in messages, e.g. "Weight shard a.bin named in model.json".
   */
  locate(name: string, maxBytes: number, what: string): ConfinedFile | null {
    const lexical = path.resolve(this.realDir, name);
    if (!isInside(this.realDir, lexical)) throw new Error(`${what} is outside the model folder ${this.dir}`);
    let real: string;
    try {
      real = realpathSync(lexical);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`${what} cannot be resolved: ${(error as Error).message}`);
    }
    if (!isInside(this.realDir, real)) throw new Error(`${what} is a link to ${real}, outside the model folder ${this.dir}`);
    return { real, size: checkedSize(statSync(real), maxBytes, what) };
  }

  /** The bytes of `name` (see locate); throws `missing` when it is not there. */
  read(name: string, maxBytes: number, what: string, missing = `${what} does not exist`): Buffer {
    const file = this.locate(name, maxBytes, what);
    if (!file) throw new Error(missing);
    return readChecked(file.real, maxBytes, what);
  }
}

/** The bytes of a file already located: checked again on the open descriptor, in case it changed since. */
export function readChecked(real: string, maxBytes: number, what: string): Buffer {
  const fd = openSync(real, OPEN_FLAGS);
  try {
    const size = checkedSize(fstatSync(fd), maxBytes, what);
    const bytes = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const count = readSync(fd, bytes, filled, size - filled, null);
      if (count === 0) break;
      filled += count;
    }
    return filled === size ? bytes : bytes.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

function checkedSize(stats: Stats, maxBytes: number, what: string): number {
  if (!stats.isFile()) throw new Error(`${what} is ${kindOf(stats)}, not a regular file`);
  if (stats.size > maxBytes) {
    throw new Error(`${what} is ${describeBytes(stats.size)} (${stats.size} bytes); Sightline reads at most ${describeBytes(maxBytes)} (${maxBytes} bytes)`);
  }
  return stats.size;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

export function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

export function describeBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}
