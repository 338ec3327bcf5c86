// Full import pipeline throughput (walk + decode + thumbnail + predict + Grad-CAM + store) on a folder of
// repeated sample photos, next to the engine-only figure for the same work measured in the same run.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createEngine } from '../main/core/engine/index';
import { EXPLAIN_OPTIONS } from '../main/core/jobs/import-job';
import { appPaths } from '../main/core/paths';
import { createCoreService } from '../main/core/service';

const BATCH = 8;

/** Copies the samples `repeat` times into class folders, so ground truth still comes from folder names. */
function makeCorpus(root: string, minimum: number): number {
  const samples = appPaths().samplesDir;
  const files = readdirSync(samples, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(samples, d.name)).map((f) => ({ dir: d.name, file: f })));
  let count = 0;
  for (let copy = 0; count < minimum; copy++) {
    for (const { dir, file } of files) {
      mkdirSync(join(root, dir), { recursive: true });
      copyFileSync(join(samples, dir, file), join(root, dir, `${copy}_${file}`));
      count++;
    }
  }
  return count;
}

async function engineOnly(images: number): Promise<number> {
  const engine = await createEngine({ modelDir: appPaths().defaultModelDir });
  try {
    const size = engine.model.inputSize;
    const photo = join(appPaths().samplesDir, '235_german_shepherd', 'gcompris_dog.webp');
    const one = await sharp(photo).rotate().resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    const pixels = new Uint8Array(one.length * BATCH);
    for (let i = 0; i < BATCH; i++) pixels.set(one, i * one.length);
    await engine.explain({ pixels: pixels.slice(), count: BATCH, ...EXPLAIN_OPTIONS });
    const batches = Math.ceil(images / BATCH);
    const start = performance.now();
    for (let b = 0; b < batches; b++) await engine.explain({ pixels: pixels.slice(), count: BATCH, ...EXPLAIN_OPTIONS });
    return (batches * BATCH) / ((performance.now() - start) / 1000);
  } finally {
    await engine.dispose();
  }
}

export async function benchPipeline(minimum = Number(process.env.SIGHTLINE_BENCH_IMAGES ?? 510)): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'sightline-bench-'));
  const corpus = join(root, 'photos');
  const total = makeCorpus(corpus, minimum);
  const service = await createCoreService({ dataDir: join(root, 'data'), mode: 'web' });
  try {
    const rss: Record<number, number> = {};
    const started = performance.now();
    const finished = new Promise<{ done: number; failed: number }>((resolve) => {
      service.on('jobProgress', (p) => {
        if (p.done >= 100 && rss[100] === undefined) rss[100] = process.memoryUsage().rss;
        if (p.state !== 'running' && p.state !== 'queued') resolve({ done: p.done, failed: p.failed });
      });
    });
    await service.importFolder({ path: corpus });
    const { done, failed } = await finished;
    const seconds = (performance.now() - started) / 1000;
    rss[done] = process.memoryUsage().rss;
    const pipeline = done / seconds;
    const engine = await engineOnly(Math.min(total, 160));
    const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
    console.log(`pipeline  ${done}/${total} images (${failed} failed) in ${seconds.toFixed(1)} s: ${pipeline.toFixed(2)} img/s`);
    console.log(`engine    ${engine.toFixed(2)} img/s (batch ${BATCH}, same explain options, pre-decoded pixels)`);
    console.log(`ratio     pipeline / engine = ${(pipeline / engine).toFixed(2)} (target >= 0.90)`);
    console.log(`memory    rss at image 100: ${mib(rss[100])}, at the last image: ${mib(rss[done])} (main process; the engine worker shares it)`);
  } finally {
    await service.close();
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPipeline();
