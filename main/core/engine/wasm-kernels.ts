// tfjs-backend-wasm 4.22 has no kernels for several gradients (Conv2DBackpropFilter,
// DepthwiseConv2dNativeBackpropFilter/Input, UnsortedSegmentSum, …) and its MaxPoolGrad drops the gradient
// of any window whose maximum is ≤ 0 (its running max starts at the smallest positive float).
// Rather than patching kernels one by one, every cpu kernel that wasm lacks runs on the cpu backend:
// inputs are copied out of wasm memory, the cpu kernel runs, outputs are copied back. MaxPoolGrad has a
// kernel of its own here (maxPoolGrad), as the cpu one is slow.
// Two wasm kernels are also slow on exactly the shapes a CAM's head gradient needs (measured here, one
// thread): BatchMatMul with transposeB (dy·Wᵀ, the gradient of every dense layer) runs at about 1.1 GMAC/s
// against 9–11 for the plain product, and Conv2DBackpropInput of a 1×1 convolution (MobileNet's classifier)
// at 1.2 against 11. Both are rewritten as transposes plus the fast product (speedUpWasmKernels). And its
// Identity copies the data where the cpu backend shares it: the tape clones every tensor it saves for the
// backward pass, so each gradient got a fresh copy of the head's weights, and XNNPACK, whose packed-weight
// cache is keyed by the weight tensor, repacked them on every call (5–10 ms for MobileNet's 768×1000
// classifier against 0.5 for the product). Identity now shares the data, as on the cpu backend.
// One gradient is also replaced: tfjs-core's Mean gradient multiplies dy by ones(x.shape), an array filled
// in JavaScript and uploaded on every call (for a global average pool over 24 × 7 × 7 × 768 activations,
// about 0.3 ms per image); the same ones made by the backend's Fill kernel give the same values.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers tfjs-core's stock gradients on import (the engine loads it anyway): first, so that
// the one replaced below stays replaced.
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

/** wasm kernels that exist but give wrong results (MaxPoolGrad gets its own kernel below instead). */
const REPLACED_WASM_KERNELS: string[] = [];

let borrowedKernels: string[] | null = null;
let spedUp = false;

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
  speedUpWasmKernels();
  return borrowedKernels;
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

interface BackpropInputAttrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat: 'NHWC' | 'NCHW';
  inputShape: number[];
}

/** Replaces the slow wasm kernels (see the top of this file) by wrappers that call the fast ones. */
function speedUpWasmKernels(): void {
  if (spedUp) return;
  spedUp = true;
  const transpose = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
  const matMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
  const backpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc;
  const identity = tf.getKernel('Identity', 'wasm')!.kernelFunc;

  const swapLast = (x: tf.TensorInfo, backend: tf.KernelBackend): tf.TensorInfo => {
    const rank = x.shape.length;
    const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
    return transpose({ inputs: { x }, attrs: { perm }, backend }) as tf.TensorInfo;
  };
  const sizeOf = (shape: number[]) => shape.reduce((product, side) => product * side, 1);

  /**
   * a·bᵀ through the fast plain product, transposing whatever is smaller. In a head gradient a is dy (a few
   * rows) and b a weight matrix (MobileNet's 768×1000 classifier, VGG16's 25088×4096 fc1), so the usual
   * choice is (b·aᵀ)ᵀ: only the small operands are copied, and XNNPACK packs the small aᵀ as its
   * "weights" instead of repacking the large b on every call.
   */
  const matMulBTransposed = (a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, backend: tf.KernelBackend): tf.TensorInfo => {
    const rows = a.shape[a.shape.length - (transposeA ? 1 : 2)];
    const resultSize = sizeOf(b.shape.slice(0, -1)) * rows;
    const copies: tf.TensorInfo[] = [];
    try {
      if (!transposeA && sizeOf(a.shape) + resultSize < sizeOf(b.shape)) {
        const aT = swapLast(a, backend);
        copies.push(aT);
        const baT = matMul({ inputs: { a: b, b: aT }, attrs: { transposeA: false, transposeB: false }, backend }) as tf.TensorInfo;
        copies.push(baT);
        return swapLast(baT, backend);
      }
      const bT = swapLast(b, backend);
      copies.push(bT);
      return matMul({ inputs: { a, b: bT }, attrs: { transposeA, transposeB: false }, backend }) as tf.TensorInfo;
    } finally {
      for (const copy of copies) backend.disposeData(copy.dataId);
    }
  };

  const fastMatMul: tf.KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
    if (!transposeB) return matMul(args);
    return matMulBTransposed(a, b, transposeA, args.backend as tf.KernelBackend);
  };

  /** For a 1×1 kernel with stride 1, dx = dy·Wᵀ over the pixels: [N·H·W, out]·[in, out]ᵀ. */
  const fastBackpropInput: tf.KernelFunc = (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, dataFormat, inputShape } = args.attrs as unknown as BackpropInputAttrs;
    const [filterHeight, filterWidth, inChannels, outChannels] = filter.shape;
    const unitStrides = typeof strides === 'number' ? strides === 1 : strides.every((stride) => stride === 1);
    if (filterHeight !== 1 || filterWidth !== 1 || !unitStrides || dataFormat !== 'NHWC' || dy.dtype !== 'float32') {
      return backpropInput(args);
    }
    const pixels = dy.shape[0] * dy.shape[1] * dy.shape[2];
    // Same data, read as the 3-D operands BatchMatMul takes; neither view is returned or kept.
    const rows: tf.TensorInfo = { ...dy, shape: [1, pixels, outChannels] };
    const weights: tf.TensorInfo = { ...filter, shape: [1, inChannels, outChannels] };
    const dx = matMulBTransposed(rows, weights, false, args.backend as tf.KernelBackend);
    return { ...dx, shape: [...inputShape] };
  };

  const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return identity({ inputs, backend, attrs: {} });
    (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };

  tf.registerGradient(meanGradient);
  for (const [kernelName, kernelFunc] of [
    ['Identity', sharedIdentity],
    ['BatchMatMul', fastMatMul],
    ['Conv2DBackpropInput', fastBackpropInput],
    ['MaxPoolGrad', maxPoolGrad],
  ] as const) {
    const { setupFunc, disposeFunc } = tf.getKernel(kernelName, 'wasm')!;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc, setupFunc, disposeFunc });
  }
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The max-pool gradient in plain loops over the wasm heap's data: each window's gradient goes to its first
 * maximum in row-major order (as on the cpu backend, NaN never being one), windows of every sign included.
 * The cpu backend's kernel, borrowed before, reads element by element through index arrays: 240 ms for
 * VGG16's block5_pool over 8 images (14 × 14 × 512), about a third of its whole head gradient.
 */
const maxPoolGrad: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const wasm = backend as tf.KernelBackend;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as PoolAttrs;
  const shape = input.shape as [number, number, number, number];
  const info = tf.backend_util.computePool2DInfo(shape, filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth, padInfo } = info;
  const x = wasm.readSync(input.dataId) as Float32Array;
  const gradient = wasm.readSync(dy.dataId) as Float32Array;
  const dx = new Float32Array(x.length);
  const best = new Float32Array(channels);
  const at = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    for (let outRow = 0; outRow < outHeight; outRow++) {
      const top = outRow * strideHeight - padInfo.top;
      const rowEnd = Math.min(inHeight, top + filterHeight);
      for (let outCol = 0; outCol < outWidth; outCol++) {
        const left = outCol * strideWidth - padInfo.left;
        const colEnd = Math.min(inWidth, left + filterWidth);
        best.fill(-Infinity);
        at.fill(-1);
        for (let row = Math.max(0, top); row < rowEnd; row++) {
          for (let col = Math.max(0, left); col < colEnd; col++) {
            const base = ((b * inHeight + row) * inWidth + col) * channels;
            for (let d = 0; d < channels; d++) {
              const value = x[base + d];
              if (value > best[d]) {
                best[d] = value;
                at[d] = base + d;
              }
            }
          }
        }
        const out = ((b * outHeight + outRow) * outWidth + outCol) * channels;
        for (let d = 0; d < channels; d++) if (at[d] >= 0) dx[at[d]] += gradient[out + d];
      }
    }
  }
  return { dataId: wasm.write(dx, input.shape, 'float32'), shape: input.shape, dtype: 'float32' };
};

/** tfjs-core's Mean gradient (dy / size at every reduced position), with its ones made by tf.fill. */
const meanGradient: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => {
    const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
    const expandedShape = x.shape.map((side, axis) => (axes.includes(axis) ? 1 : side));
    const reduceSize = axes.reduce((size, axis) => size * x.shape[axis], 1);
    return { x: () => tf.div(tf.mul(tf.reshape(dy as tf.Tensor, expandedShape), tf.fill(x.shape, 1, 'float32')), reduceSize) };
  },
};

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
