// Full import pipeline throughput (walk + hash + decode + thumbnail + predict + Grad-CAM top-3 + store) on a
// folder of at least 500 distinct photos, next to the engine-only figure for the same work (same model,
// method, batch size and maps per image, on pixels decoded beforehand) measured in the same run.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, parse } from 'node:path';
import sharp from 'sharp';
import { createEngine } from '../main/core/engine/index';
import { BATCH_SIZE, EXPLAIN_OPTIONS, METHOD } from '../main/core/jobs/import-job';
import { appPaths } from '../main/core/paths';
import { createCoreService } from '../main/core/service';

/**
 * The samples repeated into class folders (so ground truth still comes from folder names). Each repeat is
 * cropped a little differently and re-encoded: identical copies would share results instead of being computed.
 */
async function makeCorpus(root: string, minimum: number): Promise<string[]> {
  const samples = appPaths().samplesDir;
  const files = readdirSync(samples, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(samples, d.name)).map((f) => ({ dir: d.name, file: f })));
  const written: string[] = [];
  for (let copy = 0; written.length < minimum; copy++) {
    for (const { dir, file } of files) {
      mkdirSync(join(root, dir), { recursive: true });
      const source = join(samples, dir, file);
      const target = join(root, dir, copy === 0 ? file : `${copy}_${parse(file).name}.jpg`);
      if (copy === 0) copyFileSync(source, target);
      else {
        const { width, height } = await sharp(source).metadata();
        await sharp(source)
          .extract({ left: copy % 8, top: Math.floor(copy / 8) % 8, width: width - 8, height: height - 8 })
          .jpeg({ quality: 90 })
          .toFile(target);
      }
      written.push(target);
    }
  }
  return written;
}

/**
 * The engine alone on pre-decoded pixels of `files`, in batches like the import's, after one warm-up batch,
 * with the next batch always queued (as the import does) so the worker never waits for the caller.
 */
async function engineOnly(files: string[]): Promise<number> {
  const engine = await createEngine({ modelDir: appPaths().defaultModelDir });
  try {
    const size = engine.model.inputSize;
    const decoded = await Promise.all(
      files.map((f) => sharp(f).rotate().resize(size, size, { fit: 'fill' }).toColourspace('srgb').removeAlpha().raw().toBuffer()),
    );
    const batches: Buffer[] = [];
    for (let i = 0; i + BATCH_SIZE <= decoded.length; i += BATCH_SIZE) batches.push(Buffer.concat(decoded.slice(i, i + BATCH_SIZE)));
    const explain = (pixels: Buffer) => engine.explain({ pixels: new Uint8Array(pixels), count: BATCH_SIZE, method: METHOD, ...EXPLAIN_OPTIONS });
    await explain(batches[0]);
    const start = performance.now();
    let previous: Promise<unknown> = Promise.resolve();
    for (const pixels of batches) {
      const current = explain(pixels);
      await previous;
      previous = current;
    }
    await previous;
    return (batches.length * BATCH_SIZE) / ((performance.now() - start) / 1000);
  } finally {
    await engine.dispose();
  }
}

export async function benchPipeline(minimum = Number(process.env.SIGHTLINE_BENCH_IMAGES ?? 510)): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'sightline-bench-'));
  const corpus = join(root, 'photos');
  try {
    const files = await makeCorpus(corpus, minimum);
    // Measured before and after the import, on a machine whose load may change, and averaged.
    const engineSample = files.slice(0, Math.min(files.length, 25 * BATCH_SIZE));
    const loadBefore = loadavg()[0];
    const engineBefore = await engineOnly(engineSample);
    const service = await createCoreService({ dataDir: join(root, 'data'), mode: 'web' });
    let done = 0;
    let failed = 0;
    let seconds = 0;
    const rss = { at100: 0, max: 0, last: 0 };
    try {
      await service.getInfo({});
      let started = 0;
      const finished = new Promise<void>((resolve) => {
        service.on('jobProgress', (p) => {
          // The clock starts when the scan is recorded: both figures then cover the same per-image work.
          if (p.total > 0 && started === 0) started = performance.now();
          const now = process.memoryUsage().rss;
          if (p.done >= 100 && rss.at100 === 0) rss.at100 = now;
          if (rss.at100 > 0) rss.max = Math.max(rss.max, now);
          if (p.state !== 'running' && p.state !== 'queued') {
            ({ done, failed } = p);
            seconds = (performance.now() - started) / 1000;
            rss.last = now;
            resolve();
          }
        });
      });
      await service.importFolder({ path: corpus });
      await finished;
    } finally {
      await service.close();
    }
    const pipeline = done / seconds;
    const engineAfter = await engineOnly(engineSample);
    const engine = (engineBefore + engineAfter) / 2;
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
    const work = `${METHOD} top-${EXPLAIN_OPTIONS.camTopK}, batch ${BATCH_SIZE}`;
    console.log(`pipeline  ${done}/${files.length} distinct images (${failed} failed) in ${seconds.toFixed(1)} s: ${pipeline.toFixed(2)} img/s (${work})`);
    console.log(
      `engine    ${engine.toFixed(2)} img/s (${work}, pixels decoded beforehand; ${engineBefore.toFixed(2)} before the import, ${engineAfter.toFixed(2)} after)`,
    );
    console.log(`ratio     pipeline / engine = ${(pipeline / engine).toFixed(2)} (target >= 0.90)`);
    // Other work on the machine moves both figures; a large before/after gap means the ratio is noise.
    console.log(`load      1-minute load average ${loadBefore.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end`);
    console.log(
      `memory    rss at image 100: ${mib(rss.at100)}, highest after it: ${mib(rss.max)}, at the last image: ${mib(rss.last)} (main process and engine worker)`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPipeline();
