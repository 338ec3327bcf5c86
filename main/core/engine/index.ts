// The engine's entry point for the rest of the app: createEngine() starts worker threads that each own
// TF.js and the model; the returned Engine spreads mini-batches over them.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../base/worker-entry';
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

/** The engine worker's entry file (worker.ts from source, engine-worker.js built). */
export function engineWorkerEntry(): URL {
  return workerEntry(import.meta.url, './worker.ts', './engine-worker.js');
}
