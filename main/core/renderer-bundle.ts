// The built renderer's files as both transports serve them (the desktop's sightline-app scheme and the web
// host): which kinds of file there are, with their MIME types, and the check that a URL path stays inside.
import { extname, resolve, sep } from 'node:path';

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

/**
 * The bundle file a URL path names (`/` is index.html) and its MIME type, or null when the path is malformed,
 * would leave the bundle's folder, or names a kind of file the bundle does not serve.
 */
export function bundleFile(rendererDir: string, urlPath: string): { file: string; type: string } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const root = resolve(rendererDir);
  const file = resolve(root, `.${decoded === '/' ? '/index.html' : decoded}`);
  const type = MIME[extname(file)];
  return file.startsWith(root + sep) && type ? { file, type } : null;
}
