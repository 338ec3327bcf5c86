// Worker-thread entry: builds the engine from workerData (EngineOptions) and answers explain messages,
// one at a time and in the order they came: explaining awaits ONNX Runtime, and two requests interleaved
// on one worker would only compete for its core.
// Bundled as out/main/engine-worker.js.
import { parentPort, workerData } from 'node:worker_threads';
import { LocalEngine } from './local-engine';
import type { ExplainMessage, WorkerReply } from './protocol';
import { DEFAULT_BATCH_SIZE, type EngineOptions } from './types';

const port = parentPort;
if (!port) throw new Error('engine worker must run in a worker thread');

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function answer(engine: LocalEngine, { id, request }: ExplainMessage): Promise<void> {
  try {
    const results = await engine.explain(request);
    const buffers = results.flatMap((result) => result.heatmaps.map((heatmap) => heatmap.values.buffer as ArrayBuffer));
    reply({ type: 'result', id, results }, buffers);
  } catch (error) {
    reply({ type: 'error', id, message: (error as Error).message });
  }
}

try {
  const options = workerData as EngineOptions;
  const engine = await LocalEngine.create(options);
  if (options.warmUp) await engine.warmUp(options.warmUp, options.batchSize ?? DEFAULT_BATCH_SIZE);
  let queue = Promise.resolve();
  port.on('message', (message: ExplainMessage) => {
    queue = queue.then(() => answer(engine, message));
  });
  reply({ type: 'ready', model: engine.model, backend: engine.backend });
} catch (error) {
  reply({ type: 'start-failed', message: (error as Error).message });
}
