// How the engine and the GPUs it skipped are named, from backend reports as the engine builds them.
import { describe, expect, it } from 'vitest';
import { describeEngine, describeEngineChoice, gpuInUse, skippedGpus } from './engine';
import type { BackendReport } from './types';

const noCuda = 'no NVIDIA driver (libcuda.so.1 not found)';
const noTfjsGpu = '@tensorflow/tfjs-node-gpu is not installed (optional dependency; its libtensorflow download needs internet and CUDA)';

const onnxOnCpu: BackendReport = {
  name: 'wasm',
  skipped: [
    { name: 'tensorflow-gpu', reason: noTfjsGpu },
    { name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' },
  ],
  runtime: {
    name: 'onnxruntime',
    provider: 'cpu',
    skippedProviders: [
      { name: 'cuda', reason: noCuda },
      { name: 'dml', reason: 'onnxruntime-node 1.30.0 for linux-x64 has no DirectML execution provider' },
    ],
  },
};

describe('the engine line', () => {
  it('names ONNX Runtime on the CPU and why CUDA and tfjs-node-gpu were skipped, not the other platforms’ providers', () => {
    expect(gpuInUse(onnxOnCpu)).toBeNull();
    expect(skippedGpus(onnxOnCpu)).toEqual([
      { name: 'CUDA', reason: noCuda },
      { name: 'tfjs-node-gpu', reason: noTfjsGpu },
    ]);
    expect(describeEngineChoice(onnxOnCpu)).toBe(`ONNX Runtime (cpu) · head on wasm — CUDA skipped: ${noCuda}; tfjs-node-gpu skipped: ${noTfjsGpu}`);
  });

  it('names CUDA as the GPU in use when ONNX Runtime runs on it', () => {
    const onCuda: BackendReport = { ...onnxOnCpu, runtime: { name: 'onnxruntime', provider: 'cuda', skippedProviders: [] } };
    expect(gpuInUse(onCuda)).toBe('CUDA');
    expect(describeEngineChoice(onCuda)).toBe(`ONNX Runtime (cuda) · head on wasm — tfjs-node-gpu skipped: ${noTfjsGpu}`);
  });

  it('names tfjs-node-gpu on the TF.js runtime, where ONNX Runtime’s providers were never tried', () => {
    const onTfjsGpu: BackendReport = { name: 'tensorflow-gpu', skipped: [], runtime: { name: 'tfjs-layers' } };
    expect(gpuInUse(onTfjsGpu)).toBe('tfjs-node-gpu');
    expect(describeEngineChoice(onTfjsGpu)).toBe('TF.js · tensorflow-gpu');
  });

  it('is describeEngine alone when nothing was skipped, as in records from before runtimes were reported', () => {
    const old: BackendReport = { name: 'cpu', skipped: [] };
    expect(describeEngineChoice(old)).toBe(describeEngine(old));
    expect(gpuInUse(old)).toBeNull();
  });
});
