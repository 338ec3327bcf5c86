// The built renderer, file by file: no directory listing, nothing outside rendererDir, index.html for `/`.
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { bundleFile } from '../core/renderer-bundle';
import { SECURITY_HEADERS, sendError } from './guards';

export async function serveStatic(res: ServerResponse, rendererDir: string, urlPath: string, headOnly: boolean): Promise<void> {
  const found = bundleFile(rendererDir, urlPath);
  if (!found) return sendError(res, 404, 'Not found');
  try {
    if (!(await stat(found.file)).isFile()) return sendError(res, 404, 'Not found');
    const body = await readFile(found.file);
    // Vite puts content hashes in asset names, so those never change; index.html must be revalidated.
    const cache = urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': found.type, 'Content-Length': body.length, 'Cache-Control': cache });
    res.end(headOnly ? undefined : body);
  } catch {
    sendError(res, 404, 'Not found');
  }
}
