// Eigen-CAM's map: the centred activations projected on their first right singular vector, R·v₁ = σ₁·u₁,
// with u₁ the leading eigenvector of R·Rᵀ (h·w × h·w, much smaller than C × C), found in float64.
import * as tf from '@tensorflow/tfjs-core';

const MAX_ITERATIONS = 2000;
const CONVERGED = 1e-13;

/** [N, h, w, C] → [N, h, w]. */
export function principalComponentMaps(activations: tf.Tensor4D): tf.Tensor3D {
  const [n, h, w, c] = activations.shape;
  const values = activations.dataSync() as Float32Array;
  const maps = new Float32Array(n * h * w);
  for (let image = 0; image < n; image++) {
    const size = h * w * c;
    maps.set(principalComponentMap(values.subarray(image * size, (image + 1) * size), h * w, c), image * h * w);
  }
  return tf.tensor3d(maps, [n, h, w]);
}

/**
 * The singular vector's sign is arbitrary; we orient the map so that it grows with the total activation
 * at each position (the reference library leaves it to LAPACK, so compare up to sign).
 */
function principalComponentMap(values: Float32Array, positions: number, channels: number): Float64Array {
  const centred = new Float64Array(positions * channels);
  for (let k = 0; k < channels; k++) {
    let mean = 0;
    for (let i = 0; i < positions; i++) mean += values[i * channels + k];
    mean /= positions;
    for (let i = 0; i < positions; i++) centred[i * channels + k] = values[i * channels + k] - mean;
  }
  const gram = new Float64Array(positions * positions);
  for (let i = 0; i < positions; i++) {
    for (let j = i; j < positions; j++) {
      let dot = 0;
      for (let k = 0; k < channels; k++) dot += centred[i * channels + k] * centred[j * channels + k];
      gram[i * positions + j] = dot;
      gram[j * positions + i] = dot;
    }
  }
  const { vector, value } = leadingEigenvector(gram, positions);
  const sigma = Math.sqrt(Math.max(value, 0));
  const map = vector.map((u) => u * sigma);
  let orientation = 0;
  for (let i = 0; i < positions; i++) {
    let activationMass = 0;
    for (let k = 0; k < channels; k++) activationMass += values[i * channels + k];
    orientation += map[i] * activationMass;
  }
  return orientation < 0 ? map.map((m) => -m) : map;
}

/**
 * Power iteration on a symmetric positive semi-definite matrix. It starts from the row with the largest
 * diagonal entry: a uniform start would be orthogonal to every eigenvector here, since centring puts the
 * all-ones vector in the null space of R·Rᵀ.
 */
function leadingEigenvector(matrix: Float64Array, size: number): { vector: Float64Array; value: number } {
  let start = 0;
  for (let i = 1; i < size; i++) if (matrix[i * size + i] > matrix[start * size + start]) start = i;
  let vector = matrix.slice(start * size, (start + 1) * size);
  let value = 0;
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    const next = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      let sum = 0;
      for (let j = 0; j < size; j++) sum += matrix[i * size + j] * vector[j];
      next[i] = sum;
    }
    const norm = Math.hypot(...next);
    if (norm === 0) return { vector: next, value: 0 };
    let change = 0;
    for (let i = 0; i < size; i++) {
      next[i] /= norm;
      change = Math.max(change, Math.abs(next[i] - vector[i]));
    }
    vector = next;
    value = norm;
    if (change < CONVERGED) break;
  }
  return { vector, value };
}
