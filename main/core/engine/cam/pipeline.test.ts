// The pipeline on a toy network whose numbers are worked out by hand: A is the input itself, the head is
// logits = mean_ij(A) · W, so the gradient of class c is W[k, c] / 2 at both positions of a 1 × 2 grid and
// Grad-CAM's channel weights are W[:, c] / 2.
//   image 0: A = [1, 2], [3, −1] → mean [2, 0.5]  → logits [2, 0.5, 3.5]: top classes 2, 0
//   image 1: A = [0, 1], [0, 1]  → mean [0, 1]    → logits [0, 1, −1]:   top classes 1, 0
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backends';
import type { CamNetwork, CamTarget } from './network';
import { explainBatch } from './pipeline';

const W = [
  [1, 0, 2],
  [0, 1, -1],
];
const head = (a: tf.Tensor4D): tf.Tensor2D => tf.matMul(tf.mean(tf.reshape(a, [a.shape[0], -1, 2]), 1) as tf.Tensor2D, tf.tensor2d(W));

/** A network whose target tensor `A` is its input (as tokens when `classToken` is given, before the grid). */
function toyNetwork(classToken?: number[]): CamNetwork<string> {
  return {
    run: async (x, tensors = []) => {
      const kept = new Map<string, tf.Tensor>();
      if (tensors.includes('A')) {
        const token = classToken && tf.tile(tf.tensor3d(classToken, [1, 1, 2]), [x.shape[0], 1, 1]);
        kept.set('A', token ? tf.tidy(() => tf.concat([token, tf.reshape(x, [x.shape[0], -1, 2])], 1)) : x.clone());
        token?.dispose();
      }
      return { logits: tf.tidy(() => head(x)), kept };
    },
  };
}

const target = (layout?: 'tokens', shape: [number, number, number] = [1, 2, 2]): CamTarget<string> => ({
  layer: { name: 'A', shape, ...(layout && { layout }) },
  tensor: 'A',
  constants: [],
  head: (a) => head(a),
});

const batch = () => tf.tensor4d([1, 2, 3, -1, 0, 1, 0, 1], [2, 1, 2, 2]);

function expectMaps(actual: Float32Array[], expected: number[][]): void {
  actual.forEach((map, i) => Array.from(map).forEach((value, j) => expect(value, `map ${i}, position ${j}`).toBeCloseTo(expected[i][j], 5)));
}

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('explainBatch', () => {
  it('gives every (image, class rank) its own gradient from one pass over the ranks', async () => {
    const x = batch();
    const before = tf.memory().numTensors;
    const [first, second] = await explainBatch(toyNetwork(), target(), x, { method: 'GradCAM', topK: 3, camTopK: 2 });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    expect(first.top.map((t) => t.index)).toEqual([2, 0, 1]);
    expect(second.top.map((t) => t.index)).toEqual([1, 0, 2]);
    expect(first.maps.map((m) => m.classIndex)).toEqual([2, 0]);
    expect(second.maps.map((m) => m.classIndex)).toEqual([1, 0]);
    // Image 0, class 2: w = [2, −1] / 2 → [1 − 1, 3 + 0.5]; class 0: w = [0.5, 0] → [0.5, 1.5].
    expectMaps(
      first.maps.map((m) => m.preRelu),
      [
        [0, 3.5],
        [0.5, 1.5],
      ],
    );
    // Image 1, class 1: w = [0, 0.5] → [0.5, 0.5]; class 0: w = [0.5, 0] → [0, 0].
    expectMaps(
      second.maps.map((m) => m.preRelu),
      [
        [0.5, 0.5],
        [0, 0],
      ],
    );
  });

  it('maps the classes asked for, in the order asked', async () => {
    const x = batch();
    const explained = await explainBatch(toyNetwork(), target(), x, { method: 'HiResCAM', topK: 1, camTopK: 0, classes: [[1], [2]] });
    x.dispose();
    // HiResCAM: Σ_k G_k·A_k with G = W[:, c] / 2. Image 0, class 1: [2 / 2, −1 / 2]; image 1, class 2: [−1 / 2, −1 / 2].
    expectMaps(
      explained.map((image) => image.maps[0].preRelu),
      [
        [1, -0.5],
        [-0.5, -0.5],
      ],
    );
  });

  it('drops a token target’s class token before the methods see the grid', async () => {
    // Image 0's two positions twice over, as a 2 × 2 grid of tokens after a class token: the same logits,
    // class 2's gradient W[:, 2] / 4 = [0.5, −0.25], and the map [0.5 − 0.5, 1.5 + 0.25] twice.
    const x = tf.tensor4d([1, 2, 3, -1, 1, 2, 3, -1], [1, 2, 2, 2]);
    const [image] = await explainBatch(toyNetwork([100, -100]), target('tokens', [2, 2, 2]), x, { method: 'GradCAM', topK: 1, camTopK: 1 });
    x.dispose();
    expectMaps([image.maps[0].preRelu], [[0, 1.75, 0, 1.75]]);
  });

  it('repeats per class rank only the constants that carry the batch, or runs the head once per rank', async () => {
    // The same head with W fetched from the run as a constant with no batch axis, and the batch's own size,
    // which only a head on the network's batch may read.
    const network: CamNetwork<string> = {
      run: async (x, tensors = []) => {
        const kept = new Map<string, tf.Tensor>();
        if (tensors.includes('A')) kept.set('A', x.clone());
        if (tensors.includes('W')) kept.set('W', tf.tensor2d(W));
        if (tensors.includes('n')) kept.set('n', tf.tensor1d([x.shape[0]], 'int32'));
        return { logits: tf.tidy(() => head(x)), kept };
      },
    };
    const withW = (a: tf.Tensor4D, constants: Map<string, tf.Tensor>): tf.Tensor2D =>
      tf.matMul(tf.mean(tf.reshape(a, [a.shape[0], -1, 2]), 1) as tf.Tensor2D, constants.get('W') as tf.Tensor2D);
    const unbatched: CamTarget<string> = { ...target(), constants: ['W'], unbatched: new Set(['W']), head: withW };
    const perRank: CamTarget<string> = {
      ...target(),
      constants: ['n'],
      passPerRank: true,
      head: (a, constants) => {
        if (a.shape[0] !== constants.get('n')!.dataSync()[0]) throw new Error(`the head got ${a.shape[0]} rows`);
        return head(a);
      },
    };
    for (const [name, t] of [['unbatched', unbatched], ['pass per rank', perRank]] as const) {
      const x = batch();
      const before = tf.memory().numTensors;
      const [first, second] = await explainBatch(network, t, x, { method: 'GradCAM', topK: 3, camTopK: 2 });
      expect(tf.memory().numTensors, name).toBe(before);
      x.dispose();
      // As in the first test.
      expectMaps([...first.maps, ...second.maps].map((m) => m.preRelu), [[0, 3.5], [0.5, 1.5], [0.5, 0.5], [0, 0]]);
    }
  });

  it('says why a gradient method cannot run when the head could not be rebuilt', async () => {
    const x = batch();
    const noHead = { ...target(), head: 'the head holds a Loop node' };
    await expect(explainBatch(toyNetwork(), noHead, x, { method: 'LayerCAM', topK: 1, camTopK: 1 })).rejects.toThrow(
      'LayerCAM needs gradients, but the head holds a Loop node',
    );
    x.dispose();
  });
});
