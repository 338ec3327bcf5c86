// The engine's entry point for the rest of the app: createEngine() starts worker threads that each own
// TF.js and the model; the returned Engine spreads mini-batches over them.
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WorkerEngine, type WorkerEngineOptions } from './client';
import { EnginePool } from './pool';
import { DEFAULT_BATCH_SIZE, type Engine, type EngineOptions } from './types';

export * from './types';
export { defaultModelDir } from './paths';
export type { WorkerEngineOptions } from './client';

/** Starts `options.workers` engine workers (default: one per CPU core), each loading the model. */
export function createEngine({ timeoutPerImageMs, ...options }: EngineOptions & WorkerEngineOptions): Promise<Engine> {
  const { workers = os.availableParallelism(), batchSize = DEFAULT_BATCH_SIZE } = options;
  for (const [name, value] of [['workers', workers], ['batchSize', batchSize]] as const) {
    if (!Number.isInteger(value) || value < 1) return Promise.reject(new Error(`${name} must be a whole number ≥ 1, not ${value}`));
  }
  if (timeoutPerImageMs !== undefined && !(timeoutPerImageMs > 0)) {
    return Promise.reject(new Error(`timeoutPerImageMs must be a number of milliseconds > 0 (Infinity: no limit), not ${timeoutPerImageMs}`));
  }
  const startOne = () => WorkerEngine.start(new Worker(engineWorkerEntry(), { workerData: options }), { timeoutPerImageMs });
  return EnginePool.start(workers, batchSize, startOne);
}

/**
 * The engine worker's module (tests start one of their own to stop it mid-request). In the build it is the
 * `engine-worker` bundle next to this one. From source (vitest, tsx) it is worker.ts, started through a small
 * module that registers tsx first: Node 20 ignores `--import tsx` in a worker's execArgv. File names are
 * variables so that Vite does not turn the URLs into assets.
 */
export function engineWorkerEntry(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fromSource ? './worker.ts' : './engine-worker.js';
  const entry = new URL(file, import.meta.url);
  return fromSource ? throughTsx(entry) : entry;
}

function throughTsx(entry: URL): URL {
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(path.join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(entry.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}
