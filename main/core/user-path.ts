// A path a person typed (the CLI, the browser mode's path field): `~` and `~/…` mean their home folder, as in a
// shell, not a folder named `~` under the server's working folder.
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../common/errors';

export function expandHome(input: string, home: string = os.homedir()): string {
  if (input === '~') return home;
  if (input.startsWith('~/') || (path.sep === '\\' && input.startsWith('~\\'))) return path.join(home, input.slice(2));
  return input;
}

/** Absolute with `~` expanded; a relative path is relative to this process's working folder (the CLI's). */
export function resolveUserPath(input: string): string {
  return path.resolve(expandHome(input));
}

/** The folder a person named, absolute; a UserError that says what is there instead when it is not a readable folder. */
export async function userFolder(input: string): Promise<string> {
  const folder = resolveUserPath(input);
  const info = await stat(folder).catch((err: NodeJS.ErrnoException) => err);
  if (info instanceof Error) {
    if (info.code === 'ENOENT' || info.code === 'ENOTDIR') throw new UserError(`There is no folder ${folder}`, 404);
    if (info.code === 'EACCES' || info.code === 'EPERM') throw new UserError(`Permission denied: this account may not open ${folder}`);
    throw new UserError(`${folder} cannot be opened: ${info.message}`);
  }
  if (!info.isDirectory()) throw new UserError(`${folder} is a file, not a folder: choose the folder that holds the photos`);
  return folder;
}
