// Gallery at scale: a synthetic library of 10,000 explained images (rows written straight into SQLite:
// 100 classes, top-3 predictions, a 7×7 map and a thumbnail each, some verdicts), then
// - filter and sort latency of the library query (LibraryQuery.images, median of several runs),
// - in Chromium against the web host: time to the first painted overlay, filter/sort round trips as the
//   person sees them, and the DOM size while scrolling the whole grid.
// Run: `npx electron-vite build && npx tsx bench/gallery.ts [count]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { EMPTY_FILTER, type ImageFilter, type ImageSort } from '../common/query';
import { launchChromium } from '../e2e/harness';
import { createCoreService } from '../main/core/service';
import { openDatabase, type Db } from '../main/core/store/database';
import { heatmapToBlob } from '../main/core/store/heatmap-blob';
import { LibraryQuery } from '../main/core/store/query';
import { startWebHost } from '../main/web/host';

const CLASSES = 100;
const VERDICTS = ['ok', 'misattended', 'label_error', 'unsure'] as const;

/** A seeded generator, so every run builds the same library. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

async function buildLibrary(db: Db, count: number): Promise<void> {
  const rand = random(42);
  const labels = Array.from({ length: 1000 }, (_, i) => `class ${i}`);
  const thumbnail = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 120, b: 160 } } })
    .jpeg({ quality: 70 })
    .toBuffer();
  db.prepare("INSERT INTO datasets (id, root_path, name) VALUES (1, '/synthetic/gallery-10k', 'gallery-10k')").run();
  db.prepare("INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (1, 'synthetic', 'synthetic', '/m', 224, ?)").run(JSON.stringify(labels));
  db.prepare("INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES (1, 1, 1, 'GradCAM', 'conv_pw_13_relu', 'cpu', 'done')").run();
  const image = db.prepare(
    "INSERT INTO images (id, dataset_id, rel_path, size, mtime_ms, width, height, true_label, status, content_hash) VALUES (?, 1, ?, 1000, 0, 640, 480, ?, 'done', ?)",
  );
  const imageTruth = db.prepare('INSERT INTO image_truth (image_id, model_id, true_index) VALUES (?, 1, ?)');
  const prediction = db.prepare('INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (1, ?, ?, ?, ?)');
  const heatmap = db.prepare('INSERT INTO heatmaps (run_id, image_id, class_index, h, w, scale, "values") VALUES (1, ?, ?, 7, 7, ?, ?)');
  const thumb = db.prepare('INSERT INTO thumbnails (image_id, jpeg) VALUES (?, ?)');
  const review = db.prepare('INSERT INTO reviews (image_id, verdict) VALUES (?, ?)');
  db.transaction(() => {
    for (let id = 1; id <= count; id++) {
      const truth = Math.floor(rand() * CLASSES);
      const top1 = rand() < 0.8 ? truth : Math.floor(rand() * CLASSES);
      const p1 = 0.3 + rand() * 0.7;
      image.run(id, `${String(truth).padStart(3, '0')}_class/photo_${String(id).padStart(5, '0')}.jpg`, `${truth}_class`, `h${id}`);
      imageTruth.run(id, truth);
      [top1, (top1 + 1) % CLASSES, (top1 + 2) % CLASSES].forEach((c, rank) => prediction.run(id, rank, c, rank === 0 ? p1 : (1 - p1) / 2));
      const values = Float32Array.from({ length: 49 }, () => rand() * 3);
      heatmap.run(id, top1, Math.max(...values), heatmapToBlob(values));
      thumb.run(id, thumbnail);
      if (rand() < 0.1) review.run(id, VERDICTS[Math.floor(rand() * VERDICTS.length)]);
    }
  })();
  // Tags from a generator of their own, so the images, predictions and verdicts stay those of earlier figures:
  // about as many photos tagged "blurry" as have a verdict, and a few other tags.
  const tagRand = random(7);
  const TAGS = ['blurry', 'watermark', 'needs crop', 'duplicate shot'];
  db.prepare(`INSERT INTO tags (id, name) VALUES ${TAGS.map(() => '(?, ?)').join(', ')}`).run(...TAGS.flatMap((name, i) => [i + 1, name]));
  const tag = db.prepare('INSERT INTO image_tags (image_id, tag_id) VALUES (?, ?)');
  db.transaction(() => {
    for (let id = 1; id <= count; id++) {
      if (tagRand() < 0.1) tag.run(id, 1);
      if (tagRand() < 0.05) tag.run(id, 2 + Math.floor(tagRand() * (TAGS.length - 1)));
    }
  })();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function benchQueries(query: LibraryQuery): [string, number, number][] {
  const cases: [string, Partial<ImageFilter>, ImageSort][] = [
    ['all, by file name', {}, { key: 'fileName', descending: false }],
    ['all, by confidence', {}, { key: 'confidence', descending: true }],
    ['misclassified', { correctness: ['incorrect'] }, { key: 'confidence', descending: true }],
    ['predicted class 7', { predicted: [7] }, { key: 'fileName', descending: false }],
    ['true class + not reviewed', { truth: ['3_class'], verdicts: ['none'] }, { key: 'fileName', descending: false }],
    ['confidence 50–70 %', { minConfidence: 0.5, maxConfidence: 0.7 }, { key: 'confidence', descending: false }],
    ['search "photo_01"', { search: 'photo_01' }, { key: 'fileName', descending: false }],
    // A tag filter next to the verdict filter it should match in speed.
    ['verdict: reviewed', { verdicts: [...VERDICTS] }, { key: 'fileName', descending: false }],
    ['tag: blurry', { tags: ['blurry'] }, { key: 'fileName', descending: false }],
  ];
  return cases.map(([name, filter, sort]) => {
    const times: number[] = [];
    let matched = 0;
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      matched = query.images(1, 1, { ...EMPTY_FILTER, ...filter }, sort).ids.length;
      times.push(performance.now() - started);
    }
    return [name, matched, median(times)];
  });
}

export async function benchGallery(count = 10_000): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-bench-gallery-'));
  try {
    const db = openDatabase(path.join(dataDir, 'library.db'));
    let started = performance.now();
    await buildLibrary(db, count);
    console.log(`library: ${count} images written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const query = new LibraryQuery(db);
    console.log('library query (ids + facet counts), median of 7:');
    for (const [name, matched, ms] of benchQueries(query)) console.log(`  ${name.padEnd(28)} ${String(matched).padStart(6)} images  ${ms.toFixed(1)} ms`);
    query.close();

    const service = await createCoreService({ dataDir, mode: 'web' });
    const host = await startWebHost({ service, rendererDir: path.join(import.meta.dirname, '..', 'out', 'renderer') });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      started = performance.now();
      await page.goto(host.url);
      await page.locator('[data-testid=tile-overlay][data-drawn=true]').first().waitFor({ timeout: 60_000 });
      console.log(`first paint (page load to first drawn overlay): ${(performance.now() - started).toFixed(0)} ms`);

      const roundTrip = async (name: string, act: () => Promise<unknown>): Promise<void> => {
        const before = await page.getByTestId('result-count').innerText();
        const t0 = performance.now();
        await act();
        await page.waitForFunction(`document.querySelector('[data-testid=result-count]')?.innerText !== ${JSON.stringify(before)}`);
        await page.locator('[data-testid=tile-overlay][data-drawn=true]').first().waitFor();
        const library = await page.getByTestId('result-count').getAttribute('title');
        console.log(`  ${name.padEnd(28)} ${(performance.now() - t0).toFixed(0)} ms on screen (${library})`);
      };
      console.log('filter and sort as the person sees them (click to repainted grid):');
      await roundTrip('filter: misclassified', () => page.getByTestId('facet-correctness-incorrect').click());
      await roundTrip('filter: + not reviewed', () => page.getByTestId('facet-verdict-none').click());
      await roundTrip('clear filters', () => page.getByTestId('clear-filters').click());
      const t0 = performance.now();
      await page.getByTestId('sort').selectOption('confidence');
      await page.waitForTimeout(50);
      await page.locator('[data-testid=tile-overlay][data-drawn=true]').first().waitFor();
      console.log(`  ${'sort: confidence'.padEnd(28)} ${(performance.now() - t0).toFixed(0)} ms on screen (incl. a 50 ms wait)`);

      const grid = page.getByTestId('gallery');
      const samples: { nodes: number; tiles: number }[] = [];
      const scrollStarted = performance.now();
      for (;;) {
        const done = await grid.evaluate((el: { scrollTop: number; clientHeight: number; scrollHeight: number }) => {
          el.scrollTop += el.clientHeight;
          return el.scrollTop + el.clientHeight >= el.scrollHeight - 2;
        });
        // Page functions as strings: this project's Node tsconfig has no DOM types.
        await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
        samples.push(
          await page.evaluate<{ nodes: number; tiles: number }>(
            "({ nodes: document.getElementsByTagName('*').length, tiles: document.querySelectorAll('[role=gridcell]').length })",
          ),
        );
        if (done) break;
      }
      const nodes = samples.map((s) => s.nodes);
      const tiles = samples.map((s) => s.tiles);
      console.log(
        `scrolling ${count} images in ${samples.length} screens (${((performance.now() - scrollStarted) / samples.length).toFixed(0)} ms a screen): ` +
          `DOM nodes min ${Math.min(...nodes)} / median ${median(nodes)} / max ${Math.max(...nodes)}, tiles in the DOM max ${Math.max(...tiles)}`,
      );
    } finally {
      await browser.close();
      await host.close();
      await service.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchGallery(Number(process.argv[2] ?? 10_000));
