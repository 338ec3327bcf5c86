// Where the engine finds the app's bundled resources, from source (main/core/engine/) and from out/main/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from `from` (a file URL or path) to the folder whose package.json is named "sightline". */
export function sightlineRoot(from: string = import.meta.url): string {
  let dir = path.dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (;;) {
    if (isSightlinePackage(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json named "sightline" above ${from}`);
    dir = parent;
  }
}

export function resourcesDir(): string {
  return path.join(sightlineRoot(), 'resources');
}

export function defaultModelDir(): string {
  return path.join(resourcesDir(), 'models', 'mobilenet_v1_0.75_224');
}

export function imagenetLabelsFile(): string {
  return path.join(resourcesDir(), 'labels', 'imagenet_classes.json');
}

function isSightlinePackage(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'sightline';
  } catch {
    return false;
  }
}
