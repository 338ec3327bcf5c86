// onnxruntime-node is a native N-API module: it must load and run in worker threads (the engine's home),
// in several at once, next to the main thread's own session.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { seededValues } from '../../test-support/model-files';
import { GraphBuilder, OPSET, floatValueInfo, onnx } from './graph-builder';

/** y = Gemm(x, W) + b for x [1, 8]: small enough to check by hand. */
function denseModel(weights: Float32Array): Uint8Array {
  const b = new GraphBuilder();
  b.op('Gemm', [b.reserve('x'), b.floats('w', weights, [8, 4])], {}, 'fc', b.reserve('y'));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name: 'dense', node: b.nodes, initializer: b.initializers, input: [floatValueInfo('x', [1, 8])], output: [floatValueInfo('y', [1, 4])] },
  });
  return onnx.ModelProto.encode(model).finish();
}

const WORKER_SOURCE = `
  const { parentPort, workerData } = require('node:worker_threads');
  const ort = require(workerData.ortPath);
  (async () => {
    const session = await ort.InferenceSession.create(workerData.model, { intraOpNumThreads: 1 });
    const { y } = await session.run({ x: new ort.Tensor('float32', workerData.x, [1, 8]) });
    parentPort.postMessage(Array.from(y.data));
    await session.release();
  })().catch((error) => parentPort.postMessage({ error: error.message }));
`;

function runInWorker(model: Uint8Array, x: Float32Array): Promise<number[]> {
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, model, x } });
  return new Promise((resolve, reject) => {
    worker.once('message', (message: number[] | { error: string }) => {
      void worker.terminate();
      if ('error' in message) reject(new Error(message.error));
      else resolve(message);
    });
    worker.once('error', reject);
  });
}

describe('onnxruntime-node in worker threads', () => {
  it('runs the same model in three workers at once and on the main thread, with the same results', async () => {
    const weights = seededValues(32, 3);
    const x = seededValues(8, 4);
    const expected = Array.from({ length: 4 }, (_, j) => x.reduce((sum, value, i) => sum + value * weights[i * 4 + j], 0));
    const model = denseModel(weights);
    const main = await ort.InferenceSession.create(model);
    const [fromMain, ...fromWorkers] = await Promise.all([
      main.run({ x: new ort.Tensor('float32', x, [1, 8]) }).then(({ y }) => Array.from(y.data as Float32Array)),
      runInWorker(model, x),
      runInWorker(model, x),
      runInWorker(model, x),
    ]);
    await main.release();
    for (const result of [fromMain, ...fromWorkers]) {
      result.forEach((value, j) => expect(value).toBeCloseTo(expected[j], 5));
    }
  });
});
