// Converted models are cached by the TF.js model's content hash, so that a model converts once per
// input size and converter version, not on every start.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { defaultDataDir } from '../../../base/data-dir';
import type { LoadedModel } from '../../model';
import { CONVERTER_VERSION, convertLayerGraph } from './convert';

export function defaultOnnxCacheDir(): string {
  return path.join(defaultDataDir(), 'onnx-cache');
}

export function cachedModelFile(cacheDir: string, model: Pick<LoadedModel, 'hash' | 'inputSize'>): string {
  return path.join(cacheDir, `${model.hash}-${model.inputSize}px-v${CONVERTER_VERSION}.onnx`);
}

/** The model's ONNX bytes from the cache, converting and storing them on a miss. */
export function convertCached(model: LoadedModel, cacheDir: string): { bytes: Uint8Array; file: string; fromCache: boolean } {
  const file = cachedModelFile(cacheDir, model);
  if (existsSync(file)) return { bytes: readFileSync(file), file, fromCache: true };
  const bytes = convertLayerGraph(model.graph, model.inputSize);
  mkdirSync(cacheDir, { recursive: true });
  // Written under a temporary name first, so that a concurrent reader never sees half a file. The name is
  // unique per writer: the engine's worker threads share one pid and may convert in the same millisecond.
  const partial = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.partial`;
  writeFileSync(partial, bytes);
  renameSync(partial, file);
  return { bytes, file, fromCache: false };
}
