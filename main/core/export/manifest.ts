// The reproducibility manifest of a report: what model, layer, method and preprocessing made the maps, and
// which versions of the app and its libraries ran.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import type { RunInfo, SanityCheck } from '../../../common/types';

// Not named `require`: the bundler injects its own top-level `require` shim into the ESM output.
const resolveFromHere = createRequire(import.meta.url).resolve;

/** The version in a package's package.json, found upwards from its entry point (exports may hide package.json). */
export function packageVersion(name: string): string {
  try {
    let dir = path.dirname(resolveFromHere(name));
    for (;;) {
      const file = path.join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      }
      const parent = path.dirname(dir);
      if (parent === dir) return 'unknown';
      dir = parent;
    }
  } catch {
    return 'not installed';
  }
}

export interface ManifestInput {
  appVersion: string;
  run: RunInfo | null;
  /** What the loaded model says about itself, when the run used it. */
  model: { name: string; inputSize: number; preprocessing: string } | null;
  sqliteVersion: string;
  sanity: SanityCheck | null;
}

export function reportManifest(input: ManifestInput): [string, string][] {
  const { run, model, sanity } = input;
  return [
    ['Sightline', input.appVersion],
    ['Model', model?.name ?? run?.modelName ?? '—'],
    ['Model hash (sha256)', run?.modelHash ?? '—'],
    ['Input size', model ? `${model.inputSize} × ${model.inputSize}` : '—'],
    ['Preprocessing', model?.preprocessing ?? '—'],
    ['Method', run?.method ?? '—'],
    ['Layer', run?.layer ?? '—'],
    ['Run', run ? `${run.id} (${run.state}, ${run.createdAt}, options ${JSON.stringify(run.options ?? {})})` : '—'],
    ['Engine', run?.backend ?? '—'],
    ['Sanity check', sanity ? `rank correlation ${sanity.similarity.toFixed(3)} after randomising ${sanity.randomizedLayers.join(', ')} (${sanity.sampleSize} images)${sanity.warning ? ` — ${sanity.warning}` : ''}` : 'not run'],
    ['Node.js', process.versions.node],
    ['Electron', process.versions.electron ?? 'not running under Electron'],
    ['TensorFlow.js', packageVersion('@tensorflow/tfjs-core')],
    ['sharp', `${packageVersion('sharp')} (libvips ${sharp.versions.vips})`],
    ['better-sqlite3', `${packageVersion('better-sqlite3')} (SQLite ${input.sqliteVersion})`],
    ['onnxruntime-node', packageVersion('onnxruntime-node')],
  ];
}
