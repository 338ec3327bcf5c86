// How the engine that computed something is named for a person: the UI header, each run's record and the
// HTML report's manifest all use this one form.
import type { BackendReport, RuntimeName } from './types';

export const RUNTIME_TITLES: Record<RuntimeName, string> = {
  onnxruntime: 'ONNX Runtime',
  'tfjs-layers': 'TF.js',
  'tfjs-graph': 'TF.js graph model',
};

/** e.g. "ONNX Runtime (cpu) · head on wasm", "TF.js · wasm", or the TF.js backend alone when no runtime is known. */
export function describeEngine(backend: BackendReport): string {
  const { runtime } = backend;
  if (!runtime) return backend.name;
  if (runtime.name === 'onnxruntime') return `${RUNTIME_TITLES.onnxruntime} (${runtime.provider ?? '?'}) · head on ${backend.name}`;
  return `${RUNTIME_TITLES[runtime.name]} · ${backend.name}`;
}
