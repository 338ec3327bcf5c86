// A DeiT as timm builds and torch.onnx.export writes it (__fixtures__/timm/make_timm_fixtures.py): its attention is
// batch-first, so its insides ([n, heads, tokens, tokens] scores, [n, heads, head size, tokens] keys, the packed q, k
// and v) have the batch first like the image's grids. The default must be pytorch-grad-cam's ViT target,
// blocks[-1].norm1, with its map; the attention's insides must not be offered as layers.
// Then a LeViT and a CoaT-Lite, as timm initialises them (random weights): LeViT's tokens are pooled, so its target is
// the last stage's block output, though the BatchNorms closing its residual branches start at weight 0 (those
// branches do not reach the class scores); CoaT reads its class token, so its target is the last block's norm1 as
// for a ViT, and no inside of its factorized attention (the [n, heads, size, size] product, the convolutions over
// the values by head) may be the default, nor be offered.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../local-engine';

interface Reference {
  probs: number[][];
  top: number[];
  map_shape: [number, number];
  maps: number[][];
}

function fixture(name: string): { dir: string; reference: Reference; pixels: Uint8Array } {
  const dir = fileURLToPath(new URL(`../../__fixtures__/timm/${name}`, import.meta.url));
  const reference = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as Reference;
  return { dir, reference, pixels: new Uint8Array(readFileSync(path.join(dir, 'inputs.u8'))) };
}

/** The model's probabilities and, at its default layer, the Grad-CAM map of timm's own gradients (reference.json). */
async function expectTimmMaps(engine: LocalEngine, { reference, pixels }: { reference: Reference; pixels: Uint8Array }): Promise<void> {
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
}

const { dir, reference, pixels } = fixture('deit_mini');

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
    await expectTimmMaps(engine, { reference, pixels });
  });

  it('gives maps for the top 3 classes, as the app asks', async () => {
    const results = await engine.explain({ pixels: pixels.slice(), count: 2, topK: 3, camTopK: 3, method: 'GradCAM' });
    for (const result of results) {
      expect(result.heatmaps.map((map) => map.classIndex)).toEqual(result.top.map((top) => top.index));
      for (const map of result.heatmaps) expect(map.values.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('timm LeViT (levit_mini) as an ONNX file', () => {
  const levit = fixture('levit_mini');
  let engine: LocalEngine;
  beforeAll(async () => {
    engine = await LocalEngine.create({ modelDir: levit.dir, backend: 'wasm' });
  });
  afterAll(() => engine?.dispose());

  it('targets the last stage’s last block output by default, its 4 × 4 tokens, not the downsampling attention', () => {
    const { layer, layerShape, candidateLayers } = engine.model;
    expect(layer).toBe('/stages/stages.2/blocks/blocks.1/Add_1_output_0');
    expect(layerShape).toEqual([4, 4, 32]);
    expect(candidateLayers.find((candidate) => candidate.name === layer)).toMatchObject({ layout: 'tokens' });
    // The last stage's tokens are all offered, the residual branches that do not reach the scores included.
    expect(candidateLayers.filter((candidate) => candidate.name.startsWith('/stages/stages.2/blocks/')).length).toBeGreaterThan(20);
  });

  it('gives the model’s probabilities and the Grad-CAM map of timm’s own gradients at stages[-1].blocks[-1]', async () => {
    await expectTimmMaps(engine, levit);
  });
});

describe('timm CoaT-Lite (coat_mini) as an ONNX file', () => {
  const coat = fixture('coat_mini');
  let engine: LocalEngine;
  beforeAll(async () => {
    engine = await LocalEngine.create({ modelDir: coat.dir, backend: 'wasm' });
  });
  afterAll(() => engine?.dispose());

  it('targets the last block’s norm1 by default, a 7 × 7 token grid, and offers no inside of its attention', () => {
    const { layer, layerShape, candidateLayers } = engine.model;
    expect(layer).toBe('/serial_blocks4.1/norm1/LayerNormalization_output_0');
    expect(layerShape).toEqual([7, 7, 40]);
    expect(candidateLayers.find((candidate) => candidate.name === layer)).toMatchObject({ layout: 'tokens' });
    // The attention hands back tokens ([n, 1 + s², c]); what it computes on the way is no grid of the image.
    const insides = candidateLayers.filter((candidate) => candidate.name.includes('/factoratt_crpe/') && candidate.layout !== 'tokens');
    expect(insides.map((candidate) => `${candidate.name} ${JSON.stringify(candidate.shape)}`)).toEqual([]);
    // Every stage's tokens are offered, up to the default.
    expect(candidateLayers.at(-1)?.name).toBe(layer);
    expect(candidateLayers.some((candidate) => candidate.name === '/serial_blocks4.0/Add_1_output_0')).toBe(true);
  });

  it('gives the model’s probabilities and the Grad-CAM map of timm’s own gradients at serial_blocks4[-1].norm1', async () => {
    await expectTimmMaps(engine, coat);
  });
});
