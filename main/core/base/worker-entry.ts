// Where a worker thread's entry file is: next to the calling module, as TypeScript when running from source
// (tests, tsx) and as the built file in out/main/ (Electron, the CLI).
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The worker file `source` (from source) or `built` (after the build), relative to `from` (the caller's
 * import.meta.url). From source it goes through a data: module that registers tsx first: Node 20 ignores
 * `--import tsx` in a worker's execArgv. File names are variables so that Vite does not turn the URLs into assets.
 */
export function workerEntry(from: string, source: string, built: string): URL {
  const fromSource = from.endsWith('.ts');
  const entry = new URL(fromSource ? source : built, from);
  return fromSource ? throughTsx(entry) : entry;
}

function throughTsx(entry: URL): URL {
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(path.join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(entry.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}
