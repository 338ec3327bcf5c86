// Engine throughput through the worker pool, on the bundled MobileNet and on a VGG16-architecture model with
// random weights (224², block5_conv3): forward only and each CAM method (top-1 class), Grad-CAM for the
// top-3 classes, at batch 1, 8 and 16, with 1 and 2 workers, on the TF.js layers runtime; then where the time
// of one mini-batch goes; then Grad-CAM top-3 (2 workers, batch 8) on ONNX Runtime and on TF.js side by side.
// Run: npx tsx bench/engine.ts (or npm run bench -- engine); `npx tsx bench/engine.ts runtimes` runs only
// the side-by-side figures.
// Score-CAM costs one forward pass per activation channel (768 for MobileNet, 512 for VGG16), minutes per
// image: SIGHTLINE_BENCH_SCORECAM=1 adds it. VGG16 runs every method only with SIGHTLINE_BENCH_FULL=1
// (about 1 image/s per worker); by default forward only and Grad-CAM, whose rows the other gradient
// methods follow within a few per cent on MobileNet.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import type { BackendName } from '../common/types';
import { selectBackend } from '../main/core/engine/backends';
import type { CamNetwork } from '../main/core/engine/cam/network';
import { explainBatch } from '../main/core/engine/cam/pipeline';
import { forward as layerByLayer } from '../main/core/engine/runtimes/tfjs-layers/cut';
import { layersForward } from '../main/core/engine/runtimes/tfjs-layers/forward';
import { CAM_METHOD_NAMES, type CamMethod } from '../common/types';
import {
  createEngine,
  defaultModelDir,
  type Engine,
  type EngineRuntimeChoice,
} from '../main/core/engine/index';
import { loadModel } from '../main/core/engine/model';
import { preprocess } from '../main/core/engine/preprocess';
import { vgg16 } from '../main/core/engine/test-support/architectures';
import { layersTarget } from '../main/core/engine/runtimes/tfjs-layers/network';
import { saveModelFolder } from '../main/core/engine/test-support/model-files';

export interface EngineBenchRow {
  model: string;
  task: string;
  batch: number;
  workers: number;
  imagesPerSec: number;
}

/** Milliseconds per mini-batch of `batch` images, in one thread, by stage. */
export interface EngineProfile {
  model: string;
  batch: number;
  stages: { stage: string; ms: number }[];
}

export interface EngineBenchResult {
  backend: BackendName;
  rows: EngineBenchRow[];
  profiles: EngineProfile[];
  runtimes: RuntimeBenchRow[];
  notes: string[];
}

/** The engine-only Grad-CAM top-3 figure of one model on one runtime, through createEngine. */
export interface RuntimeBenchRow {
  model: string;
  runtime: EngineRuntimeChoice;
  /** What the engine reports it runs on, e.g. "onnxruntime (cpu), head on wasm". */
  reported: string;
  imagesPerSec: number;
}

interface Task {
  task: string;
  method: CamMethod;
  camTopK: number;
}

const BATCHES = [1, 8, 16];
const WORKERS = [1, 2];
const MIN_SECONDS = 2;
const PROFILE_ROUNDS = 3;

export async function benchEngine(options: { backend?: BackendName } = {}): Promise<EngineBenchResult> {
  tf.enableProdMode();
  const backend = options.backend ?? 'wasm';
  const withScoreCam = Boolean(process.env.SIGHTLINE_BENCH_SCORECAM);
  const full = Boolean(process.env.SIGHTLINE_BENCH_FULL);
  const methods = CAM_METHOD_NAMES.filter((method) => withScoreCam || method !== 'ScoreCAM');
  const allTasks: Task[] = [
    { task: 'forward only', method: 'GradCAM', camTopK: 0 },
    ...methods.map((method) => ({ task: method, method, camTopK: 1 })),
    { task: 'GradCAM top-3', method: 'GradCAM', camTopK: 3 },
  ];
  const vggTasks = full ? allTasks : allTasks.filter((task) => task.method === 'GradCAM');
  const notes = [
    ...(withScoreCam ? [] : ['ScoreCAM left out (one forward pass per channel); SIGHTLINE_BENCH_SCORECAM=1 adds it']),
    ...(full ? [] : ['VGG16: forward and Grad-CAM only; SIGHTLINE_BENCH_FULL=1 runs every method']),
    `${os.availableParallelism()} CPU cores here; each worker computes on one`,
  ];
  const vggDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-vgg16-'));
  try {
    await selectBackend('cpu');
    const vgg = vgg16(224);
    await saveModelFolder(vgg, vggDir);
    vgg.dispose();
    const models = [
      { model: 'MobileNet v1 0.75 (conv_pw_13_relu, 7×7)', dir: defaultModelDir(), tasks: allTasks, profileBatch: 8 },
      { model: 'VGG16, random weights (block5_conv3, 14×14)', dir: vggDir, tasks: vggTasks, profileBatch: 1 },
    ];
    const rows: EngineBenchRow[] = [];
    const profiles: EngineProfile[] = [];
    for (const { model, dir, tasks, profileBatch } of models) {
      const images = await samplePixels(224, Math.max(...BATCHES));
      for (const workers of WORKERS) {
        for (const batch of BATCHES) {
          const engine = await createEngine({ modelDir: dir, backend, workers, batchSize: batch, runtime: 'tfjs' });
          try {
            await warmUp(engine, images, batch);
            for (const task of tasks) {
              rows.push({ model, task: task.task, batch, workers, imagesPerSec: await imagesPerSecond(engine, images, batch, task) });
            }
          } finally {
            await engine.dispose();
          }
        }
      }
      profiles.push(await profileStages(model, dir, backend, images, profileBatch));
    }
    const runtimes = await benchRuntimes(models, { backend });
    return { backend, rows, profiles, runtimes, notes };
  } finally {
    rmSync(vggDir, { recursive: true, force: true });
  }
}

const RUNTIME_WORKERS = 2;
const RUNTIME_BATCH = 8;

/**
 * Grad-CAM top-3 through createEngine (2 workers, batch 8, one request per worker in flight) on ONNX Runtime
 * and on the TF.js layers runtime, model by model; conversions go to a temporary cache (the first start
 * of the ONNX engine converts the model, outside the measurement).
 */
export async function benchRuntimes(
  models: { model: string; dir: string }[],
  options: { backend?: BackendName; print?: boolean } = {},
): Promise<RuntimeBenchRow[]> {
  const backend = options.backend ?? 'wasm';
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-onnx-cache-'));
  const task: Task = { task: 'GradCAM top-3', method: 'GradCAM', camTopK: 3 };
  const rows: RuntimeBenchRow[] = [];
  try {
    const images = await samplePixels(224, RUNTIME_BATCH);
    for (const { model, dir } of models) {
      for (const runtime of ['onnx', 'tfjs'] as const) {
        const engineOptions = { modelDir: dir, backend, workers: RUNTIME_WORKERS, batchSize: RUNTIME_BATCH, runtime, onnxCacheDir: cacheDir };
        const engine = await createEngine(engineOptions);
        try {
          await warmUp(engine, images, RUNTIME_BATCH);
          const row = { model, runtime, reported: describeRuntime(engine), imagesPerSec: await imagesPerSecond(engine, images, RUNTIME_BATCH, task) };
          rows.push(row);
          if (options.print) console.log(formatRuntimeRow(row));
        } finally {
          await engine.dispose();
        }
      }
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  return rows;
}

function describeRuntime(engine: Engine): string {
  const { name, runtime } = engine.backend;
  if (runtime?.name === 'onnxruntime') return `onnxruntime (${runtime.provider}), head on ${name}`;
  return `${runtime?.name ?? 'tfjs-layers'} on ${name}`;
}

export function formatRuntimeRow(row: RuntimeBenchRow): string {
  return `  ${row.model.padEnd(46)}${row.reported.padEnd(36)}${row.imagesPerSec.toFixed(1).padStart(8)} img/s`;
}

export function formatRuntimeRows(rows: RuntimeBenchRow[]): string[] {
  const lines = [`\n  Grad-CAM top-3 through createEngine, ${RUNTIME_WORKERS} workers × batch ${RUNTIME_BATCH}, by runtime`];
  for (const row of rows) lines.push(formatRuntimeRow(row));
  for (const model of [...new Set(rows.map((row) => row.model))]) {
    const onnx = rows.find((row) => row.model === model && row.runtime === 'onnx');
    const tfjs = rows.find((row) => row.model === model && row.runtime === 'tfjs');
    if (onnx && tfjs) lines.push(`  ${model}: ONNX Runtime ×${(onnx.imagesPerSec / tfjs.imagesPerSec).toFixed(1)} vs TF.js`);
  }
  return lines;
}

/** One request per worker: kernel setup and first allocations, outside the measurements. */
async function warmUp(engine: Engine, images: Uint8Array[], batch: number): Promise<void> {
  const run = () => engine.explain({ pixels: concat(images.slice(0, batch)), count: batch, topK: 3, camTopK: 3 });
  await Promise.all(Array.from({ length: engine.workers ?? 1 }, run));
}

/** Keeps one request of `batch` images per worker in flight for MIN_SECONDS (at least one round). */
async function imagesPerSecond(engine: Engine, images: Uint8Array[], batch: number, task: Task): Promise<number> {
  const run = () => engine.explain({ pixels: concat(images.slice(0, batch)), count: batch, topK: 3, camTopK: task.camTopK, method: task.method });
  let processed = 0;
  const start = performance.now();
  const keepBusy = async () => {
    do {
      await run();
      processed += batch;
    } while (performance.now() - start < MIN_SECONDS * 1000);
  };
  await Promise.all(Array.from({ length: engine.workers ?? 1 }, keepBusy));
  return processed / ((performance.now() - start) / 1000);
}

/**
 * One mini-batch in this thread, stage by stage (median of PROFILE_ROUNDS): preprocessing, the model's
 * layers one by one (the engine before fusing), the fused forward pass, the head's gradient and the
 * Grad-CAM formula for the top 3 classes with the read-back of the maps, and the whole request through a
 * worker, whose difference to the in-thread stages is the message passing.
 */
async function profileStages(model: string, dir: string, backend: BackendName, images: Uint8Array[], batch: number): Promise<EngineProfile> {
  await selectBackend(backend);
  const loaded = await loadModel(dir);
  const target = layersTarget(loaded, undefined);
  const keep = [target.tensor, ...target.constants];
  const fused = layersForward(loaded.graph, keep);
  const pixels = concat(images.slice(0, batch));
  const x = preprocess(pixels, batch, loaded.inputSize, loaded.preprocessing);
  const disposeAll = ({ logits, kept }: ReturnType<typeof fused.run>) => {
    logits.dispose();
    kept.forEach((t) => t.dispose());
  };
  const first = fused.run(x);
  const replay: CamNetwork<number> = {
    run: async () => ({ logits: first.logits.clone(), kept: new Map([...first.kept].map(([id, t]) => [id, t.clone()])) }),
  };
  const request = { method: 'GradCAM' as const, topK: 3, camTopK: 3 };
  const stages = [
    { stage: 'preprocess (JS, one upload)', ms: median(() => preprocess(pixels, batch, loaded.inputSize, loaded.preprocessing).dispose()) },
    { stage: 'forward, layer by layer', ms: median(() => disposeAll(layerByLayer(loaded.graph, x, keep))) },
    { stage: 'forward, fused', ms: median(() => disposeAll(fused.run(x))) },
    { stage: 'head gradient + Grad-CAM top-3 + read-back', ms: await medianAsync(() => explainBatch(replay, target, x, request)) },
  ];
  disposeAll(first);
  x.dispose();
  fused.dispose();
  loaded.dispose();
  const engine = await createEngine({ modelDir: dir, backend, workers: 1, batchSize: batch, runtime: 'tfjs' });
  try {
    const explain = () => engine.explain({ pixels: concat(images.slice(0, batch)), count: batch, topK: 3, camTopK: 3 });
    await explain();
    const times: number[] = [];
    for (let round = 0; round < PROFILE_ROUNDS; round++) {
      const start = performance.now();
      await explain();
      times.push(performance.now() - start);
    }
    stages.push({ stage: 'whole request through a worker', ms: middle(times) });
  } finally {
    await engine.dispose();
  }
  return { model, batch, stages };
}

function median(run: () => void): number {
  run();
  const times = Array.from({ length: PROFILE_ROUNDS }, () => {
    const start = performance.now();
    run();
    return performance.now() - start;
  });
  return middle(times);
}

async function medianAsync(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let round = 0; round < PROFILE_ROUNDS; round++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return middle(times);
}

function middle(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

async function samplePixels(size: number, count: number): Promise<Uint8Array[]> {
  const samplesDir = path.join(path.dirname(defaultModelDir()), '..', 'samples');
  const files = readdirSync(samplesDir)
    .flatMap((folder) => readdirSync(path.join(samplesDir, folder)).map((file) => path.join(samplesDir, folder, file)))
    .slice(0, count);
  return Promise.all(
    files.map(async (file) =>
      new Uint8Array(await sharp(file).rotate().resize(size, size, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer()),
    ),
  );
}

function concat(images: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(images.reduce((sum, image) => sum + image.length, 0));
  images.reduce((offset, image) => (out.set(image, offset), offset + image.length), 0);
  return out;
}

export function formatEngineBench(result: EngineBenchResult): string {
  const lines = [`engine (TF.js layers runtime, backend ${result.backend}; img/s, 224² input; workers × batch)`];
  for (const model of [...new Set(result.rows.map((row) => row.model))]) {
    const rows = result.rows.filter((row) => row.model === model);
    const columns = WORKERS.flatMap((workers) => BATCHES.map((batch) => ({ workers, batch })));
    lines.push(`\n  ${model}`, `  ${'task'.padEnd(20)}${columns.map(({ workers, batch }) => `${workers}w × ${batch}`.padStart(10)).join('')}`);
    for (const task of [...new Set(rows.map((row) => row.task))]) {
      const cells = columns.map(({ workers, batch }) => {
        const row = rows.find((r) => r.task === task && r.workers === workers && r.batch === batch);
        return (row ? row.imagesPerSec.toFixed(1) : '–').padStart(10);
      });
      lines.push(`  ${task.padEnd(20)}${cells.join('')}`);
    }
  }
  for (const profile of result.profiles) {
    lines.push(`\n  where the time goes: ${profile.model}, batch ${profile.batch}, one thread (median ms)`);
    for (const { stage, ms } of profile.stages) lines.push(`  ${stage.padEnd(46)}${ms.toFixed(1).padStart(9)}`);
  }
  lines.push(...formatRuntimeRows(result.runtimes));
  lines.push('', ...result.notes.map((note) => `  note: ${note}`));
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (process.argv.includes('runtimes')) {
    await selectBackend('cpu');
    const vggDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-vgg16-'));
    try {
      const vgg = vgg16(224);
      await saveModelFolder(vgg, vggDir);
      vgg.dispose();
      const models = [
        { model: 'MobileNet v1 0.75 (conv_pw_13_relu, 7×7)', dir: defaultModelDir() },
        { model: 'VGG16, random weights (block5_conv3, 14×14)', dir: vggDir },
      ];
      console.log(formatRuntimeRows(await benchRuntimes(models)).join('\n'));
    } finally {
      rmSync(vggDir, { recursive: true, force: true });
    }
  } else {
    console.log(formatEngineBench(await benchEngine()));
  }
}
