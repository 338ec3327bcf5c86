// NHWC ↔ NCHW on plain arrays: the one place where the engine's channels-last tensors meet ONNX's
// channels-first ones (TF.js's wasm Transpose takes about a second for a batch of eight 224² images).
export type Dims4 = [number, number, number, number];

/** [n, h, w, c] → [n, c, h, w]. */
export function nhwcToNchw(data: Float32Array, [n, h, w, c]: Dims4): Float32Array {
  const out = new Float32Array(data.length);
  const plane = h * w;
  for (let image = 0; image < n; image++) {
    const base = image * plane * c;
    for (let p = 0; p < plane; p++) {
      const from = base + p * c;
      for (let k = 0; k < c; k++) out[base + k * plane + p] = data[from + k];
    }
  }
  return out;
}

/** [n, c, h, w] → [n, h, w, c]. */
export function nchwToNhwc(data: Float32Array, [n, c, h, w]: Dims4): Float32Array {
  const out = new Float32Array(data.length);
  const plane = h * w;
  for (let image = 0; image < n; image++) {
    const base = image * plane * c;
    for (let k = 0; k < c; k++) {
      const from = base + k * plane;
      for (let p = 0; p < plane; p++) out[base + p * c + k] = data[from + p];
    }
  }
  return out;
}
