// Lists the candidate image files under a folder.
import { open, lstat } from 'node:fs/promises';
import path from 'node:path';
import { fdir } from 'fdir';
import { SNIFF_BYTES, sniffFormat } from './sniff';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.bmp', '.avif', '.heic', '.heif']);
/** Whether a file name has one of the extensions the walk takes as an image without sniffing it. */
export function hasImageExtension(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}
/** lstat and sniff calls in flight at once. */
const STAT_CONCURRENCY = 32;

export interface FoundFile {
  /** Relative to the root, with '/' separators on every platform. */
  relPath: string;
  size: number;
  mtimeMs: number;
}

/**
 * Image files under `root`, recursively, in a stable order: files with an image extension, and files with
 * any other name whose first bytes are an image format's. Hidden files and folders are skipped, and symbolic
 * links are not followed (a link could leave the folder or loop). Rejects with an AbortError when `signal` fires.
 */
export async function walkImages(root: string, signal?: AbortSignal): Promise<FoundFile[]> {
  const crawler = new fdir({ excludeSymlinks: true })
    .withRelativePaths()
    .withPathSeparator('/')
    .exclude((dirName) => dirName.startsWith('.'))
    .filter((file) => !path.posix.basename(file).startsWith('.'));
  const relPaths = await (signal ? crawler.withAbortSignal(signal) : crawler).crawl(root).withPromise();
  signal?.throwIfAborted();
  relPaths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const found: (FoundFile | null)[] = new Array(relPaths.length).fill(null);
  for (let start = 0; start < relPaths.length; start += STAT_CONCURRENCY) {
    signal?.throwIfAborted();
    await Promise.all(
      relPaths.slice(start, start + STAT_CONCURRENCY).map(async (relPath, offset) => {
        found[start + offset] = await candidate(root, relPath);
      }),
    );
  }
  return found.filter((f): f is FoundFile => f !== null);
}

/** The file when it may be an image; null when it is gone, not a plain file, or plainly something else. */
async function candidate(root: string, relPath: string): Promise<FoundFile | null> {
  const full = path.join(root, relPath);
  const stat = await lstat(full).catch(() => null);
  if (!stat?.isFile()) return null;
  const file = { relPath, size: stat.size, mtimeMs: stat.mtimeMs };
  if (hasImageExtension(relPath)) return file;
  return (await looksLikeImage(full)) ? file : null;
}

async function looksLikeImage(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return sniffFormat(head.subarray(0, bytesRead)) !== null;
  } finally {
    await handle.close();
  }
}
