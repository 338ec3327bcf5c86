// The engine on the GPU, where this machine has one: the bundled MobileNet through ONNX Runtime's CUDA provider
// classifies the sample photos and maps them as the CPU provider does. Elsewhere each test says it skipped and why.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectCuda } from './gpu';
import { createEngine, defaultModelDir, type Engine, type ExplainResult } from './index';
import { relativeError } from './runtimes/onnx/test-support/compare';
import { decodeBatch, samplePhotos } from './test-support/photos';

/** GPU convolutions (TF32, other algorithms) round differently from the CPU's: maps agree to this, not to 1e-4. */
const GPU_MAP_TOLERANCE = 2e-2;

const cuda = detectCuda();
if (!cuda.usable) console.warn(`[gpu] SKIPPED: ONNX Runtime on CUDA: ${cuda.reason}`);

const tfjsNodeGpu = tfjsNodeGpuMissing();
if (tfjsNodeGpu) console.warn(`[gpu] SKIPPED: TF.js on tfjs-node-gpu: ${tfjsNodeGpu}`);

const workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-gpu-engine-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function engineOn(options: { backend?: 'tensorflow-gpu'; runtime?: 'onnx' | 'tfjs' }): Promise<Engine> {
  return createEngine({ modelDir: defaultModelDir(), onnxCacheDir: path.join(workDir, 'onnx-cache'), workers: 1, ...options });
}

async function explainSamples(engine: Engine): Promise<{ results: ExplainResult[]; trueClasses: number[] }> {
  const photos = samplePhotos().slice(0, 16);
  const pixels = await decodeBatch(photos.map((photo) => photo.file), engine.model.inputSize);
  const results = await engine.explain({ pixels, count: photos.length, topK: 3, camTopK: 1 });
  return { results, trueClasses: photos.map((photo) => photo.trueClass) };
}

describe('ONNX Runtime on CUDA', () => {
  it.skipIf(!cuda.usable)(`runs the bundled MobileNet on the CUDA provider and maps as on the CPU${cuda.usable ? '' : ` (skipped: ${cuda.reason})`}`, async () => {
    const gpu = await engineOn({ runtime: 'onnx' });
    try {
      expect(gpu.backend.runtime).toMatchObject({ name: 'onnxruntime', provider: 'cuda', skippedProviders: [] });
      const onGpu = await explainSamples(gpu);
      const correct = onGpu.results.filter((result, i) => result.top[0].index === onGpu.trueClasses[i]).length;
      expect(correct).toBeGreaterThanOrEqual(13);

      const cpu = await engineOn({ runtime: 'tfjs' });
      try {
        const onCpu = await explainSamples(cpu);
        onGpu.results.forEach((result, i) => {
          expect(result.top[0].index).toBe(onCpu.results[i].top[0].index);
          expect(relativeError(result.heatmaps[0].values, onCpu.results[i].heatmaps[0].values)).toBeLessThan(GPU_MAP_TOLERANCE);
        });
      } finally {
        await cpu.dispose();
      }
    } finally {
      await gpu.dispose();
    }
  });
});

describe('TF.js on tfjs-node-gpu', () => {
  it.skipIf(tfjsNodeGpu !== null)(`starts the tensorflow-gpu backend${tfjsNodeGpu ? ` (skipped: ${tfjsNodeGpu})` : ''}`, async () => {
    const engine = await engineOn({ backend: 'tensorflow-gpu', runtime: 'tfjs' });
    try {
      expect(engine.backend).toMatchObject({ name: 'tensorflow-gpu', skipped: [] });
      const { results, trueClasses } = await explainSamples(engine);
      expect(results.filter((result, i) => result.top[0].index === trueClasses[i]).length).toBeGreaterThanOrEqual(13);
    } finally {
      await engine.dispose();
    }
  });
});

/** Null when @tensorflow/tfjs-node-gpu is installed (whether it then loads is the test's to find), else why not. */
function tfjsNodeGpuMissing(): string | null {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return null;
  } catch {
    return '@tensorflow/tfjs-node-gpu is not installed (npm install @tensorflow/tfjs-node-gpu; it needs CUDA 11.2 and cuDNN 8.1)';
  }
}
