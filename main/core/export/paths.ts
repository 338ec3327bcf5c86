// The files of a selection (the flagged photos, a filtered view) for retraining: a text list of absolute paths,
// or a folder of symbolic links that mirrors the dataset's subfolders (so class folders stay class folders).
import { lstat, mkdir, readlink, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../../common/errors';
import { csvFileName } from './csv';
import { resolveUserPath } from '../user-path';

/** One absolute path a line, in the order given, ending with a newline. */
export function pathList(rootPath: string, relPaths: readonly string[]): string {
  return relPaths.map((relPath) => `${path.join(rootPath, relPath)}\n`).join('');
}

export const pathListFileName = (datasetName: string, runId: number | null): string => csvFileName(datasetName, runId, 'paths.txt');

/**
 * Makes `dir` (created when missing; `~` is the home folder) hold a link to each photo at its relative path.
 * Nothing is overwritten: a link already pointing at the photo is kept, anything else in a link's place stops
 * the export with its name. Returns the folder and how many links it has for these photos.
 */
export async function linkFolder(dir: string, rootPath: string, relPaths: readonly string[]): Promise<{ dir: string; count: number }> {
  const target = resolveUserPath(dir);
  const existing = await lstat(target).catch(() => null);
  if (existing && !existing.isDirectory()) throw new UserError(`${target} is a file, not a folder: name a new or empty folder for the links`);
  if (isInside(target, rootPath)) throw new UserError(`${target} is inside the dataset's folder: the links would be imported as photos next time; choose a folder outside ${rootPath}`);
  await mkdir(target, { recursive: true });
  if (existing && (await readdir(target)).length > 0 && !(await holdsOnlyOurLinks(target, rootPath))) {
    throw new UserError(`${target} already holds other files: name a new or empty folder for the links`);
  }
  for (const relPath of relPaths) {
    const photo = path.join(rootPath, relPath);
    const link = path.join(target, relPath);
    await mkdir(path.dirname(link), { recursive: true });
    const current = await readlink(link).catch((error: NodeJS.ErrnoException) => error);
    if (typeof current === 'string' && current === photo) continue;
    if (!(current instanceof Error) || current.code !== 'ENOENT') throw new UserError(`${link} is already there and is not a link to ${photo}`);
    await symlink(photo, link);
  }
  return { dir: target, count: relPaths.length };
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** A folder an earlier export made: only subfolders and links into the dataset (an export again adds to it). */
async function holdsOnlyOurLinks(folder: string, rootPath: string): Promise<boolean> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      if (!(await holdsOnlyOurLinks(full, rootPath))) return false;
    } else if (!entry.isSymbolicLink() || !isInside(await readlink(full), rootPath)) return false;
  }
  return true;
}
