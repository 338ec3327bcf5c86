// Engine throughput on the bundled model through the worker thread: forward only, and Grad-CAM for the
// top-1 and top-3 classes, at batch 1 and 8. Run: npx tsx bench/engine.ts
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { BackendName } from '../common/types';
import { createEngine, defaultModelDir, type Engine } from '../main/core/engine/index';

export interface EngineBenchRow {
  task: string;
  batch: number;
  imagesPerSec: number;
}

export interface EngineBenchResult {
  backend: BackendName;
  rows: EngineBenchRow[];
}

const TASKS = [
  { task: 'forward only', camTopK: 0 },
  { task: 'Grad-CAM top-1', camTopK: 1 },
  { task: 'Grad-CAM top-3', camTopK: 3 },
];
const BATCHES = [1, 8];
const MIN_SECONDS = 3;

export async function benchEngine(options: { backend?: BackendName } = {}): Promise<EngineBenchResult> {
  const engine = await createEngine({ modelDir: defaultModelDir(), backend: options.backend });
  try {
    const images = await samplePixels(engine.model.inputSize, Math.max(...BATCHES));
    const rows: EngineBenchRow[] = [];
    for (const batch of BATCHES) {
      for (const { task, camTopK } of TASKS) {
        rows.push({ task, batch, imagesPerSec: await imagesPerSecond(engine, images, batch, camTopK) });
      }
    }
    return { backend: engine.backend.name, rows };
  } finally {
    await engine.dispose();
  }
}

async function imagesPerSecond(engine: Engine, images: Uint8Array[], batch: number, camTopK: number): Promise<number> {
  const run = () => engine.explain({ pixels: concat(images.slice(0, batch)), count: batch, topK: 3, camTopK });
  await run(); // warm-up: kernel setup and first-call allocations
  let processed = 0;
  const start = performance.now();
  while (performance.now() - start < MIN_SECONDS * 1000) {
    await run();
    processed += batch;
  }
  return processed / ((performance.now() - start) / 1000);
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
  const lines = result.rows.map((row) => `  ${row.task.padEnd(16)} batch ${String(row.batch).padStart(2)}  ${row.imagesPerSec.toFixed(1).padStart(7)} img/s`);
  return [`engine (MobileNet v1 0.75, 224², backend ${result.backend})`, ...lines].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.log(formatEngineBench(await benchEngine()));
}
