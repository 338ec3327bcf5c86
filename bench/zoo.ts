// The model zoo (main/core/engine/__fixtures__/zoo: eight PyTorch-exported ONNX classifiers, ResNet to ViT and
// Swin) through createEngine: Grad-CAM top-3 img/s at each model's default layer, 2 workers × batch 8, one
// request per worker in flight, on the zoo's own photos (4 per family, repeated to fill a batch).
// Run: npx tsx bench/zoo.ts (or npm run bench -- zoo); SIGHTLINE_BENCH_SECONDS sets the seconds per family
// (default 3).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createEngine, type Engine } from '../main/core/engine/index';

const ZOO = fileURLToPath(new URL('../main/core/engine/__fixtures__/zoo', import.meta.url));
const WORKERS = 2;
const BATCH = 8;

export interface ZooBenchRow {
  family: string;
  /** Default layer with its layout and grid, e.g. "…/ln_1/LayerNormalization_output_0 (tokens 7×7×64)". */
  layer: string;
  imagesPerSec: number;
}

export async function benchZoo(options: { seconds?: number; print?: boolean } = {}): Promise<ZooBenchRow[]> {
  const seconds = options.seconds ?? Number(process.env.SIGHTLINE_BENCH_SECONDS ?? 3);
  const families = readdirSync(ZOO, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  if (options.print) console.log(`zoo: Grad-CAM top-3 through createEngine, ${WORKERS} workers × batch ${BATCH}, ONNX Runtime, ${seconds} s each`);
  const rows: ZooBenchRow[] = [];
  for (const family of families) {
    const dir = path.join(ZOO, family);
    const photos = new Uint8Array(readFileSync(path.join(dir, 'inputs.u8')));
    const engine = await createEngine({ modelDir: dir, workers: WORKERS, batchSize: BATCH });
    try {
      const pixels = repeated(photos, BATCH * engine.model.inputSize * engine.model.inputSize * 3);
      const { layer, layerShape, candidateLayers } = engine.model;
      const layout = candidateLayers.find((candidate) => candidate.name === layer)?.layout ?? 'nchw';
      const row = { family, layer: `${layer} (${layout} ${layerShape.join('×')})`, imagesPerSec: await imagesPerSecond(engine, pixels, seconds) };
      rows.push(row);
      if (options.print) console.log(formatZooRow(row));
    } finally {
      await engine.dispose();
    }
  }
  return rows;
}

export function formatZooRow({ family, layer, imagesPerSec }: ZooBenchRow): string {
  return `  ${family.padEnd(14)}${imagesPerSec.toFixed(1).padStart(8)} img/s   ${layer}`;
}

/** `photos` repeated to `length` bytes. */
function repeated(photos: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += photos.length) out.set(photos.subarray(0, Math.min(photos.length, length - offset)), offset);
  return out;
}

/** One warm-up request per worker, then one request per worker in flight for `seconds`. */
async function imagesPerSecond(engine: Engine, pixels: Uint8Array, seconds: number): Promise<number> {
  const run = () => engine.explain({ pixels, count: BATCH, topK: 3, camTopK: 3, method: 'GradCAM' });
  await Promise.all(Array.from({ length: WORKERS }, run));
  let processed = 0;
  const start = performance.now();
  const keepBusy = async () => {
    do {
      await run();
      processed += BATCH;
    } while (performance.now() - start < seconds * 1000);
  };
  await Promise.all(Array.from({ length: WORKERS }, keepBusy));
  return processed / ((performance.now() - start) / 1000);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await benchZoo({ print: true });
}
