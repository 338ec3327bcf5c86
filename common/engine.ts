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

/** ONNX Runtime's execution providers as a person knows them. */
export const EXECUTION_PROVIDER_TITLES: Record<string, string> = { cuda: 'CUDA', dml: 'DirectML', coreml: 'CoreML', cpu: 'CPU' };

/** The GPU the engine computes on ("CUDA", "tfjs-node-gpu"), or null when it runs on the CPU. */
export function gpuInUse(backend: BackendReport): string | null {
  const provider = backend.runtime?.name === 'onnxruntime' ? backend.runtime.provider : undefined;
  if (provider && provider !== 'cpu') return EXECUTION_PROVIDER_TITLES[provider] ?? provider;
  return backend.name === 'tensorflow-gpu' ? 'tfjs-node-gpu' : null;
}

/**
 * The GPU paths the engine tried and did not take, with why: ONNX Runtime's CUDA provider (when ONNX Runtime ran)
 * and TF.js's tfjs-node-gpu. DirectML and CoreML, which only other platforms have, stay in the full skipped lists.
 */
export function skippedGpus(backend: BackendReport): { name: string; reason: string }[] {
  const cuda = (backend.runtime?.skippedProviders ?? []).filter((skip) => skip.name === 'cuda');
  const tfjs = backend.skipped.filter((skip) => skip.name === 'tensorflow-gpu');
  return [...cuda.map(({ reason }) => ({ name: 'CUDA', reason })), ...tfjs.map(({ reason }) => ({ name: 'tfjs-node-gpu', reason }))];
}

/** describeEngine, then each skipped GPU with its reason: "ONNX Runtime (cpu) · head on wasm — CUDA skipped: …". */
export function describeEngineChoice(backend: BackendReport): string {
  const skipped = skippedGpus(backend).map((skip) => `${skip.name} skipped: ${skip.reason}`);
  return skipped.length > 0 ? `${describeEngine(backend)} — ${skipped.join('; ')}` : describeEngine(backend);
}
