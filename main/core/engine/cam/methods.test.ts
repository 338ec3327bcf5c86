// Each method's formula on toy tensors, against numbers worked out by hand (Captum's style of test): one
// image, a 1 × 2 grid of 2 channels, so that every weight and map value can be checked on paper.
//   A (activations):  position 0 → channels [1, 2],     position 1 → [3, −1]
//   G (gradients):    position 0 → channels [0.5, −0.5], position 1 → [0.25, 2]
// Channel sums Σ_ij A_k: [4, 1]. The golden tests check the same formulas against pytorch-grad-cam on a
// real network; these say which term of a formula is wrong when one breaks.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backends';
import { camMethods, type CamFormula } from './methods';

const A = [1, 2, 3, -1];
const G = [0.5, -0.5, 0.25, 2];

function mapOf(method: CamFormula, activations: number[], shape: [number, number, number, number], input: number[]): number[] {
  return tf.tidy(() => {
    const a = tf.tensor4d(activations, shape);
    const n = shape[0];
    switch (method.uses) {
      case 'gradients':
        return Array.from(method.map(a, tf.tensor4d(input, shape)).dataSync());
      case 'channel-scores':
        return Array.from(method.map(a, tf.tensor2d(input, [n, shape[3]])).dataSync());
      case 'activations':
        return Array.from(method.map(a).dataSync());
    }
  });
}

const gradientMap = (name: keyof typeof camMethods) => mapOf(camMethods[name], A, [1, 1, 2, 2], G);

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(value, `position ${i}`).toBeCloseTo(expected[i], 5));
}

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('gradient methods', () => {
  it('Grad-CAM weighs each channel by its mean gradient: w = [0.375, 0.75]', () => {
    // 0.375·1 + 0.75·2, 0.375·3 + 0.75·(−1)
    expectClose(gradientMap('GradCAM'), [1.875, 0.375]);
  });

  it('HiResCAM sums gradient × activation over channels', () => {
    // 0.5·1 − 0.5·2, 0.25·3 + 2·(−1)
    expectClose(gradientMap('HiResCAM'), [-0.5, -1.25]);
  });

  it('Grad-CAM++ weighs by Σ α·relu(G), α = G² / (2G² + ΣA·G³): w = [5/24, 1/2]', () => {
    // Channel 0: α = 0.25 / (0.5 + 4·0.125) = 1/4 and 0.0625 / (0.125 + 4·0.015625) = 1/3, so
    // w₀ = 1/4·0.5 + 1/3·0.25 = 5/24; channel 1: position 0 has a negative gradient (relu → 0),
    // position 1: α = 4 / (8 + 1·8) = 1/4, w₁ = 1/4·2 = 1/2.
    expectClose(gradientMap('GradCAMPlusPlus'), [5 / 24 + 1 / 2 * 2, (5 / 24) * 3 - 1 / 2]);
  });

  it('XGradCAM weighs by Σ G·A / Σ A: w = [1.25 / 4, −3 / 1]', () => {
    // 0.3125·1 − 3·2, 0.3125·3 − 3·(−1)
    expectClose(gradientMap('XGradCAM'), [-5.6875, 3.9375]);
  });

  it('LayerCAM sums relu(G) × A, keeping a negative activation under a positive gradient', () => {
    // 0.5·1 + 0·2, 0.25·3 + 2·(−1)
    expectClose(gradientMap('LayerCAM'), [0.5, -1.25]);
  });

  it('the element-wise variant sums relu(G × A), dropping every negative product', () => {
    // relu(0.5) + relu(−1), relu(0.75) + relu(−2)
    expectClose(gradientMap('GradCAMElementWise'), [0.5, 0.75]);
  });

  it('keeps images apart: the second image of a batch gets its own weights', () => {
    const twice = mapOf(camMethods.GradCAM, [...A, ...A.map((v) => 2 * v)], [2, 1, 2, 2], [...G, ...G.map(() => 0)]);
    expectClose(twice, [1.875, 0.375, 0, 0]);
  });
});

describe('Score-CAM', () => {
  it('weighs channels by the softmax of their masked-input scores: [0, ln 3] → [1/4, 3/4]', () => {
    // 1/4·1 + 3/4·2, 1/4·3 + 3/4·(−1)
    expectClose(mapOf(camMethods.ScoreCAM, A, [1, 1, 2, 2], [0, Math.log(3)]), [1.75, 0]);
  });
});

describe('Eigen-CAM', () => {
  it('projects the centred activations on their first principal component, scaled by σ₁', () => {
    // A 1 × 3 grid whose channels are [1, 2], [2, 4], [3, 6]: centred, [−1, −2], [0, 0], [1, 2], of rank one,
    // v₁ = [1, 2]/√5 and R·v₁ = [−√5, 0, √5]. The middle position, the mean, maps to 0 however large it is.
    const values = [1, 2, 2, 4, 3, 6];
    expectClose(mapOf(camMethods.EigenCAM, values, [1, 1, 3, 2], []), [-Math.sqrt(5), 0, Math.sqrt(5)]);
  });

  it('orients the map to grow with the total activation at each position, image by image', () => {
    // The second image holds the positions in reverse order: its map is reversed, not negated.
    const values = [1, 2, 2, 4, 3, 6, 3, 6, 2, 4, 1, 2];
    expectClose(mapOf(camMethods.EigenCAM, values, [2, 1, 3, 2], []), [-Math.sqrt(5), 0, Math.sqrt(5), Math.sqrt(5), 0, -Math.sqrt(5)]);
  });
});
