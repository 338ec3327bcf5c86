// Calls in a row through createEngine, as a user's code makes them: on every runtime, with 1 and 2 workers,
// the same pixels array every time. Issue #13: the engine transferred the caller's buffer to its worker,
// which detached it (a Buffer view's whole file buffer, as slice() of a Buffer is no copy), and Node drops
// a message whose transfer list holds a detached buffer without a word: the next call never settled.
// Also: two engines one after the other, a call after dispose, the watchdog, a worker stopped in the middle
// of a request.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backends';
import { WorkerEngine } from './client';
import { writeGraphModelFolder } from './runtimes/tfjs-graph/test-support/graph-model-writer';
import { residualNet } from './runtimes/tfjs-graph/test-support/fixtures';
import { createEngine, defaultModelDir, engineWorkerEntry, type Engine, type EngineOptions, type ExplainRequest, type WorkerEngineOptions } from './index';
import { decodeBatch, samplePhotos } from './test-support/photos';

/** Images per call: not a multiple of the batch size, so that 2 workers get a request as 2 + 1. */
const COUNT = 3;
const BATCH_SIZE = 2;
const ZOO = path.join(__dirname, '__fixtures__', 'zoo');

type Call = Pick<ExplainRequest, 'method' | 'topK' | 'camTopK' | 'classes'>;

/** Five calls with different methods and maps: cheap methods, one with classes of its own. */
const CALLS: Call[] = [
  { method: 'GradCAM', topK: 5, camTopK: 1 },
  { method: 'EigenCAM', topK: 3, camTopK: 2 },
  { method: 'HiResCAM', topK: 3, classes: Array.from({ length: COUNT }, (_, image) => [image, 1]) },
  { method: 'LayerCAM', topK: 2, camTopK: 1 },
  { method: 'XGradCAM', topK: 1, camTopK: 1 },
];

interface Runtime {
  name: string;
  /** The runtime the engine reports. */
  reports: string;
  modelDir: () => string;
  options?: Partial<EngineOptions>;
  /** COUNT images, as a user's code holds them. */
  pixels: () => Promise<Uint8Array>;
  calls: Call[];
}

let workDir: string;
let onnxCacheDir: string;
let graphDir: string;

/** COUNT sample photos at 224², in one array that owns its buffer (the case the engine used to transfer). */
const photos = () => decodeBatch(samplePhotos().slice(0, COUNT).map((photo) => photo.file), 224);
/** A zoo folder's first COUNT images, a view of the file's Buffer as a user reads them. */
const zooInputs = (family: string) => async () => readFileSync(path.join(ZOO, family, 'inputs.u8')).subarray(0, COUNT * 224 * 224 * 3);

const RUNTIMES: Runtime[] = [
  { name: 'TF.js layers (bundled MobileNet)', reports: 'tfjs-layers', modelDir: defaultModelDir, options: { runtime: 'tfjs' }, pixels: photos, calls: CALLS },
  {
    name: 'TF.js graph (a small residual net)',
    reports: 'tfjs-graph',
    modelDir: () => graphDir,
    pixels: async () => new Uint8Array(COUNT * 16 * 16 * 3).map((_, i) => (i * 2654435761) >>> 24),
    // Score-CAM runs one forward pass per channel: on this net's 8 channels it is cheap.
    calls: [...CALLS.slice(0, 4), { method: 'ScoreCAM', topK: 2, camTopK: 1 }],
  },
  { name: 'converted ONNX (bundled MobileNet)', reports: 'onnxruntime', modelDir: defaultModelDir, options: { runtime: 'onnx' }, pixels: photos, calls: CALLS },
  { name: 'model.onnx (zoo resnet)', reports: 'onnxruntime', modelDir: () => path.join(ZOO, 'resnet'), pixels: zooInputs('resnet'), calls: CALLS },
  {
    name: 'model.onnx (zoo efficientnet)',
    reports: 'onnxruntime',
    modelDir: () => path.join(ZOO, 'efficientnet'),
    pixels: zooInputs('efficientnet'),
    calls: CALLS,
  },
];

beforeAll(async () => {
  // The graph folder's layers model is built on this thread; the engines have their own TF.js.
  await selectBackend('cpu');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-sequence-'));
  onnxCacheDir = path.join(workDir, 'onnx-cache');
  const model = residualNet();
  graphDir = writeGraphModelFolder(model, path.join(workDir, 'residual-graph')).dir;
  model.dispose();
});
afterAll(() => workDir && rmSync(workDir, { recursive: true, force: true }));

function engineOn(modelDir: string, options: Partial<EngineOptions & WorkerEngineOptions> = {}): Promise<Engine> {
  return createEngine({ modelDir, onnxCacheDir, batchSize: BATCH_SIZE, ...options });
}

/** Each image's top class: the same pixels give the same, whatever the method. */
async function explainAndCheck(engine: Engine, pixels: Uint8Array, call: Call): Promise<number[]> {
  const results = await engine.explain({ pixels, count: COUNT, ...call });
  expect(results).toHaveLength(COUNT);
  results.forEach((result, image) => {
    expect(result.top).toHaveLength(call.topK!);
    const classes = call.classes?.[image] ?? result.top.slice(0, call.camTopK).map((top) => top.index);
    expect(result.heatmaps.map((heatmap) => heatmap.classIndex)).toEqual(classes);
    for (const heatmap of result.heatmaps) expect(heatmap.values).toHaveLength(heatmap.h * heatmap.w);
  });
  return results.map((result) => result.top[0].index);
}

describe.each(RUNTIMES)('$name', (runtime) => {
  it.each([1, 2])('answers five calls in a row with the same pixels on %i worker(s), and a bad one between them', async (workers) => {
    const pixels = await runtime.pixels();
    const bytes = Buffer.from(pixels).toString('base64');
    const engine = await engineOn(runtime.modelDir(), { ...runtime.options, workers });
    try {
      expect(engine.backend.runtime?.name).toBe(runtime.reports);
      const tops: number[][] = [];
      for (const [index, call] of runtime.calls.entries()) {
        tops.push(await explainAndCheck(engine, pixels, call));
        if (index === 1) {
          // A request the worker refuses leaves its queue working.
          await expect(engine.explain({ pixels, count: COUNT + 1 })).rejects.toThrow(`Expected ${COUNT + 1} image(s)`);
        }
      }
      for (const top of tops) expect(top).toEqual(tops[0]);
      expect(Buffer.from(pixels).toString('base64')).toBe(bytes);
    } finally {
      await engine.dispose();
    }
  });
});

describe('engines one after the other', () => {
  it('answers with a second engine after the first is disposed, and rejects a call after dispose at once', async () => {
    const modelDir = path.join(ZOO, 'resnet');
    const pixels = await zooInputs('resnet')();
    const first = await engineOn(modelDir, { workers: 2 });
    const tops = [await explainAndCheck(first, pixels, CALLS[0]), await explainAndCheck(first, pixels, CALLS[1])];
    await first.dispose();
    await expect(first.explain({ pixels, count: COUNT })).rejects.toThrow('The engine was disposed');
    const second = await engineOn(modelDir, { workers: 1 });
    try {
      tops.push(await explainAndCheck(second, pixels, CALLS[2]), await explainAndCheck(second, pixels, CALLS[0]));
      for (const top of tops) expect(top).toEqual(tops[0]);
    } finally {
      await second.dispose();
    }
  });
});

describe('the watchdog', () => {
  it('rejects a call the worker does not answer in timeoutPerImageMs per image, and later calls', async () => {
    const engine = await engineOn(path.join(ZOO, 'resnet'), { workers: 1, timeoutPerImageMs: 1 });
    const pixels = await zooInputs('resnet')();
    // The pool sends the images as mini-batches of 2 and 1: the first one's 2 ms run out.
    await expect(engine.explain({ pixels, count: COUNT, method: 'ScoreCAM' })).rejects.toThrow(
      'The engine worker gave no answer in 0.002 s to a request of 2 image(s); it was stopped',
    );
    await expect(engine.explain({ pixels, count: COUNT })).rejects.toThrow('gave no answer');
    await engine.dispose();
  });

  it('refuses a time that is not a positive number of milliseconds', async () => {
    await expect(engineOn(path.join(ZOO, 'resnet'), { timeoutPerImageMs: 0 })).rejects.toThrow(
      'timeoutPerImageMs must be a number of milliseconds > 0 (Infinity: no limit), not 0',
    );
  });
});

describe('stopping in the middle of a request', () => {
  it('rejects the pending call and every later one when the worker is terminated', async () => {
    // TF.js layers: Score-CAM computes synchronously in JavaScript and wasm for seconds, which terminate() interrupts.
    const workerData: EngineOptions = { modelDir: defaultModelDir(), runtime: 'tfjs' };
    const worker = new Worker(engineWorkerEntry(), { workerData });
    const engine = await WorkerEngine.start(worker);
    const pixels = await photos();
    const pending = engine.explain({ pixels, count: COUNT, method: 'ScoreCAM' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await worker.terminate();
    await expect(pending).rejects.toThrow('The engine worker stopped (exit code 1)');
    await expect(engine.explain({ pixels, count: COUNT })).rejects.toThrow('exit code 1');
  });

  it('disposes an engine busy on ONNX Runtime without taking the process down, and rejects its calls', async () => {
    // terminate() inside a synchronous ONNX Runtime call aborts the process; dispose lets the worker exit between
    // calls. A fresh engine's first call spends its first tenths of a second in ONNX Runtime creating sessions.
    const engine = await engineOn(path.join(ZOO, 'resnet'), { workers: 1 });
    const pixels = await zooInputs('resnet')();
    const calls = Array.from({ length: 4 }, (_, call) => engine.explain({ pixels, count: COUNT, method: call === 0 ? 'ScoreCAM' : 'GradCAM' }));
    const settled = Promise.allSettled(calls);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await engine.dispose();
    const outcomes = await settled;
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => String(outcome.reason))).toContain(
      'Error: The engine was disposed',
    );
  });
});
