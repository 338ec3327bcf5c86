// tfjs-backend-wasm 4.22 has no kernels for several gradients (Conv2DBackpropFilter,
// DepthwiseConv2dNativeBackpropFilter/Input, UnsortedSegmentSum, …) and its MaxPoolGrad drops the gradient
// of any window whose maximum is ≤ 0 (its running max starts at the smallest positive float).
// Rather than patching kernels one by one, every cpu kernel that wasm lacks, and MaxPoolGrad, runs on
// the cpu backend: inputs are copied out of wasm memory, the cpu kernel runs, outputs are copied back.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

/** wasm kernels that exist but give wrong results. */
const REPLACED_WASM_KERNELS = ['MaxPoolGrad'];

let borrowedKernels: string[] | null = null;

/** Registers the cpu fallbacks once; returns the kernel names that now run on the cpu backend. */
export function borrowCpuKernelsForWasm(): string[] {
  if (borrowedKernels) return borrowedKernels;
  borrowedKernels = [];
  for (const cpuKernel of tf.getKernelsForBackend('cpu')) {
    const { kernelName } = cpuKernel;
    const wasmHasIt = tf.getKernel(kernelName, 'wasm') !== undefined;
    if (wasmHasIt && !REPLACED_WASM_KERNELS.includes(kernelName)) continue;
    if (wasmHasIt) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: onCpu(cpuKernel.kernelFunc) });
    borrowedKernels.push(kernelName);
  }
  return borrowedKernels;
}

function onCpu(cpuKernelFunc: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const wasm = backend as tf.KernelBackend;
    const cpu = tf.engine().findBackend('cpu');
    const cpuInputs: Record<string, tf.TensorInfo> = {};
    for (const [name, input] of Object.entries(inputs)) {
      if (!input) continue;
      cpuInputs[name] = { ...input, dataId: cpu.write(wasm.readSync(input.dataId), input.shape, input.dtype) };
    }
    try {
      const result = cpuKernelFunc({ inputs: cpuInputs, attrs, backend: cpu });
      const outputs = (Array.isArray(result) ? result : [result]).map((output) => {
        const dataId = wasm.write(cpu.readSync(output.dataId), output.shape, output.dtype);
        cpu.disposeData(output.dataId);
        return { dataId, shape: output.shape, dtype: output.dtype };
      });
      return Array.isArray(result) ? outputs : outputs[0];
    } finally {
      for (const input of Object.values(cpuInputs)) cpu.disposeData(input.dataId);
    }
  };
}
