// The engine figure that `--against` compares (against.ts): Grad-CAM top-3 through createEngine, 2 workers ×
// batch 8, on ONNX Runtime and on TF.js layers, for the bundled MobileNet and a VGG16 architecture. This one
// script measures both trees: it imports the engine of the tree named on its command line (createEngine and its
// options have not changed), so the two sides differ only in the engine's code, never in how they are measured.
// Each figure follows two warm-up requests per worker (the second request still pays for XNNPACK's weight
// packing and V8's tier-up) and spans at least MIN_SECONDS and MIN_REQUESTS per worker: a VGG16 request takes
// about 2 s, and a 2-second window held one or two of them. Each request names its layer: the engine before
// issue 13 took VGG16's block5_pool (7×7) by default, after it block5_conv3 (14×14, whose head has the pool and
// its gradient), so default layers would compare different work. Prints the maps' grid and the process's CPU
// time per image.
// Run: npx tsx bench/engine-side.ts [tree] (default: this tree).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKERS = 2;
const BATCH = 8;
const MIN_SECONDS = 6;
const MIN_REQUESTS = 3;
const WARM_UP_REQUESTS = 2;

interface EngineLike {
  explain(request: { pixels: Uint8Array; count: number; topK: number; camTopK: number; method: string; layer: string }): Promise<{ heatmaps: { h: number; w: number }[] }[]>;
  dispose(): Promise<void>;
  backend: { name: string; runtime?: { name: string; provider?: string } };
}

const here = fileURLToPath(new URL('..', import.meta.url));
const tree = path.resolve(process.argv[2] ?? here);
const engineModule = (await import(path.join(tree, 'main/core/engine/index.ts'))) as {
  createEngine(options: Record<string, unknown>): Promise<EngineLike>;
  defaultModelDir(): string;
};

/** VGG16 at 224² with random weights, written once by this tree (the same file for both sides of a run). */
async function vgg16Folder(): Promise<string> {
  const dir = path.join(os.tmpdir(), 'sightline-bench-vgg16-side');
  if (existsSync(path.join(dir, 'model.json'))) return dir;
  const { selectBackend } = await import('../main/core/engine/backends');
  const { vgg16 } = await import('../main/core/engine/test-support/architectures');
  const { saveModelFolder } = await import('../main/core/engine/test-support/model-files');
  await selectBackend('cpu');
  mkdirSync(dir, { recursive: true });
  const model = vgg16(224);
  await saveModelFolder(model, dir);
  model.dispose();
  return dir;
}

/** Deterministic pixels: both sides explain the same bytes. */
const pixels = () => new Uint8Array(BATCH * 224 * 224 * 3).map((_, i) => (i * 37 + (i >> 9)) % 251);

async function measure(modelDir: string, layer: string, runtime: 'onnx' | 'tfjs', cacheDir: string) {
  const engine = await engineModule.createEngine({ modelDir, backend: 'wasm', workers: WORKERS, batchSize: BATCH, runtime, onnxCacheDir: cacheDir });
  try {
    const run = () => engine.explain({ pixels: pixels(), count: BATCH, topK: 3, camTopK: 3, method: 'GradCAM', layer });
    let grid = '';
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      for (let i = 0; i < WARM_UP_REQUESTS; i++) {
        const [{ heatmaps: [map] }] = await run();
        grid = `${map.h}×${map.w}`;
      }
    }));
    let images = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      for (let requests = 0; requests < MIN_REQUESTS || performance.now() - start < MIN_SECONDS * 1000; requests++) {
        await run();
        images += BATCH;
      }
    }));
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    const { name, runtime: reported } = engine.backend;
    return {
      reported: reported?.name === 'onnxruntime' ? `onnxruntime (${reported.provider}), head on ${name}` : `${reported?.name ?? 'tfjs-layers'} on ${name}`,
      grid,
      imagesPerSec: images / seconds,
      cpuMsPerImage: (used.user + used.system) / 1000 / images,
    };
  } finally {
    await engine.dispose();
  }
}

const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-side-cache-'));
try {
  const models = [
    { model: 'MobileNet v1 0.75 (conv_pw_13_relu, 7×7)', layer: 'conv_pw_13_relu', dir: engineModule.defaultModelDir() },
    { model: 'VGG16, random weights (block5_conv3, 14×14)', layer: 'block5_conv3', dir: await vgg16Folder() },
  ];
  console.log(`\n  Grad-CAM top-3 through createEngine, ${WORKERS} workers × batch ${BATCH}, engine of ${tree}`);
  for (const { model, layer, dir } of models) {
    for (const runtime of ['onnx', 'tfjs'] as const) {
      const row = await measure(dir, layer, runtime, cacheDir);
      const reported = `${row.reported}, maps ${row.grid}`;
      console.log(`  ${model.padEnd(46)}${reported.padEnd(48)}${row.imagesPerSec.toFixed(2).padStart(8)} img/s ${row.cpuMsPerImage.toFixed(1).padStart(7)} CPU ms/img`);
    }
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
