// Picks the TF.js backend: tfjs-node-gpu → tfjs-node → wasm → cpu, and says why each skipped one was skipped.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendName, BackendReport } from '../../../common/types';
import { borrowCpuKernelsForWasm } from './wasm-kernels';

export const BACKEND_CHAIN: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export async function selectBackend(forced?: BackendName): Promise<BackendReport> {
  const skipped: BackendReport['skipped'] = [];
  for (const name of forced ? [forced] : BACKEND_CHAIN) {
    const failure = await startBackend(name);
    if (failure === null) return { name, skipped };
    if (forced) throw new Error(`The ${forced} backend is not available: ${failure}`);
    skipped.push({ name, reason: failure });
  }
  throw new Error(`No TF.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** Returns null when the backend now runs, else why not. */
async function startBackend(name: BackendName): Promise<string | null> {
  switch (name) {
    case 'tensorflow-gpu':
      return startNative('@tensorflow/tfjs-node-gpu', 'its libtensorflow download needs internet and CUDA');
    case 'tensorflow':
      return startNative('@tensorflow/tfjs-node', 'its libtensorflow download needs internet');
    case 'wasm':
      setWasmPaths(wasmBinaryFolder());
      borrowCpuKernelsForWasm();
      return (await tf.setBackend('wasm')) ? null : 'the WebAssembly backend failed to initialise';
    case 'cpu':
      return (await tf.setBackend('cpu')) ? null : 'the pure-JavaScript backend failed to initialise';
  }
}

async function startNative(packageName: string, whyMissing: string): Promise<string | null> {
  try {
    // A variable specifier keeps TypeScript and the bundler from requiring the optional package.
    const specifier = packageName;
    await import(specifier);
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message?.includes(packageName)) {
      return `${packageName} is not installed (optional dependency; ${whyMissing})`;
    }
    return `${packageName} failed to load: ${message ?? String(error)}`;
  }
  return (await tf.setBackend('tensorflow')) ? null : `${packageName} loaded, but its backend did not start`;
}

/**
 * The folder with the .wasm binaries, resolved through the package itself so that it works from source
 * and from the bundled out/main/*.js alike.
 */
function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}
