// The calling side of the worker protocol, against small real workers that answer, fail and crash.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { WorkerEngine } from './client';

const READY = `
  const { parentPort } = require('node:worker_threads');
  parentPort.postMessage({ type: 'ready', model: { name: 'fake' }, backend: { name: 'cpu', skipped: [] } });
`;

function workerWith(onMessage: string): Worker {
  return new Worker(`${READY}\nparentPort.on('message', (message) => { ${onMessage} });`, { eval: true });
}

const request = () => ({ pixels: new Uint8Array([1, 2, 3]), count: 1 });

describe('WorkerEngine', () => {
  it('resolves with the worker’s results and transfers the pixel buffer', async () => {
    const engine = await WorkerEngine.start(
      workerWith(`parentPort.postMessage({ type: 'result', id: message.id, results: [{ top: [{ index: message.request.pixels.length, prob: 1 }], heatmaps: [] }] });`),
    );
    const pixels = new Uint8Array([1, 2, 3]);
    const [result] = await engine.explain({ pixels, count: 1 });
    expect(result.top[0].index).toBe(3);
    expect(pixels.byteLength).toBe(0);
    await engine.dispose();
  });

  it('copies a view of a larger buffer instead of detaching it', async () => {
    const engine = await WorkerEngine.start(
      workerWith(`parentPort.postMessage({ type: 'result', id: message.id, results: [] });`),
    );
    const shared = new Uint8Array(10);
    await engine.explain({ pixels: shared.subarray(2, 5), count: 1 });
    expect(shared.byteLength).toBe(10);
    await engine.dispose();
  });

  it('rejects with the message of an error in the worker and keeps working', async () => {
    const engine = await WorkerEngine.start(
      workerWith(`parentPort.postMessage({ type: 'error', id: message.id, message: 'bad pixels ' + message.id });`),
    );
    await expect(engine.explain(request())).rejects.toThrow('bad pixels 1');
    await expect(engine.explain(request())).rejects.toThrow('bad pixels 2');
    await engine.dispose();
  });

  it('rejects pending and later calls when the worker crashes', async () => {
    const engine = await WorkerEngine.start(workerWith(`setTimeout(() => { throw new Error('out of memory'); }, 10);`));
    const pending = [engine.explain(request()), engine.explain(request())];
    for (const call of pending) await expect(call).rejects.toThrow('The engine worker crashed: out of memory');
    await expect(engine.explain(request())).rejects.toThrow('crashed');
  });

  it('rejects start() with the worker’s reason when it cannot load', async () => {
    const worker = new Worker(
      `require('node:worker_threads').parentPort.postMessage({ type: 'start-failed', message: 'No model.json in /x' });`,
      { eval: true },
    );
    await expect(WorkerEngine.start(worker)).rejects.toThrow('No model.json in /x');
  });

  it('rejects calls after dispose', async () => {
    const engine = await WorkerEngine.start(workerWith(''));
    // Catch the rejection before it happens: dispose() rejects at once, then waits for the worker to stop,
    // and a lazily attached handler would leave the rejection unhandled in between.
    const pending = engine.explain(request()).then(
      () => null,
      (error: unknown) => error,
    );
    await engine.dispose();
    expect(String(await pending)).toMatch(/disposed/);
    await expect(engine.explain(request())).rejects.toThrow('disposed');
  });
});
