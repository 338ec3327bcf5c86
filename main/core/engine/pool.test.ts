// The pool's scheduling, against engines that record what they were asked and answer when told to.
import { describe, expect, it } from 'vitest';
import { EnginePool } from './pool';
import type { Engine, ExplainRequest, ExplainResult, ModelInfo } from './types';

const SIZE = 2;
const IMAGE_BYTES = SIZE * SIZE * 3;

interface Call {
  request: ExplainRequest;
  answer(): void;
}

/** An engine whose answers wait until the test calls answer(); each result names its image's first pixel. */
function recordingEngine(name: string, calls: (Call & { engine: string })[], disposed: string[]): Engine {
  return {
    model: { name, inputSize: SIZE } as ModelInfo,
    backend: { name: 'cpu', skipped: [] },
    explain: (request) =>
      new Promise<ExplainResult[]>((resolve) => {
        const results = Array.from({ length: request.count }, (_, image) => ({
          top: [{ index: request.pixels[image * IMAGE_BYTES], prob: 1 }],
          heatmaps: (request.classes?.[image] ?? []).map((classIndex) => ({ classIndex, h: 1, w: 1, values: new Float32Array(1), scale: 0 })),
        }));
        calls.push({ engine: name, request, answer: () => resolve(results) });
      }),
    dispose: async () => void disposed.push(name),
  };
}

/** `count` images whose first byte is their index. */
function images(count: number): Uint8Array {
  const pixels = new Uint8Array(count * IMAGE_BYTES);
  for (let image = 0; image < count; image++) pixels[image * IMAGE_BYTES] = image;
  return pixels;
}

function poolOf(engineCount: number, batchSize: number) {
  const calls: (Call & { engine: string })[] = [];
  const disposed: string[] = [];
  const engines = Array.from({ length: engineCount }, (_, i) => recordingEngine(`engine ${i}`, calls, disposed));
  return { pool: new EnginePool(engines, batchSize), calls, disposed };
}

describe('EnginePool', () => {
  it('cuts a request into mini-batches, spreads them over the engines and keeps the images in order', async () => {
    const { pool, calls } = poolOf(2, 8);
    const classes = Array.from({ length: 20 }, (_, image) => [image + 100]);
    const pending = pool.explain({ pixels: images(20), count: 20, classes });
    expect(calls.map((call) => [call.engine, call.request.count])).toEqual([
      ['engine 0', 8],
      ['engine 1', 8],
      ['engine 0', 4],
    ]);
    calls.reverse().forEach((call) => call.answer());
    const results = await pending;
    expect(results.map((result) => result.top[0].index)).toEqual([...Array(20).keys()]);
    expect(results.map((result) => result.heatmaps[0].classIndex)).toEqual(classes.flat());
  });

  it('sends the next request to the engine with the fewest images in flight', async () => {
    const { pool, calls } = poolOf(2, 8);
    const first = pool.explain({ pixels: images(8), count: 8 });
    const second = pool.explain({ pixels: images(3), count: 3 });
    calls[0].answer();
    await first;
    const third = pool.explain({ pixels: images(2), count: 2 });
    const fourth = pool.explain({ pixels: images(2), count: 2 });
    expect(calls.map((call) => call.engine)).toEqual(['engine 0', 'engine 1', 'engine 0', 'engine 0']);
    calls.slice(1).forEach((call) => call.answer());
    await Promise.all([second, third, fourth]);
  });

  it('passes a request whose size does not add up to one engine whole, for its error message', async () => {
    const { pool, calls } = poolOf(2, 2);
    void pool.explain({ pixels: new Uint8Array(5), count: 4 });
    void pool.explain({ pixels: images(4), count: 4, classes: [[1]] });
    expect(calls.map((call) => call.request.count)).toEqual([4, 4]);
  });

  it('disposes the engines that started when one fails to start, and reports that failure', async () => {
    const disposed: string[] = [];
    let started = 0;
    const start = () =>
      started++ === 1 ? Promise.reject(new Error('No model.json')) : Promise.resolve(recordingEngine(`engine ${started}`, [], disposed));
    await expect(EnginePool.start(3, 8, start)).rejects.toThrow('No model.json');
    expect(disposed.sort()).toEqual(['engine 1', 'engine 3']);
  });
});
