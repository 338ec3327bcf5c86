// A DeiT as timm builds and torch.onnx.export writes it (__fixtures__/timm/make_timm_fixtures.py): its attention is
// batch-first, so its insides ([n, heads, tokens, tokens] scores, [n, heads, head size, tokens] keys, the packed q, k
// and v) have the batch first like the image's grids. The default must be pytorch-grad-cam's ViT target,
// blocks[-1].norm1, with its map; the attention's insides must not be offered as layers.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../local-engine';

const dir = fileURLToPath(new URL('../../__fixtures__/timm/deit_mini', import.meta.url));
const reference = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as {
  probs: number[][];
  top: number[];
  map_shape: [number, number];
  maps: number[][];
};
const pixels = new Uint8Array(readFileSync(path.join(dir, 'inputs.u8')));

describe('timm DeiT (deit_mini) as an ONNX file', () => {
  let engine: LocalEngine;
  beforeAll(async () => {
    engine = await LocalEngine.create({ modelDir: dir, backend: 'wasm' });
  });
  afterAll(() => engine?.dispose());

  it('targets the last block’s norm1 by default, a 4 × 4 token grid, and offers no attention inside as a layer', () => {
    const { layer, layerShape, candidateLayers } = engine.model;
    expect(layer).toBe('/blocks/blocks.1/norm1/LayerNormalization_output_0');
    expect(layerShape).toEqual([4, 4, 16]);
    expect(candidateLayers.find((candidate) => candidate.name === layer)).toMatchObject({ layout: 'tokens' });
    // Every grid is the image's 4 × 4: no 17 × 17 attention scores, no [heads, head size] keys.
    const others = candidateLayers.filter((candidate) => candidate.shape[0] !== 4 || candidate.shape[1] !== 4);
    expect(others.map((candidate) => `${candidate.name} ${JSON.stringify(candidate.shape)}`)).toEqual([]);
    // Nor the packed q, k and v, which the norm feeds.
    expect(candidateLayers.map((candidate) => candidate.name).filter((name) => /\/qkv\//.test(name))).toEqual([]);
  });

  it('gives the model’s probabilities and the Grad-CAM map of timm’s own gradients at norm1', async () => {
    const results = await engine.explain({ pixels: pixels.slice(), count: 2, topK: 5, camTopK: 1, method: 'GradCAM' });
    results.forEach((result, image) => {
      expect(result.top[0].index).toBe(reference.top[image]);
      for (const { index, prob } of result.top) expect(Math.abs(prob - reference.probs[image][index])).toBeLessThan(1e-5);
      const [map] = result.heatmaps;
      expect([map.h, map.w]).toEqual(reference.map_shape);
      const maximum = Math.max(...reference.maps[image]);
      expect(maximum).toBeGreaterThan(0);
      const error = Math.max(...reference.maps[image].map((value, i) => Math.abs(value - map.values[i])));
      expect(error / maximum, `image ${image}`).toBeLessThan(1e-4);
    });
  });

  it('gives maps for the top 3 classes, as the app asks', async () => {
    const results = await engine.explain({ pixels: pixels.slice(), count: 2, topK: 3, camTopK: 3, method: 'GradCAM' });
    for (const result of results) {
      expect(result.heatmaps.map((map) => map.classIndex)).toEqual(result.top.map((top) => top.index));
      for (const map of result.heatmaps) expect(map.values.every(Number.isFinite)).toBe(true);
    }
  });
});
