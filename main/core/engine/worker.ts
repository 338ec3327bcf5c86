// Worker-thread entry: builds the engine from workerData (EngineOptions) and answers explain messages,
// one at a time and in the order they came: explaining awaits ONNX Runtime, and two requests interleaved
// on one worker would only compete for its core. Every request gets one answer (see protocol.ts), and a
// request that fails leaves the queue working for the next.
// Bundled as out/main/engine-worker.js.
import { parentPort, workerData } from 'node:worker_threads';
import { LocalEngine } from './local-engine';
import type { WorkerMessage, WorkerReply } from './protocol';
import { DEFAULT_BATCH_SIZE, type EngineOptions, type ExplainResult } from './types';

const port = parentPort;
if (!port) throw new Error('engine worker must run in a worker thread');

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

/** Never throws: a failure becomes the request's error answer. */
async function answer(engine: LocalEngine, { id, request }: Extract<WorkerMessage, { type: 'explain' }>): Promise<void> {
  let results: ExplainResult[];
  try {
    results = await engine.explain(request);
  } catch (error) {
    return send({ type: 'error', id, message: messageOf(error) });
  }
  try {
    reply({ type: 'result', id, results }, heatmapBuffers(results));
  } catch (error) {
    send({ type: 'error', id, message: `The engine could not send its results: ${messageOf(error)}` });
  }
}

/** For answers made of strings only: if even they cannot go, the port is gone and the calling side sees the worker end. */
function send(message: WorkerReply): void {
  try {
    reply(message);
  } catch (error) {
    console.error(`engine worker: cannot answer (${message.type}): ${messageOf(error)}`);
  }
}

/**
 * The maps' buffers, to transfer rather than copy. Each once: postMessage throws on a buffer listed twice
 * (maps may share one), and only plain ArrayBuffers transfer.
 */
function heatmapBuffers(results: ExplainResult[]): ArrayBuffer[] {
  const buffers = results.flatMap((result) => result.heatmaps.map((heatmap) => heatmap.values.buffer));
  return [...new Set(buffers)].filter((buffer) => buffer instanceof ArrayBuffer);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

try {
  const options = workerData as EngineOptions;
  const engine = await LocalEngine.create(options);
  if (options.warmUp) await engine.warmUp(options.warmUp, options.batchSize ?? DEFAULT_BATCH_SIZE);
  let queue = Promise.resolve();
  port.on('message', (message: WorkerMessage) => {
    // Here, between two synchronous ONNX Runtime calls, exiting is safe (see WorkerEngine.stop()).
    if (message.type === 'close') process.exit(0);
    else queue = queue.then(() => answer(engine, message));
  });
  // A request that cannot be read has no id; answered in its turn, it answers the oldest open request.
  port.on('messageerror', (error) => {
    queue = queue.then(() => send({ type: 'unreadable', message: `The engine could not read the request: ${error.message}` }));
  });
  reply({ type: 'ready', model: engine.model, backend: engine.backend });
} catch (error) {
  reply({ type: 'start-failed', message: messageOf(error) });
}
