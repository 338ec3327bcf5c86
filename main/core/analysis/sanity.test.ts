// Model randomisation on the real bundled model: Grad-CAM must react to the weights it explains.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../engine/index';
import { appPaths } from '../paths';
import { summarizeSanity, writeRandomizedModel } from './sanity';

const PHOTOS = ['235_german_shepherd/gcompris_dog.webp', '088_macaw/gcompris_scarlet_macaw.webp', '967_espresso/skimage_coffee.png'];
const tmp = mkdtempSync(join(tmpdir(), 'sightline-sanity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function maps(modelDir: string) {
  const engine = await createEngine({ modelDir });
  try {
    const size = engine.model.inputSize;
    const frames = await Promise.all(
      PHOTOS.map((p) => sharp(join(appPaths().samplesDir, p)).rotate().resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer()),
    );
    const pixels = new Uint8Array(Buffer.concat(frames));
    const results = await engine.explain({ pixels, count: PHOTOS.length, topK: 1000, camTopK: 1 });
    return results.map((r) => r.heatmaps[0]);
  } finally {
    await engine.dispose();
  }
}

describe('model-randomisation sanity check', () => {
  it('randomises exactly the top weighted layers and leaves the rest byte-identical', async () => {
    const out = join(tmp, 'top2');
    const layers = await writeRandomizedModel(appPaths().defaultModelDir, out, 2);
    expect(layers.sort()).toEqual(['conv_preds', 'conv_pw_13_bn']);
    const manifest = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[]; weights: { name: string }[] }[] };
    for (const group of manifest.weightsManifest) {
      const touched = group.weights.some((w) => layers.includes(w.name.split('/')[0]));
      for (const p of group.paths) {
        const same = readFileSync(join(out, p)).equals(readFileSync(join(appPaths().defaultModelDir, p)));
        expect(same, p).toBe(!touched);
      }
    }
  });

  it('Grad-CAM maps drift further from the trained ones as more top layers are randomised', async () => {
    const trained = await maps(appPaths().defaultModelDir);
    const similarities: number[] = [];
    for (const top of [1, 2, 4, 8]) {
      const out = join(tmp, `top-${top}`);
      const layers = await writeRandomizedModel(appPaths().defaultModelDir, out, top);
      similarities.push(summarizeSanity(trained, await maps(out), layers).similarity);
    }
    console.log(`[sanity] rank correlation with the trained maps after randomising the top 1/2/4/8 layers: ${similarities.map((s) => s.toFixed(2)).join(' / ')}`);
    expect(similarities[0]).toBeLessThan(0.9);
    expect(similarities[3]).toBeLessThan(similarities[0]);
    const unchanged = summarizeSanity(trained, trained, []);
    expect(unchanged.similarity).toBeCloseTo(1, 6);
    expect(unchanged.warning).toMatch(/barely change/);
  });
});
