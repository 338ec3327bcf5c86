// Where the app's own files and the user's data live, in development, in out/ and in a packaged app.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppPaths {
  /** The folder holding the app's package.json (named "sightline"). */
  appRoot: string;
  version: string;
  resourcesDir: string;
  defaultModelDir: string;
  samplesDir: string;
  /** JSON array of { index, wnid, name, synset } for the ImageNet classes. */
  labelsFile: string;
  /** The built renderer that the web host serves. */
  rendererDir: string;
}

/** Walks up from `from` (a file URL or path) to the package.json whose name is "sightline". */
export function findAppRoot(from: string = import.meta.url): string {
  let dir = path.dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && readManifest(manifest).name === 'sightline') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json named "sightline" above ${from}`);
    dir = parent;
  }
}

/**
 * The app's paths. A packaged Electron app keeps `resources/` outside the asar archive, under
 * `process.resourcesPath`; that copy wins when it exists, and `resourcesDir` overrides both.
 */
export function appPaths(overrides: { resourcesDir?: string } = {}): AppPaths {
  const appRoot = findAppRoot();
  const resourcesDir = overrides.resourcesDir ?? packagedResourcesDir() ?? path.join(appRoot, 'resources');
  return {
    appRoot,
    version: readManifest(path.join(appRoot, 'package.json')).version ?? '0.0.0',
    resourcesDir,
    defaultModelDir: path.join(resourcesDir, 'models', 'mobilenet_v1_0.75_224'),
    samplesDir: path.join(resourcesDir, 'samples'),
    labelsFile: path.join(resourcesDir, 'labels', 'imagenet_classes.json'),
    rendererDir: path.join(appRoot, 'out', 'renderer'),
  };
}

function packagedResourcesDir(): string | null {
  const electronResources = (process as { resourcesPath?: string }).resourcesPath;
  if (!electronResources) return null;
  const dir = path.join(electronResources, 'resources');
  return existsSync(dir) ? dir : null;
}

function readManifest(file: string): { name?: string; version?: string } {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
  } catch {
    return {};
  }
}
