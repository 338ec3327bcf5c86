// A synthetic library of N explained images for the gallery and scale benchmarks: rows written straight into
// SQLite in one transaction with prepared statements, as large as a real import's (100 classes, top-3 predictions,
// three 7×7 maps and the metrics of the top-1 map per image, a real thumbnail made from the samples as the import
// makes it, some verdicts and tags). The file is cached under os.tmpdir(), keyed by size, schema and generator
// version, so a second run reuses it; it is built in a child process so the benchmark's own memory stays its own.
// Run: `npx tsx bench/synthetic-library.ts <count>` builds (or finds) one and prints its path.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { appPaths } from '../main/core/paths';
import { decodeImageBytes, readImageFile } from '../main/core/scan/decode';
import { openDatabase } from '../main/core/store/database';
import { heatmapToBlob } from '../main/core/store/heatmap-blob';
import { migrations } from '../main/core/store/migrations';

export const SYNTHETIC_CLASSES = 100;
export const VERDICTS = ['ok', 'misattended', 'label_error', 'unsure'] as const;
export const TAGS = ['blurry', 'watermark', 'needs crop', 'duplicate shot'] as const;
/** Raise when the rows written change, so cached files made before are not reused. */
const GENERATOR_VERSION = 2;
const MAPS_PER_IMAGE = 3;

/** Where the library of `count` images is cached: named by the schema's text too, so a changed migration never reuses it. */
export function syntheticLibraryFile(count: number): string {
  const schema = createHash('sha256').update(migrations.join('\n')).digest('hex').slice(0, 8);
  return path.join(tmpdir(), `sightline-synthetic-${count}-schema${migrations.length}-${schema}-gen${GENERATOR_VERSION}.db`);
}

/** The database's bytes (main file and write-ahead log). */
export function libraryBytes(file: string): number {
  return [file, `${file}-wal`].reduce((sum, part) => sum + (existsSync(part) ? statSync(part).size : 0), 0);
}

/** The cached library of `count` images, built first (in a child process) when missing. */
export async function syntheticLibrary(count: number): Promise<{ file: string; builtSeconds: number | null }> {
  const file = syntheticLibraryFile(count);
  if (existsSync(file)) return { file, builtSeconds: null };
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
    spawn(tsx, [fileURLToPath(import.meta.url), String(count)], { stdio: ['ignore', 'ignore', 'inherit'] }).on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`Building the synthetic library of ${count} images failed (exit ${code})`)),
    );
  });
  return { file, builtSeconds: (performance.now() - started) / 1000 };
}

/** A seeded generator, so every build writes the same library. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Thumbnails of the bundled samples, made as the import makes them (so as large as real ones). */
async function sampleThumbnails(): Promise<Buffer[]> {
  const samples = appPaths().samplesDir;
  const files = readdirSync(samples, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(path.join(samples, d.name)).map((f) => path.join(samples, d.name, f)));
  return Promise.all(files.map(async (f) => (await decodeImageBytes((await readImageFile(f)).bytes, 224)).thumbnail));
}

async function buildLibrary(file: string, count: number): Promise<void> {
  const thumbnails = await sampleThumbnails();
  const db = openDatabase(file);
  // A file no one else has open yet, renamed into place only when complete: no journal, no syncs, no checks.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('foreign_keys = OFF');
  db.pragma('cache_size = -262144');
  const rand = random(42);
  const metricRand = random(11);
  const labels = Array.from({ length: 1000 }, (_, i) => `class ${i}`);
  db.prepare('INSERT INTO datasets (id, root_path, name) VALUES (1, ?, ?)').run(`/synthetic/library-${count}`, `synthetic ${count}`);
  db.prepare("INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (1, 'synthetic', 'synthetic', '/m', 224, ?)").run(JSON.stringify(labels));
  db.prepare("INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES (1, 1, 1, 'GradCAM', 'conv_pw_13_relu', 'cpu', 'done')").run();
  const image = db.prepare(
    "INSERT INTO images (id, dataset_id, rel_path, size, mtime_ms, width, height, true_label, true_level, status, content_hash) VALUES (?, 1, ?, 150000, 0, 640, 480, ?, 1, 'done', ?)",
  );
  const imageTruth = db.prepare('INSERT INTO image_truth (image_id, model_id, true_index) VALUES (?, 1, ?)');
  const prediction = db.prepare('INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (1, ?, ?, ?, ?)');
  const heatmap = db.prepare('INSERT INTO heatmaps (run_id, image_id, class_index, h, w, scale, "values") VALUES (1, ?, ?, 7, 7, ?, ?)');
  const metrics = db.prepare(
    `INSERT INTO metrics (run_id, image_id, class_index, border_mass, entropy, gini, peak_x, peak_y, area_half_max, suspicion)
     VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const thumb = db.prepare('INSERT INTO thumbnails (image_id, jpeg) VALUES (?, ?)');
  const review = db.prepare('INSERT INTO reviews (image_id, verdict) VALUES (?, ?)');
  const runVerdict = db.prepare('INSERT INTO run_verdicts (run_id, image_id, verdict) VALUES (1, ?, ?)');
  db.prepare(`INSERT INTO tags (id, name) VALUES ${TAGS.map(() => '(?, ?)').join(', ')}`).run(...TAGS.flatMap((name, i) => [i + 1, name]));
  const tag = db.prepare('INSERT INTO image_tags (image_id, tag_id) VALUES (?, ?)');
  const hash = (id: number) => id.toString(16).padStart(64, '0');
  db.transaction(() => {
    for (let id = 1; id <= count; id++) {
      const truth = Math.floor(rand() * SYNTHETIC_CLASSES);
      const top1 = rand() < 0.8 ? truth : Math.floor(rand() * SYNTHETIC_CLASSES);
      const p1 = 0.3 + rand() * 0.7;
      image.run(id, `${String(truth).padStart(3, '0')}_class/photo_${String(id).padStart(7, '0')}.jpg`, `${truth}_class`, hash(id));
      imageTruth.run(id, truth);
      const top = [top1, (top1 + 1) % SYNTHETIC_CLASSES, (top1 + 2) % SYNTHETIC_CLASSES];
      top.forEach((c, rank) => prediction.run(id, rank, c, rank === 0 ? p1 : (1 - p1) / 2));
      for (const c of top.slice(0, MAPS_PER_IMAGE)) {
        const values = Float32Array.from({ length: 49 }, () => metricRand() * 3);
        heatmap.run(id, c, Math.max(...values), heatmapToBlob(values));
      }
      metrics.run(id, top1, metricRand(), 2 + metricRand() * 2, metricRand(), metricRand(), metricRand(), metricRand() * 0.5, metricRand());
      thumb.run(id, thumbnails[id % thumbnails.length]);
      if (rand() < 0.1) {
        // A label error is the photo's; the other verdicts judge the run's map (migration 11).
        const verdict = VERDICTS[Math.floor(rand() * VERDICTS.length)];
        (verdict === 'label_error' ? review : runVerdict).run(id, verdict);
      }
      // About as many photos tagged "blurry" as have a verdict, and a few other tags.
      if (metricRand() < 0.1) tag.run(id, 1);
      if (metricRand() < 0.05) tag.run(id, 2 + Math.floor(metricRand() * (TAGS.length - 1)));
    }
  })();
  db.pragma('journal_mode = WAL');
  db.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const count = Number(process.argv[2]);
  if (!Number.isInteger(count) || count < 1) throw new Error(`Give the number of images as a positive whole number, not "${process.argv[2] ?? ''}"`);
  const file = syntheticLibraryFile(count);
  if (!existsSync(file)) {
    // Libraries of this size made for another schema or generator are gigabytes no run will read again.
    const stale = `sightline-synthetic-${count}-`;
    for (const name of readdirSync(tmpdir())) if (name.startsWith(stale) && name.endsWith('.db')) rmSync(path.join(tmpdir(), name));
    const partial = `${file}.${process.pid}.partial`;
    try {
      await buildLibrary(partial, count);
      renameSync(partial, file);
    } finally {
      rmSync(partial, { force: true });
      rmSync(`${partial}-wal`, { force: true });
      rmSync(`${partial}-shm`, { force: true });
    }
  }
  console.log(file);
}
