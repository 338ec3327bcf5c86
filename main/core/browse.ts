// The server-side folder browser (the browser mode's picker): one folder's subfolders, each with the number of
// photos in it and below; for the model picker, its subfolders and model files with the models marked; for the
// labels picker, its subfolders and the .json and .txt files small enough to be a list of class names.
// Photo counts stop at a file limit and a time limit, so a home folder with a large tree answers at once.
import type { Dirent } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../common/errors';
import type { CallInput } from '../../common/contract';
import type { BrowseEntry, BrowseResult, ModelFormat } from '../../common/types';
import { LABELS_FILE_MAX_BYTES } from './models/setup';
import { hasImageExtension } from './scan/walk';
import { expandHome } from './user-path';

export interface BrowseRequest {
  /** Absolute, or starting with `~`; default: the home folder. */
  path?: string;
  show?: CallInput<'browse'>['show'];
}

export interface BrowseLimits {
  /** Default: this account's home folder. */
  home?: string;
  /** Folders and models the library used lately, newest first; those gone are left out. */
  recent?: readonly string[];
  /** Directory entries one folder's photo count may look at before it stops (photoCountCapped). */
  fileLimit?: number;
  /** Time all photo counts of one listing may take together, in milliseconds. */
  timeLimitMs?: number;
}

const FILE_LIMIT = 20_000;
const TIME_LIMIT_MS = 1_500;
/** How much of a model.json is read to tell a graph model from a layers model. */
const MODEL_JSON_HEAD = 64 * 1024;
const MODEL_FILES: Record<string, ModelFormat> = { '.onnx': 'onnx', '.h5': 'keras-h5', '.keras': 'keras-v3' };
const LABELS_EXTENSIONS = new Set(['.json', '.txt']);

export async function browse(request: BrowseRequest, limits: BrowseLimits = {}): Promise<BrowseResult> {
  const home = limits.home ?? os.homedir();
  const folder = await listableFolder(request.path, home);
  const dirents = await readdir(folder, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(err.code === 'EACCES' || err.code === 'EPERM' ? `Permission denied: this account may not list ${folder}` : `${folder} cannot be listed: ${err.message}`);
  });
  const show = request.show ?? 'folders';
  const deadline = performance.now() + (limits.timeLimitMs ?? TIME_LIMIT_MS);
  const fileLimit = limits.fileLimit ?? FILE_LIMIT;

  const visible = dirents.filter((d) => !d.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const entries = await Promise.all(
    visible.map(async (dirent): Promise<BrowseEntry | null> => {
      const full = path.join(folder, dirent.name);
      if (await isFolder(dirent, full)) {
        if (show === 'labels') return { name: dirent.name, path: full, kind: 'folder' };
        if (show === 'models') {
          const model = await modelFolderFormat(full);
          return { name: dirent.name, path: full, kind: 'folder', ...(model ? { model } : {}) };
        }
        const { count, capped } = await countPhotos(full, fileLimit, deadline);
        return { name: dirent.name, path: full, kind: 'folder', photoCount: count, ...(capped ? { photoCountCapped: true } : {}) };
      }
      if (!dirent.isFile()) return null;
      const extension = path.extname(dirent.name).toLowerCase();
      if (show === 'labels') return LABELS_EXTENSIONS.has(extension) ? labelsFileEntry(dirent.name, full) : null;
      const model = MODEL_FILES[extension];
      return show === 'models' && model ? { name: dirent.name, path: full, kind: 'file', model } : null;
    }),
  );
  const parent = path.dirname(folder);
  return {
    path: folder,
    parent: parent === folder ? null : parent,
    home,
    entries: entries.filter((e): e is BrowseEntry => e !== null),
    recent: await existing(limits.recent ?? []),
  };
}

/** The folder to list: absolute (after `~`), present and a folder, else a UserError that says which. */
async function listableFolder(requested: string | undefined, home: string): Promise<string> {
  const expanded = expandHome(requested ?? '~', home);
  if (!path.isAbsolute(expanded)) {
    throw new UserError(`${requested} is a relative path: give a full path such as ${path.join(home, 'photos')}, or start with ~ for the home folder`);
  }
  const folder = path.resolve(expanded);
  const info = await stat(folder).catch((err: NodeJS.ErrnoException) => err);
  if (info instanceof Error) {
    if (info.code === 'ENOENT' || info.code === 'ENOTDIR') throw new UserError(`There is no folder ${folder}`, 404);
    throw new UserError(`${folder} cannot be opened: ${info.message}`);
  }
  if (!info.isDirectory()) throw new UserError(`${folder} is a file, not a folder`);
  return folder;
}

/** A folder, or a symbolic link to one (the import resolves links at its root, as here). */
async function isFolder(dirent: Dirent, full: string): Promise<boolean> {
  if (dirent.isDirectory()) return true;
  if (!dirent.isSymbolicLink()) return false;
  return (await stat(full).catch(() => null))?.isDirectory() ?? false;
}

/**
 * Image files in the folder and below, by extension, as the import's walk finds them: hidden entries skipped,
 * links inside not followed. Stops after `fileLimit` entries or at the deadline, then says it is capped.
 */
async function countPhotos(root: string, fileLimit: number, deadline: number): Promise<{ count: number; capped: boolean }> {
  const queue = [root];
  let count = 0;
  let seen = 0;
  while (queue.length > 0) {
    if (seen >= fileLimit || performance.now() > deadline) return { count, capped: true };
    const dir = queue.shift()!;
    const dirents = await readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[]);
    for (const dirent of dirents) {
      if (dirent.name.startsWith('.')) continue;
      if (++seen > fileLimit) return { count, capped: true };
      if (dirent.isDirectory()) queue.push(path.join(dir, dirent.name));
      else if (dirent.isFile() && hasImageExtension(dirent.name)) count++;
    }
  }
  return { count, capped: false };
}

/** A .json or .txt file with its size; left out when it is too large to be a labels file (see readLabelsFile). */
async function labelsFileEntry(name: string, full: string): Promise<BrowseEntry | null> {
  const info = await stat(full).catch(() => null);
  return info && info.size <= LABELS_FILE_MAX_BYTES ? { name, path: full, kind: 'file', bytes: info.size } : null;
}

/** A folder Sightline can open as a model: model.onnx, or a TF.js model.json (graph or layers). */
async function modelFolderFormat(folder: string): Promise<ModelFormat | null> {
  if ((await stat(path.join(folder, 'model.onnx')).catch(() => null))?.isFile()) return 'onnx';
  const head = await readHead(path.join(folder, 'model.json'), MODEL_JSON_HEAD);
  if (head === null) return null;
  // The converter writes `format` first for graph models; without it, a GraphDef's topology starts with its node list.
  return /"format"\s*:\s*"graph-model"/.test(head) || /"modelTopology"\s*:\s*\{\s*"node"\s*:/.test(head) ? 'tfjs-graph' : 'tfjs-layers';
}

async function readHead(file: string, bytes: number): Promise<string | null> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    if (!(await handle.stat()).isFile()) return null;
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

async function existing(paths: readonly string[]): Promise<string[]> {
  const unique = [...new Set(paths)];
  const present = await Promise.all(unique.map(async (p) => (await stat(p).catch(() => null)) !== null));
  return unique.filter((_, i) => present[i]);
}
