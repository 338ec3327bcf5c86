// Every CAM method gives the same maps on the wasm backend (with its borrowed cpu kernels and the fused
// forward pass) as on the pure-JavaScript cpu backend: VGG16, a residual net and the bundled MobileNet.
// Each backend runs the forward pass once per network and layer (the cpu backend needs seconds for it);
// every method then runs the rest of the real pipeline on those tensors. Score-CAM needs one forward pass
// per channel, so on VGG16 and MobileNet it runs only with SIGHTLINE_SLOW=1.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../../../common/types';
import { selectBackend } from './backends';
import { CAM_METHOD_NAMES, type CamMethod } from '../../../common/types';
import type { CamNetwork } from './cam/network';
import { explainBatch, type ImageExplanation } from './cam/pipeline';
import { loadModel } from './model';
import { defaultModelDir } from './paths';
import { LayersNetwork, layersTarget } from './runtimes/tfjs-layers/network';
import { smallResidualNet, vgg16 } from './test-support/architectures';
import { saveModelFolder, seededValues } from './test-support/model-files';

const TOLERANCE = 1e-4;
const SLOW = Boolean(process.env.SIGHTLINE_SLOW);

/** Reuses the first result for the batch it was made for; any other input (Score-CAM's masked images) runs for real. */
async function forwardOnce(network: LayersNetwork, x: tf.Tensor4D, keep: number[]): Promise<CamNetwork<number> & { dispose(): void }> {
  const first = await network.run(x, keep);
  return {
    run: async (input, tensors) =>
      input === x ? { logits: first.logits.clone(), kept: new Map([...first.kept].map(([id, t]) => [id, t.clone()])) } : network.run(input, tensors),
    dispose: () => {
      first.logits.dispose();
      first.kept.forEach((t) => t.dispose());
      network.dispose();
    },
  };
}

type MapsByMethod = Map<CamMethod, ImageExplanation[]>;

async function mapsOn(backend: BackendName, modelDir: string, input: Float32Array, layer: string, methods: CamMethod[]): Promise<MapsByMethod> {
  await selectBackend(backend);
  const model = await loadModel(modelDir);
  const target = layersTarget(model, layer);
  const x = tf.tensor4d(input, [1, model.inputSize, model.inputSize, 3]);
  const forward = await forwardOnce(new LayersNetwork(model.graph), x, [target.tensor, ...target.constants]);
  try {
    const maps: MapsByMethod = new Map();
    for (const method of methods) maps.set(method, await explainBatch(forward, target, x, { method, topK: 2, camTopK: 2 }));
    return maps;
  } finally {
    forward.dispose();
    x.dispose();
    model.dispose();
  }
}

/** max |wasm − cpu| / max |cpu| over the maps of both classes. */
function worstError(onWasm: ImageExplanation[], onCpu: ImageExplanation[]): number {
  let worst = 0;
  onCpu.forEach((explanation, image) => {
    expect(onWasm[image].top.map((t) => t.index)).toEqual(explanation.top.map((t) => t.index));
    explanation.maps.forEach((map, rank) => {
      const wasmMap = onWasm[image].maps[rank].preRelu;
      const scale = map.preRelu.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
      expect(scale).toBeGreaterThan(0);
      map.preRelu.forEach((value, i) => (worst = Math.max(worst, Math.abs(wasmMap[i] - value) / scale)));
    });
  });
  return worst;
}

async function expectSameMaps(name: string, modelDir: string, input: Float32Array, layer: string, methods: CamMethod[]) {
  const onWasm = await mapsOn('wasm', modelDir, input, layer, methods);
  const onCpu = await mapsOn('cpu', modelDir, input, layer, methods);
  const errors = methods.map((method) => [method, worstError(onWasm.get(method)!, onCpu.get(method)!)] as const);
  console.log(`${name} @ ${layer}: max |wasm − cpu| / max|cpu|\n${errors.map(([m, e]) => `  ${m}: ${e.toExponential(2)}`).join('\n')}`);
  for (const [method, error] of errors) expect(error, method).toBeLessThanOrEqual(TOLERANCE);
}

const cheapMethods = CAM_METHOD_NAMES.filter((method) => SLOW || method !== 'ScoreCAM');
if (!SLOW) console.log('wasm-vs-cpu: Score-CAM on VGG16 and MobileNet runs only with SIGHTLINE_SLOW=1 (minutes on the cpu backend)');

describe('wasm and cpu backends give the same maps for every method', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'sightline-backends-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function folderOf(build: () => Parameters<typeof saveModelFolder>[0], name: string): Promise<string> {
    await selectBackend('cpu');
    const dir = path.join(root, name);
    const model = build();
    await saveModelFolder(model, dir);
    model.dispose();
    return dir;
  }

  it('on a residual net with batch normalisation and a branch around the target layer', async () => {
    const dir = await folderOf(() => smallResidualNet(), 'residual');
    await expectSameMaps('residual net', dir, seededValues(32 * 32 * 3, 11), 'target_conv', [...CAM_METHOD_NAMES]);
  });

  it('on VGG16 at block5_conv3 (64² input, random weights)', async () => {
    const dir = await folderOf(() => vgg16(64, 10), 'vgg16');
    const input = seededValues(64 * 64 * 3, 12).map((value) => value * 120);
    await expectSameMaps('VGG16', dir, input, 'block5_conv3', cheapMethods);
  });

  it('on the bundled MobileNet at conv_pw_13_relu and conv_pw_11_relu', async () => {
    const goldenInput = fileURLToPath(new URL('./__fixtures__/golden/inputs/285_egyptian_cat.f32', import.meta.url));
    const input = new Float32Array(new Uint8Array(readFileSync(goldenInput)).buffer);
    for (const layer of ['conv_pw_13_relu', 'conv_pw_11_relu']) {
      await expectSameMaps('MobileNet', defaultModelDir(), input, layer, cheapMethods);
    }
  });
});
