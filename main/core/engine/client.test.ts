// The calling side of the worker protocol, against small real workers that answer, fail, crash, exit and
// stay silent: every call settles.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { WorkerEngine } from './client';
import type { ExplainRequest } from './types';

const READY = `
  const { parentPort } = require('node:worker_threads');
  parentPort.postMessage({ type: 'ready', model: { name: 'fake' }, backend: { name: 'cpu', skipped: [] } });
`;

/** A worker that closes as the engine's does, and answers requests with `onMessage`. */
function workerWith(onMessage: string): Worker {
  return new Worker(`${READY}\nparentPort.on('message', (message) => { if (message.type === 'close') process.exit(0); ${onMessage} });`, {
    eval: true,
  });
}

const request = () => ({ pixels: new Uint8Array([1, 2, 3]), count: 1 });

describe('WorkerEngine', () => {
  it('resolves with the worker’s results; the caller’s pixels stay whole and can be passed again', async () => {
    // The worker answers with the size of the pixels it got and of the buffer under them.
    const engine = await WorkerEngine.start(
      workerWith(`parentPort.postMessage({ type: 'result', id: message.id, results: [{ top: [{ index: message.request.pixels.length, prob: message.request.pixels.buffer.byteLength }], heatmaps: [] }] });`),
    );
    const pixels = new Uint8Array([1, 2, 3]);
    for (let call = 0; call < 3; call++) {
      const [result] = await engine.explain({ pixels, count: 1 });
      expect(result.top[0]).toEqual({ index: 3, prob: 3 });
    }
    expect([...pixels]).toEqual([1, 2, 3]);
    await engine.dispose();
  });

  it('sends only the bytes of a view, and leaves the buffer under it (a Buffer’s too) as it was', async () => {
    const engine = await WorkerEngine.start(
      workerWith(`parentPort.postMessage({ type: 'result', id: message.id, results: [{ top: [{ index: message.request.pixels[0], prob: message.request.pixels.buffer.byteLength }], heatmaps: [] }] });`),
    );
    // Buffer.slice() makes no copy: a Buffer view is the case where the caller's whole buffer used to move.
    const file = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const view = file.subarray(2, 5);
    for (let call = 0; call < 2; call++) {
      const [result] = await engine.explain({ pixels: view, count: 1 });
      expect(result.top[0]).toEqual({ index: 2, prob: 3 });
    }
    expect([...file]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await engine.dispose();
  });

  it('rejects pixels that are not a Uint8Array, saying what they are', async () => {
    const engine = await WorkerEngine.start(workerWith(''));
    const request = { pixels: [1, 2, 3], count: 1 } as unknown as ExplainRequest;
    await expect(engine.explain(request)).rejects.toThrow('pixels must be a Uint8Array of RGB bytes, not Array');
    await engine.dispose();
  });

  it('rejects a request that cannot be sent, with the reason, and keeps working', async () => {
    const engine = await WorkerEngine.start(
      workerWith(`parentPort.postMessage({ type: 'result', id: message.id, results: [] });`),
    );
    const unsendable = { ...request(), method: () => 'GradCAM' } as unknown as ExplainRequest;
    await expect(engine.explain(unsendable)).rejects.toThrow(/^The request could not be sent to the engine worker: .*could not be cloned/);
    await expect(engine.explain(request())).resolves.toEqual([]);
    await engine.dispose();
  });

  it('rejects the oldest pending call when the worker could not read a request, and answers the next', async () => {
    const engine = await WorkerEngine.start(
      workerWith(`parentPort.postMessage(message.id === 1
        ? { type: 'unreadable', message: 'The engine could not read the request: bad bytes' }
        : { type: 'result', id: message.id, results: [] });`),
    );
    const [first, second] = [engine.explain(request()), engine.explain(request())];
    await expect(first).rejects.toThrow('The engine could not read the request: bad bytes');
    await expect(second).resolves.toEqual([]);
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

  it('rejects pending and later calls when the worker exits', async () => {
    const engine = await WorkerEngine.start(workerWith(`process.exit(3);`));
    await expect(engine.explain(request())).rejects.toThrow('The engine worker stopped (exit code 3)');
    await expect(engine.explain(request())).rejects.toThrow('exit code 3');
  });

  it('gives up on a worker that stays silent, after timeoutPerImageMs per image, and stops it', async () => {
    const worker = workerWith('');
    const stopped = new Promise((resolve) => worker.once('exit', resolve));
    const engine = await WorkerEngine.start(worker, { timeoutPerImageMs: 100 });
    const started = Date.now();
    await expect(engine.explain({ pixels: new Uint8Array(6), count: 2 })).rejects.toThrow(
      'The engine worker gave no answer in 0.2 s to a request of 2 image(s); it was stopped',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    await stopped;
    await expect(engine.explain(request())).rejects.toThrow('gave no answer');
  });

  it('gives each request its whole time from when the worker starts on it', async () => {
    // Requests wait in the worker's queue; each takes 100 ms, six of them more than one request's 400 ms.
    const engine = await WorkerEngine.start(
      workerWith(`
        globalThis.queue = (globalThis.queue ?? Promise.resolve())
          .then(() => new Promise((resolve) => setTimeout(resolve, 100)))
          .then(() => parentPort.postMessage({ type: 'result', id: message.id, results: [] }));`),
      { timeoutPerImageMs: 400 },
    );
    const calls = Array.from({ length: 6 }, () => engine.explain(request()));
    await expect(Promise.all(calls)).resolves.toHaveLength(6);
    await engine.dispose();
  });

  it('asks the worker to close on dispose, and terminates one that does not', async () => {
    const closing = workerWith('');
    const engine = await WorkerEngine.start(closing);
    const exitCode = new Promise((resolve) => closing.once('exit', resolve));
    await engine.dispose();
    expect(await exitCode).toBe(0);

    const deaf = new Worker(`${READY}\nparentPort.on('message', () => {});`, { eval: true });
    const stubborn = await WorkerEngine.start(deaf);
    const deafExit = new Promise((resolve) => deaf.once('exit', resolve));
    const started = Date.now();
    await stubborn.dispose();
    expect(await deafExit).toBe(1);
    // Its backend names no ONNX Runtime: a second's grace.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
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
