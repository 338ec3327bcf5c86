// Lists the candidate image files under a folder.
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.bmp', '.avif', '.heic', '.heif']);

export interface FoundFile {
  /** Relative to the root, with '/' separators on every platform. */
  relPath: string;
  size: number;
  mtimeMs: number;
}

/**
 * Files with an image extension under `root`, recursively, in a stable order. Hidden files and folders
 * are skipped, and symbolic links are not followed (a link could leave the folder or loop).
 */
export async function walkImages(root: string): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  async function visit(dir: string, rel: string[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        await visit(full, [...rel, entry.name]);
      } else if (entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
        const stat = await lstat(full);
        found.push({ relPath: [...rel, entry.name].join('/'), size: stat.size, mtimeMs: stat.mtimeMs });
      }
    }
  }
  await visit(root, []);
  return found;
}
