// What a rebuilt ONNX head reads from the network run besides the target, and how the CAM pipeline batches it
// when one gradient pass covers several class ranks (rows rank × image): weights that PyTorch's exporter hands
// on through Identity nodes are the head's own parameters; a weight the head cannot compute itself comes from
// the run and has no batch axis, so it is not repeated; a tensor with its batch on another axis, or one
// computed from shapes (it holds the batch size), makes the head run once per rank on the network's batch.
// Each model's top-3 maps must equal the maps each class gets on its own.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backends';
import { seededValues } from '../../test-support/model-files';
import { GraphBuilder, floatValueInfo, onnx } from './graph-builder';
import { buildOnnxHead } from './onnx-head';
import { loadOnnxModel } from './onnx-model';
import { relativeError } from './test-support/compare';

const SIZE = 8;
const CLASSES = 5;
const TARGET = '/target/Relu_output_0';

let workDir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-head-constants-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function weights(b: GraphBuilder, name: string, dims: number[], seed: number, scale = 0.5): string {
  return b.floats(name, seededValues(dims.reduce((p, s) => p * s, 1), seed).map((v) => v * scale), dims);
}

/**
 * input [N, 3, 8, 8] → Conv → Conv → Relu (the target, 4 channels) → … → GlobalAveragePool → Gemm (5).
 * `shared`: the pooled features are scaled by a weight that comes through two Identity nodes and shifted by
 * one made by Tile (an op the head does not rebuild), and the Gemm's weight and bias come through Identity. `batchElsewhere`: the head adds a skip
 * connection that the graph holds as [C, N, h, w], and flattens with a shape computed from Shape(input).
 */
function model({ shared = false, batchElsewhere = false }): Uint8Array {
  const b = new GraphBuilder();
  const input = b.reserve('input');
  const pre = b.op('Conv', [input, weights(b, 'pre.weight', [4, 3, 3, 3], 1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, '/pre/Conv');
  const conv = b.op('Conv', [pre, weights(b, 'conv.weight', [4, 4, 3, 3], 2), weights(b, 'conv.bias', [4], 3)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, '/target/Conv');
  let x = b.op('Relu', [conv], {}, '/target/Relu', b.reserve(TARGET));
  if (batchElsewhere) {
    const skip = b.op('Transpose', [pre], { perm: [1, 0, 2, 3] }, '/skip/Transpose');
    const turned = b.op('Transpose', [x], { perm: [1, 0, 2, 3] }, '/head/Transpose');
    x = b.op('Transpose', [b.op('Add', [turned, skip], {}, '/head/Add')], { perm: [1, 0, 2, 3] }, '/head/Transpose');
  }
  const pooled = b.op('GlobalAveragePool', [x], {}, '/gap/GlobalAveragePool');
  let flat: string;
  if (batchElsewhere) {
    const batch = b.op('Gather', [b.op('Shape', [input], {}, '/shape/Shape'), b.int64s('/shape/zero', [0])], { axis: 0 }, '/shape/Gather');
    const shape = b.op('Concat', [batch, b.int64s('/shape/rest', [-1])], { axis: 0 }, '/shape/Concat');
    flat = b.op('Reshape', [pooled, shape], {}, '/flat/Reshape');
  } else flat = b.op('Flatten', [pooled], { axis: 1 }, '/flat/Flatten');
  let weight = weights(b, 'fc.weight', [CLASSES, 4], 4, 1);
  let bias = weights(b, 'fc.bias', [CLASSES], 5);
  if (shared) {
    // Per-feature scale and shift (as a LayerNorm's), which a copy per rank would no longer broadcast against.
    const scale = b.op('Identity', [b.op('Identity', [weights(b, 'norm.weight', [4], 6, 0.5)], {}, 'tied.weight')], {}, 'classifier.norm.weight');
    const shift = b.op('Tile', [weights(b, 'norm.bias', [1], 7), b.int64s('norm.repeats', [4])], {}, '/norm/Tile');
    flat = b.op('Add', [b.op('Mul', [flat, scale], {}, '/norm/Mul'), shift], {}, '/norm/Add');
    weight = b.op('Identity', [weight], {}, 'classifier.weight');
    bias = b.op('Identity', [bias], {}, 'classifier.bias');
  }
  b.op('Gemm', [flat, weight, bias], { transB: 1 }, '/fc/Gemm', b.reserve('logits'));
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'torch-jit-export', node: b.nodes, initializer: b.initializers, input: [floatValueInfo('input', ['n', 3, SIZE, SIZE])], output: [floatValueInfo('logits', ['n', CLASSES])] },
  });
  return onnx.ModelProto.encode(proto).finish();
}

async function load(name: string, bytes: Uint8Array) {
  const file = path.join(workDir, `${name}.onnx`);
  writeFileSync(file, bytes);
  return loadOnnxModel(file);
}

/** Every gradient method's top-3 maps against the maps of each class alone, for 3 images. */
async function expectTopThreeAsAlone(explainer: Awaited<ReturnType<typeof load>>['explainer']): Promise<void> {
  const x = tf.tensor4d(seededValues(3 * SIZE * SIZE * 3, 7).map((v) => v * 2), [3, SIZE, SIZE, 3]);
  try {
    for (const method of ['GradCAM', 'HiResCAM', 'LayerCAM'] as const) {
      const together = await explainer.explainTensor(x, { method, topK: 3, camTopK: 3 });
      for (let rank = 0; rank < 3; rank++) {
        const classes = together.map((image) => [image.top[rank].index]);
        const alone = await explainer.explainTensor(x, { method, topK: 3, camTopK: 0, classes });
        together.forEach((image, i) => {
          expect(image.maps[rank].classIndex).toBe(classes[i][0]);
          expect(image.maps[rank].preRelu.some((value) => value !== 0), `${method} rank ${rank}`).toBe(true);
          expect(relativeError(image.maps[rank].preRelu, alone[i].maps[0].preRelu), `${method} image ${i} rank ${rank}`).toBeLessThan(1e-5);
        });
      }
    }
  } finally {
    x.dispose();
  }
}

describe('constants of a rebuilt ONNX head', () => {
  it('reads weights passed on through Identity nodes as its own, and takes a weight from the run once for every rank', async () => {
    const bytes = model({ shared: true });
    const { explainer, info } = await load('shared', bytes);
    try {
      const layer = info.candidateLayers.find((candidate) => candidate.name === TARGET)!;
      const head = buildOnnxHead(onnx.ModelProto.decode(bytes), layer, 'logits');
      if (typeof head === 'string') throw new Error(head);
      // The Identity outputs are parameters, not tensors from the run.
      expect(head.constants).toEqual(['/norm/Tile']);
      expect(head.unbatched).toEqual(['/norm/Tile']);
      expect(head.fromShapes).toEqual([]);
      const target = explainer.target(TARGET);
      expect(target.passPerRank).toBe(false);
      expect([...target.unbatched!]).toEqual(['/norm/Tile']);
      await expectTopThreeAsAlone(explainer);
    } finally {
      await explainer.dispose();
    }
  });

  it('runs the head once per rank where a constant has its batch on another axis or holds the batch size', async () => {
    const bytes = model({ batchElsewhere: true });
    const { explainer, info } = await load('batch-elsewhere', bytes);
    try {
      const layer = info.candidateLayers.find((candidate) => candidate.name === TARGET)!;
      const head = buildOnnxHead(onnx.ModelProto.decode(bytes), layer, 'logits');
      if (typeof head === 'string') throw new Error(head);
      expect(new Set(head.constants)).toEqual(new Set(['/skip/Transpose', '/shape/Concat']));
      expect(head.unbatched).toEqual([]);
      expect(head.fromShapes).toEqual(['/shape/Concat']);
      expect(explainer.target(TARGET).passPerRank).toBe(true);
      await expectTopThreeAsAlone(explainer);
    } finally {
      await explainer.dispose();
    }
  });
});
