// The built renderer, file by file: no directory listing, nothing outside rendererDir, index.html for `/`.
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { SECURITY_HEADERS, sendError } from './guards';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

/** Resolves a URL path to a file under root, or null when it would leave root or is malformed. */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = resolve(root);
  const file = resolve(base, `.${decoded === '/' ? '/index.html' : decoded}`);
  return file.startsWith(base + sep) ? file : null;
}

export async function serveStatic(res: ServerResponse, rendererDir: string, urlPath: string, headOnly: boolean): Promise<void> {
  const file = resolveStaticPath(rendererDir, urlPath);
  const type = file ? MIME[extname(file)] : undefined;
  if (!file || !type) return sendError(res, 404, 'Not found');
  try {
    if (!(await stat(file)).isFile()) return sendError(res, 404, 'Not found');
    const body = await readFile(file);
    // Vite puts content hashes in asset names, so those never change; index.html must be revalidated.
    const cache = urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': cache });
    res.end(headOnly ? undefined : body);
  } catch {
    sendError(res, 404, 'Not found');
  }
}
