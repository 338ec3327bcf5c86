// The ONNX Runtime path next to the TF.js path, in one process on the same loaded model: images/s for
// Grad-CAM top-3 and Score-CAM on the bundled MobileNet and a VGG16 architecture (random weights, 224²),
// at batch 1, 8 and 16. Score-CAM costs one masked forward pass per channel of the target layer
// (768 for MobileNet, 512 for VGG16) per image whatever the batch, so by default it is measured at batch 1
// (SIGHTLINE_BENCH_SCORECAM_BATCHES=1,8,16 for all, empty for none). Then the engine-only figure as the app
// gets it: Grad-CAM top-3 through createEngine (2 workers, batch 8) with runtime onnx and tfjs.
// Run: npx tsx bench/onnx.ts [mobilenet|vgg16]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../main/core/engine/backends';
import type { CamRequest } from '../main/core/engine/cam/pipeline';
import { LocalEngine } from '../main/core/engine/local-engine';
import { loadModel, type LoadedModel } from '../main/core/engine/model';
import { tryLayersModel, type OnnxExplainer } from '../main/core/engine/runtimes/onnx/explainer';
import { vgg16 } from '../main/core/engine/runtimes/onnx/test-support/architectures';
import { benchRuntimes, formatRuntimeRows, type RuntimeBenchRow } from './engine';
import { defaultModelDir } from '../main/core/engine/paths';
import { preprocess } from '../main/core/engine/preprocess';
import { saveModelFolder } from '../main/core/engine/test-support/model-files';
import { decodeBatch, samplePhotos } from '../main/core/engine/test-support/photos';

export interface OnnxBenchRow {
  model: string;
  task: string;
  batch: number;
  tfjs: number;
  onnx: number;
}

const MODELS = ['mobilenet', 'vgg16'] as const;
type ModelName = (typeof MODELS)[number];
const BATCHES = [1, 8, 16];
const MIN_SECONDS = 3;

export async function benchOnnx(
  options: { models?: ModelName[]; print?: boolean } = {},
): Promise<{ rows: OnnxBenchRow[]; engine: RuntimeBenchRow[] }> {
  await selectBackend('wasm'); // the VGG16 is built before an engine picks it
  const scoreCamBatches = (process.env.SIGHTLINE_BENCH_SCORECAM_BATCHES ?? '1').split(',').filter(Boolean).map(Number);
  // Score-CAM's single call is already hundreds of forward passes: it needs no warm-up call.
  const tasks: { task: string; request: CamRequest; batches: number[]; warmUp: boolean }[] = [
    { task: 'Grad-CAM top-3', request: { method: 'GradCAM', topK: 3, camTopK: 3 }, batches: BATCHES, warmUp: true },
    { task: 'Score-CAM top-1', request: { method: 'ScoreCAM', topK: 1, camTopK: 1 }, batches: scoreCamBatches, warmUp: false },
  ];
  const rows: OnnxBenchRow[] = [];
  const engineModels: { model: string; dir: string }[] = [];
  let engine: RuntimeBenchRow[] = [];
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-onnx-'));
  try {
    for (const name of options.models ?? MODELS) {
      const dir = await benchModelDir(name, workDir);
      engineModels.push({ model: modelTitle(name), dir });
      const tfjsEngine = await LocalEngine.create({ modelDir: dir, backend: 'wasm', runtime: 'tfjs' });
      const model = await loadModel(dir);
      const attempt = await tryLayersModel(model, { cacheDir: path.join(workDir, 'cache') });
      if (!attempt.explainer) throw new Error(attempt.reason);
      const images = await sampleBatch(model, Math.max(...BATCHES));
      try {
        for (const { task, request, batches, warmUp } of tasks) {
          for (const batch of batches) {
            const x = tf.slice(images, 0, batch) as tf.Tensor4D;
            const row = {
              model: modelTitle(name),
              task,
              batch,
              tfjs: await imagesPerSecond(batch, warmUp, () => tfjsEngine.explainTensor(x, request)),
              onnx: await imagesPerSecond(batch, warmUp, () => (attempt.explainer as OnnxExplainer).explainTensor(x, request)),
            };
            x.dispose();
            rows.push(row);
            if (options.print) console.log(formatRow(row));
          }
        }
      } finally {
        images.dispose();
        await attempt.explainer.dispose();
        model.dispose();
        await tfjsEngine.dispose();
      }
    }
    engine = await benchRuntimes(engineModels);
    if (options.print) console.log(formatRuntimeRows(engine).join('\n'));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return { rows, engine };
}

function modelTitle(name: ModelName): string {
  return name === 'mobilenet' ? 'MobileNet v1 0.75' : 'VGG16 (random weights)';
}

async function benchModelDir(name: ModelName, workDir: string): Promise<string> {
  if (name === 'mobilenet') return defaultModelDir();
  const dir = path.join(workDir, 'vgg16');
  const model = vgg16(224);
  await saveModelFolder(model, dir);
  model.dispose();
  return dir;
}

async function sampleBatch(model: LoadedModel, count: number): Promise<tf.Tensor4D> {
  const photos = samplePhotos().slice(0, count);
  const pixels = await decodeBatch(photos.map((photo) => photo.file), model.inputSize);
  return preprocess(pixels, count, model.inputSize, model.preprocessing);
}

/** An optional warm-up call, then calls until MIN_SECONDS have passed (at least one). */
async function imagesPerSecond(batch: number, warmUp: boolean, run: () => unknown): Promise<number> {
  if (warmUp) await run();
  let processed = 0;
  const start = performance.now();
  do {
    await run();
    processed += batch;
  } while (performance.now() - start < MIN_SECONDS * 1000);
  return processed / ((performance.now() - start) / 1000);
}

export function formatRow(row: OnnxBenchRow): string {
  const figures = `TF.js wasm ${row.tfjs.toPrecision(3).padStart(7)}  ONNX Runtime ${row.onnx.toPrecision(3).padStart(7)} img/s  ×${(row.onnx / row.tfjs).toFixed(1)}`;
  return `  ${row.model.padEnd(22)} ${row.task.padEnd(15)} batch ${String(row.batch).padStart(2)}  ${figures}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const wanted = process.argv.slice(2).filter((arg): arg is ModelName => (MODELS as readonly string[]).includes(arg));
  console.log('ONNX Runtime (CPU provider, one thread) vs TF.js (wasm, one thread), same process, model and inputs');
  await benchOnnx({ models: wanted.length ? wanted : undefined, print: true });
}
