// The model zoo (__fixtures__/zoo/README.md): eight PyTorch-exported classifiers, from ResNet to ViT and Swin,
// through the real engine (LocalEngine on model.onnx, the photos' bytes as the scan stage hands them over):
// the default layer is the one pytorch-grad-cam's recipes target, the top-5 classes are PyTorch's, and every
// method's map equals pytorch-grad-cam's within 1e-4 of the map's maximum.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CamMethod } from '../../../../../common/types';
import { LocalEngine } from '../../local-engine';

const ZOO = path.join(__dirname, '..', '..', '__fixtures__', 'zoo');
const TOLERANCE = 1e-4;
/**
 * reference.json rounds every value to 7 decimals: ±5e-8 of each cell is the file's, not ours. It matters
 * where a map's maximum is small: MobileNetV3's gradient maps peak at 2e-5 to 2e-4 (5e-8 of 2.3e-5 is 2.1e-3
 * of the maximum), Swin's HiResCAM at 1.2e-6 (LayerNorm after the target makes Σ_c A·∂y/∂A vanish but for
 * its epsilon).
 */
const ROUNDING = 5e-8;

interface ReferenceMap {
  classes: number[];
  shape: [number, number, number];
  values: number[][][];
  /** EigenCAM: the projection before ReLU, whose sign is arbitrary. */
  pre_relu?: number[][][];
}

interface Reference {
  target_tensor: string;
  reshape: 'none' | 'nhwc' | 'vit-tokens';
  top5: number[][];
  maps: Record<string, ReferenceMap>;
}

interface Family {
  family: string;
  layout: 'nchw' | 'nhwc' | 'tokens';
  tolerance?: Partial<Record<CamMethod, number>>;
  /** Tensors that must not be candidates. */
  excluded?: string[];
}

const FAMILIES: Family[] = [
  { family: 'resnet', layout: 'nchw' },
  { family: 'vgg_mini', layout: 'nchw' },
  { family: 'mobilenet_v3', layout: 'nchw' },
  { family: 'efficientnet', layout: 'nchw' },
  // XGradCAM divides by each channel's sum of activations: signed BatchNorm outputs here, whose sum over the
  // grid is 1.2e-3 of its absolute sum for one channel (README).
  { family: 'densenet', layout: 'nchw', tolerance: { XGradCAM: 2e-3 } },
  // The classifier's LayerNorm2d runs channels-last on the pooled [n, 1, 1, 128]: no grid.
  { family: 'convnext', layout: 'nchw', excluded: ['/classifier/classifier.0/Transpose_output_0', '/classifier/classifier.0/LayerNormalization_output_0'] },
  // After the last attention only the class token reaches the class scores: the final norm's grid does not.
  { family: 'vit', layout: 'tokens', excluded: ['/encoder/ln/LayerNormalization_output_0', '/encoder/layers/encoder_layer_1/Add_1_output_0'] },
  // The same for Swin's residual stream: 5.6e-4 of the absolute sum for one channel. HiResCAM's Σ_c A·∂y/∂A
  // is what the LayerNorm after the target leaves of terms that cancel (its maps peak at 2e-6, those of
  // GradCAMElementWise, the same terms after ReLU, at 0.02): float32 rounding of that sum, about 1e-9, is
  // 1e-3 of the map's maximum in any implementation.
  { family: 'swin', layout: 'nhwc', tolerance: { XGradCAM: 2e-3, HiResCAM: 5e-3 } },
];

/** max |ours − reference| beyond the file's rounding, / max(reference), over one image's map (infinite for a zero reference). */
function errorOf(ours: Float32Array, reference: number[][]): number {
  const flat = reference.flat();
  return flat.reduce((worst, value, i) => Math.max(worst, Math.abs(ours[i] - value) - ROUNDING), 0) / Math.max(...flat);
}

for (const { family, layout, tolerance = {}, excluded = [] } of FAMILIES) {
  describe(`zoo: ${family}`, () => {
    const dir = path.join(ZOO, family);
    const reference = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as Reference;
    const pixels = new Uint8Array(readFileSync(path.join(dir, 'inputs.u8')));
    const count = reference.top5.length;
    let engine: LocalEngine;
    beforeAll(async () => {
      engine = await LocalEngine.create({ modelDir: dir, backend: 'wasm' });
    });
    afterAll(() => engine?.dispose());

    it(`defaults to pytorch-grad-cam's target layer, a ${layout} grid`, () => {
      const { layer, layerShape, candidateLayers } = engine.model;
      expect(layer).toBe(reference.target_tensor);
      const [h, w] = reference.maps['GradCAM@0'].shape.slice(1);
      expect(layerShape.slice(0, 2)).toEqual([h, w]);
      expect(candidateLayers.find((candidate) => candidate.name === layer)).toMatchObject({ layout });
      expect(candidateLayers.filter((candidate) => excluded.includes(candidate.name))).toEqual([]);
    });

    it('gives PyTorch’s top-5 classes', async () => {
      const results = await engine.explain({ pixels, count, topK: 5, camTopK: 0 });
      expect(results.map((result) => result.top.map((top) => top.index))).toEqual(reference.top5);
    });

    it('gives pytorch-grad-cam’s map for every method', async () => {
      const errors: Record<string, number> = {};
      for (const [key, expected] of Object.entries(reference.maps)) {
        const method = key.split('@')[0] as CamMethod;
        const results = await engine.explain({ pixels, count, method, topK: 1, classes: expected.classes.map((c) => [c]) });
        errors[key] = Math.max(
          ...results.map(({ heatmaps: [map] }, image) => {
            expect(map.classIndex).toBe(expected.classes[image]);
            expect([map.h, map.w]).toEqual(expected.shape.slice(1));
            if (!expected.pre_relu) return errorOf(map.values, expected.values[image]);
            // Either sign of the principal component (README).
            const signs = [1, -1].map((sign) => expected.pre_relu![image].map((row) => row.map((value) => Math.max(sign * value, 0))));
            return Math.min(...signs.map((candidate) => errorOf(map.values, candidate)));
          }),
        );
      }
      console.log(`${family}: ${Object.entries(errors).map(([key, error]) => `${key} ${error.toExponential(1)}`).join(', ')}`);
      for (const [key, error] of Object.entries(errors)) {
        expect(error, key).toBeLessThan(tolerance[key.split('@')[0] as CamMethod] ?? TOLERANCE);
      }
    });

    // The app's default: maps for the top 3 classes, from one gradient pass over 3 × 4 rows. Heads that read
    // a parameter through an Identity node (PyTorch's export of a weight equal to another) or a skip connection
    // (ViT) must repeat only what carries the batch.
    it('gives each of the top 3 classes the map it gets alone (pytorch-grad-cam’s for ranks 1 and 2)', async () => {
      const results = await engine.explain({ pixels, count, method: 'GradCAM', topK: 3, camTopK: 3 });
      const third = await engine.explain({ pixels, count, method: 'GradCAM', topK: 3, classes: reference.top5.map((top) => [top[2]]) });
      const errors = [0, 1, 2].map((rank) =>
        Math.max(
          ...results.map(({ heatmaps }, image) => {
            expect(heatmaps.map((map) => map.classIndex)).toEqual(reference.top5[image].slice(0, 3));
            const map = heatmaps[rank].values;
            if (rank < 2) return errorOf(map, reference.maps[`GradCAM@${rank}`].values[image]);
            const alone = third[image].heatmaps[0];
            expect(alone.classIndex).toBe(heatmaps[2].classIndex);
            return errorOf(map, [Array.from(alone.values)]);
          }),
        ),
      );
      console.log(`${family} top 3: ${errors.map((error, rank) => `GradCAM@${rank} ${error.toExponential(1)}`).join(', ')}`);
      errors.forEach((error, rank) => expect(error, `rank ${rank}`).toBeLessThan(TOLERANCE));
    });
  });
}
