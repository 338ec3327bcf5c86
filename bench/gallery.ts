// Gallery at scale (issue #16): for each size (default 10k, 100k and 1M; SIGHTLINE_BENCH_SIZES=10000,100000 to
// choose) a synthetic library of explained images (bench/synthetic-library.ts, cached), then
// - the library's bytes per image, thumbnails included,
// - in this process: reading the dataset's columns on the main thread and in the worker (with the main thread's
//   longest stall meanwhile), then each filter and sort click as the grid sends it (the first 200 ids and the facet
//   counts), the first time (the filter's state built) and again after another filter, a window far down the list,
//   and a verdict on 50 photos with the query after it,
// - against the real web server (`sightline serve`, a process of its own, so its memory is its own) in headless
//   Chromium: time to the first painted overlay (and to the filters counted, when the photos came early), each filter/sort click to the repainted grid with the server time
//   of the query it sent, the DOM size while scrolling the grid end to end, and the server's memory; then the
//   server started again (with the columns it saved at its close) and the first paint in a fresh browser.
// Each figure is printed next to its target. Run: `npx electron-vite build && npx tsx bench/gallery.ts [count…]`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { EMPTY_FILTER, type ImageFilter, type ImageSort } from '../common/query';
import { launchChromium } from '../e2e/harness';
import { openDatabase } from '../main/core/store/database';
import { snapshotFile } from '../main/core/store/gallery-snapshot';
import { LibraryQuery } from '../main/core/store/query';
import { libraryBytes, syntheticLibrary, VERDICTS } from './synthetic-library';
import { benchSizes, kb, mb, under } from './targets';

const TARGET = { firstPaintMs: 1000, repaintMs: 100, queryMs: 50, domNodes: 1000, serverMb: 500, bytesPerImageKb: 20 };
/** Scroll positions from the top to the bottom of the grid: every screen of a small library, evenly spread on a large one. */
const MAX_SCROLL_STEPS = 150;
const root = path.join(import.meta.dirname, '..');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const FIRST_WINDOW = { offset: 0, limit: 200 };
const byName: ImageSort = { key: 'fileName', descending: false };

function benchQueries(query: LibraryQuery, count: number): [string, number, number, number | null][] {
  const cases: [string, Partial<ImageFilter>, ImageSort][] = [
    ['all, by file name', {}, byName],
    ['all, by confidence', {}, { key: 'confidence', descending: true }],
    ['misclassified', { correctness: ['incorrect'] }, { key: 'confidence', descending: true }],
    ['predicted class 7', { predicted: [7] }, byName],
    ['true class + not reviewed', { truth: ['3_class'], verdicts: ['none'] }, byName],
    ['confidence 50–70 %', { minConfidence: 0.5, maxConfidence: 0.7 }, { key: 'confidence', descending: false }],
    ['search "photo_00001"', { search: 'photo_00001' }, byName],
    // A tag filter next to the verdict filter it should match in speed.
    ['verdict: reviewed', { verdicts: [...VERDICTS] }, byName],
    ['tag: blurry', { tags: ['blurry'] }, byName],
  ];
  // Each case once, first time asked (its filter's state is built: the last three filters' states are kept), then
  // again after another filter (its state reused).
  const figures: [string, number, number, number | null][] = cases.map(([name, filter, sort]) => {
    const time = () => {
      const started = performance.now();
      const matched = query.images(1, 1, { ...EMPTY_FILTER, ...filter }, sort, FIRST_WINDOW).count;
      return { matched, ms: performance.now() - started };
    };
    const first = time();
    query.images(1, 1, { ...EMPTY_FILTER, failed: true }, byName, FIRST_WINDOW);
    return [name, first.matched, first.ms, time().ms];
  });
  let started = performance.now();
  const far = query.ids(1, 1, EMPTY_FILTER, byName, { offset: Math.floor(count * 0.9), limit: 500 });
  figures.push(['500 ids at 90 % of the list', far.ids.length, performance.now() - started, null]);
  const photos = query.ids(1, 1, EMPTY_FILTER, byName, { offset: 1000, limit: 50 }).ids;
  started = performance.now();
  const previous = query.setVerdicts(photos.map((imageId) => ({ imageId, verdict: 'unsure' as const })), () => 1);
  const unsure = query.images(1, 1, { ...EMPTY_FILTER, verdicts: ['unsure'] }, byName, FIRST_WINDOW).count;
  figures.push(['verdict on 50, then query', unsure, performance.now() - started, null]);
  query.setVerdicts(previous, () => 1);
  return figures;
}

/** Reads the dataset on this thread, then in the worker, with the longest stall of this thread meanwhile. */
async function benchLoads(file: string): Promise<string> {
  const onThread = new LibraryQuery(openDatabase(file));
  let started = performance.now();
  onThread.images(1, 1, EMPTY_FILTER, byName, FIRST_WINDOW);
  const threadMs = performance.now() - started;
  onThread.close();
  const inWorker = new LibraryQuery(openDatabase(file));
  let stall = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    stall = Math.max(stall, performance.now() - last - 5);
    last = performance.now();
  }, 5);
  started = last = performance.now();
  await inWorker.preload(1, 1);
  const workerMs = performance.now() - started;
  clearInterval(timer);
  inWorker.close();
  return `reading the dataset's columns: ${threadMs.toFixed(0)} ms on the main thread; ${workerMs.toFixed(0)} ms in the worker, the main thread's longest stall ${Math.max(0, stall).toFixed(0)} ms`;
}

interface Server {
  url: string;
  /** performance.now() when the server was started. */
  startedAt: number;
  /** From the spawn to the server listening (the dataset's columns are read after, unless a snapshot gave them). */
  listeningMs: number;
  /** Resident memory now and at its highest, in bytes (Linux). */
  memory(): { rss: number; peak: number };
  close(): Promise<void>;
}

/**
 * `sightline serve --engine on-demand` on the library (a server for review: the engine, about 450 MB, starts with
 * the first analysis), once it listens; it reads the latest dataset in its worker meanwhile.
 */
async function startServer(libraryFile: string): Promise<Server> {
  // A data folder kept between runs.
  const dataDir = path.join(tmpdir(), 'sightline-bench-serve-data');
  mkdirSync(dataDir, { recursive: true });
  const startedAt = performance.now();
  const args = [path.join(root, 'bin', 'sightline.js'), 'serve', '--engine', 'on-demand', '--library', libraryFile, '--data-dir', dataDir];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sightline serve did not start in 5 minutes:\n${stdout}${stderr}`));
    }, 300_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const address = /at (http:\S+)/.exec(stdout)?.[1];
      if (address && /^Engine: /m.test(stdout)) {
        clearTimeout(timer);
        resolve(address);
      }
    });
    child.once('exit', (code) => reject(new Error(`sightline serve exited with ${code} (run \`npx electron-vite build\` first?):\n${stderr}`)));
  });
  const statusKb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN);
  return {
    url,
    startedAt,
    listeningMs: performance.now() - startedAt,
    memory: () => ({ rss: statusKb('VmRSS') * 1024, peak: statusKb('VmHWM') * 1024 }),
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Server time (request sent to first byte of the answer) of each API call the page makes, in order. */
function watchApiCalls(page: Page): { name: string; serverMs: number }[] {
  const calls: { name: string; serverMs: number }[] = [];
  page.on('requestfinished', (request) => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith('/api/')) return;
    const timing = request.timing();
    calls.push({ name: url.pathname.slice('/api/'.length), serverMs: timing.responseStart - timing.requestStart });
  });
  return calls;
}

// Page functions as strings: this project's Node tsconfig has no DOM types.
/**
 * Runs `action` in the page and answers the milliseconds until the grid shows its answer: the first tile holds
 * another image (or the count changed) and its overlay is drawn, checked every frame. -1: not within 60 s.
 */
const repaintScript = (action: string) => `(async () => {
  const first = () => document.querySelector('[data-testid=tile][data-index="0"]');
  const count = () => document.querySelector('[data-testid=result-count]')?.innerText;
  const beforeId = first()?.dataset.imageId;
  const beforeCount = count();
  const started = performance.now();
  ${action};
  for (;;) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const tile = first();
    if (tile?.querySelector('[data-testid=tile-overlay][data-drawn=true]') && (tile.dataset.imageId !== beforeId || count() !== beforeCount)) {
      return performance.now() - started;
    }
    if (performance.now() - started > 60000) return -1;
  }
})()`;
const clickScript = (testId: string) => repaintScript(`document.querySelector('[data-testid=${testId}]').click()`);
const sortScript = (key: string) =>
  repaintScript(`const select = document.querySelector('[data-testid=sort]'); select.value = '${key}'; select.dispatchEvent(new Event('change', { bubbles: true }))`);

/** Waits (every frame, up to 10 s) until no tile in the DOM is still waiting for its row, then counts elements and tiles. */
const settledCountScript = `(async () => {
  const started = performance.now();
  while (document.querySelector('[data-testid=tile-loading]') && performance.now() - started < 10000) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const indexes = [...document.querySelectorAll('[role=gridcell]')].map((tile) => Number(tile.dataset.index));
  return { nodes: document.querySelectorAll('*').length, tiles: indexes.length, lastIndex: Math.max(-1, ...indexes) };
})()`;

async function benchInBrowser(count: number, server: Server): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const calls = watchApiCalls(page);
    /** The server time of the calls named `name` made since `from`, joined for printing. */
    const serverTimes = (from: number, name: string) =>
      calls.slice(from).filter((c) => c.name === name).map((c) => c.serverMs);
    const queryFigure = (from: number) => {
      const times = serverTimes(from, 'queryImages');
      const windows = serverTimes(from, 'queryImageIds');
      const rows = serverTimes(from, 'getImages');
      if (times.length === 0) return 'no query sent';
      const slowest = Math.max(...times);
      return (
        `query ${under(slowest, TARGET.queryMs, 'ms')}` +
        (windows.length ? `, id windows ${Math.max(...windows).toFixed(0)} ms` : '') +
        (rows.length ? `, rows ${Math.max(...rows).toFixed(0)} ms` : '')
      );
    };

    let started = performance.now();
    await page.goto(server.url);
    await page.locator('[data-testid=tile-overlay][data-drawn=true]').first().waitFor({ timeout: 120_000 });
    const firstPaint = performance.now() - started;
    // Painted from an early answer while the server still read the dataset's columns: the filters come when it is done.
    const counting = (await page.getByTestId('facets-counting').count()) > 0;
    await page.waitForTimeout(200);
    console.log(
      `  first paint, page opened as the server starts (it reads the dataset meanwhile): ${under(firstPaint, TARGET.firstPaintMs, 'ms')} ` +
        `(${((performance.now() - server.startedAt) / 1000).toFixed(1)} s after the server started); ${queryFigure(0)}`,
    );
    await page.getByTestId('facets-counting').waitFor({ state: 'detached', timeout: 120_000 });
    if (counting) {
      console.log(`    the photos came from an early answer; the filters were counted ${((performance.now() - started) / 1000).toFixed(1)} s after the page was opened`);
    }
    const reloadFrom = calls.length;
    started = performance.now();
    await page.reload();
    await page.locator('[data-testid=tile-overlay][data-drawn=true]').first().waitFor({ timeout: 120_000 });
    const reloadPaint = performance.now() - started;
    await page.waitForTimeout(200);
    console.log(`  first paint of a page opened later (a reload, a second window): ${under(reloadPaint, TARGET.firstPaintMs, 'ms')}; ${queryFigure(reloadFrom)}`);
    // The same warm server, a browser context of its own (no cache, no compiled code): the browser's share of a cold start.
    const fresh = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    try {
      const freshPage = await fresh.newPage();
      started = performance.now();
      await freshPage.goto(server.url);
      await freshPage.locator('[data-testid=tile-overlay][data-drawn=true]').first().waitFor({ timeout: 120_000 });
      console.log(`  first paint in a fresh browser context on this warm server: ${under(performance.now() - started, TARGET.firstPaintMs, 'ms')}`);
    } finally {
      await fresh.close();
    }

    console.log('  click to repainted grid (measured in the page, to the frame); server time of the query it sent:');
    const clicks: [string, string][] = [
      ['filter: misclassified', clickScript('facet-correctness-incorrect')],
      ['filter: + not reviewed', clickScript('facet-verdict-none')],
      ['clear filters', clickScript('clear-filters')],
      // Issue #15: a tagged view filters as fast as a verdict filter (the synthetic library has a verdict "ok" on
      // about 2.5 % of its photos and the tag "blurry" on about 10 %).
      ['filter: verdict ok', clickScript('facet-verdict-ok')],
      ['clear filters', clickScript('clear-filters')],
      ['filter: tag blurry', clickScript('facet-tags-blurry')],
      ['clear filters', clickScript('clear-filters')],
      ['sort: confidence', sortScript('confidence')],
      ['sort: file name', sortScript('fileName')],
    ];
    for (const [name, script] of clicks) {
      const from = calls.length;
      const ms = await page.evaluate<number>(script);
      await page.waitForTimeout(200); // the finished requests' events reach this process
      const repaint = ms < 0 ? 'no repaint within 60 s' : under(ms, TARGET.repaintMs, 'ms');
      console.log(`    ${name.padEnd(24)} ${repaint}; ${queryFigure(from)}`);
    }

    const grid = page.getByTestId('gallery');
    const { scrollHeight, clientHeight } = await grid.evaluate((el: { scrollHeight: number; clientHeight: number }) => ({
      scrollHeight: el.scrollHeight,
      clientHeight: el.clientHeight,
    }));
    const steps = Math.max(1, Math.min(MAX_SCROLL_STEPS, Math.ceil((scrollHeight - clientHeight) / clientHeight)));
    const samples: { nodes: number; tiles: number; lastIndex: number }[] = [];
    started = performance.now();
    for (let step = 0; step <= steps; step++) {
      // A fraction of the height the grid has now: it changes as the virtual list measures the rows it shows.
      await grid.evaluate(
        (el: { scrollTop: number; scrollHeight: number; clientHeight: number }, fraction: number) =>
          (el.scrollTop = fraction * (el.scrollHeight - el.clientHeight)),
        step / steps,
      );
      samples.push(await page.evaluate<{ nodes: number; tiles: number; lastIndex: number }>(settledCountScript));
    }
    // The end once more, should the last rows have changed the height.
    for (let again = 0; again < 5 && (samples.at(-1)?.lastIndex ?? -1) < count - 1; again++) {
      await grid.evaluate((el: { scrollTop: number; scrollHeight: number }) => (el.scrollTop = el.scrollHeight));
      samples.push(await page.evaluate<{ nodes: number; tiles: number; lastIndex: number }>(settledCountScript));
    }
    const nodes = samples.map((s) => s.nodes);
    const lastIndex = samples.at(-1)?.lastIndex ?? -1;
    console.log(
      `  scrolling end to end in ${samples.length} steps of about ${((scrollHeight - clientHeight) / steps / clientHeight).toFixed(1)} screens ` +
        `(${((performance.now() - started) / samples.length).toFixed(0)} ms a step, grid ${(scrollHeight / 1e6).toFixed(2)} M px tall): ` +
        `DOM nodes max ${under(Math.max(...nodes), TARGET.domNodes, 'nodes')} (median ${median(nodes)}), tiles max ${Math.max(...samples.map((s) => s.tiles))}, ` +
        `last tile reached ${lastIndex + 1} of ${count}${lastIndex + 1 === count ? '' : ' MISSES the end'}`,
    );
  } finally {
    await browser.close();
  }
}

async function benchSize(count: number): Promise<void> {
  const { file, builtSeconds } = await syntheticLibrary(count);
  const bytesPerImage = libraryBytes(file) / count;
  console.log(
    `\n${count} images (1-minute load average ${loadavg()[0].toFixed(1)}): ${builtSeconds === null ? 'cached library' : `library written in ${builtSeconds.toFixed(1)} s`} (${file})\n` +
      `  database ${mb(libraryBytes(file)).toFixed(0)} MB: ${under(kb(bytesPerImage), TARGET.bytesPerImageKb, 'KB', 1)} per image, thumbnails included`,
  );
  console.log(`  ${await benchLoads(file)}`);
  // Read as the server reads it: in the worker, which also sorts the score orders.
  const query = new LibraryQuery(openDatabase(file));
  await query.preload(1, 1);
  console.log('  library query in this process, a click as the grid sends it (200 ids + facet counts), first time, then again:');
  for (const [name, matched, ms, again] of benchQueries(query, count)) {
    const repeat = again === null ? '' : `; again ${again.toFixed(1)} ms`;
    console.log(`    ${name.padEnd(28)} ${String(matched).padStart(8)} images  ${under(ms, TARGET.queryMs, 'ms', 1)}${repeat}`);
  }
  query.close();

  // The first start opens the library as a first open does (after an import, a merge): no snapshot of its columns.
  rmSync(snapshotFile(file), { force: true });
  const server = await startServer(file);
  try {
    console.log(`  server listening ${(server.listeningMs / 1000).toFixed(2)} s after its spawn (the library opened for the first time)`);
    const before = server.memory();
    await benchInBrowser(count, server);
    const after = server.memory();
    console.log(
      `  server memory (sightline serve --engine on-demand): RSS before the page ${mb(before.rss).toFixed(0)} MB, after scrolling ` +
        `${mb(after.rss).toFixed(0)} MB, peak ${under(mb(after.peak), TARGET.serverMb, 'MB')}`,
    );
  } finally {
    await server.close();
  }
  await benchRestart(file);
}

/** A second start of the server: the columns saved at its close (when the dataset is large enough), then a page in a fresh browser. */
async function benchRestart(file: string): Promise<void> {
  const saved = existsSync(snapshotFile(file)) ? `its snapshot of the columns (${mb(statSync(snapshotFile(file)).size).toFixed(0)} MB)` : 'no snapshot (a small dataset)';
  const server = await startServer(file);
  const browser = await launchChromium();
  try {
    console.log(`  restart: server listening ${(server.listeningMs / 1000).toFixed(2)} s after its spawn, with ${saved}`);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const calls = watchApiCalls(page);
    const started = performance.now();
    await page.goto(server.url);
    await page.locator('[data-testid=tile-overlay][data-drawn=true]').first().waitFor({ timeout: 120_000 });
    const firstPaint = performance.now() - started;
    await page.waitForTimeout(200);
    const slowest = (name: string) => Math.max(0, ...calls.filter((c) => c.name === name).map((c) => c.serverMs)).toFixed(0);
    console.log(
      `  first paint after a restart, in a fresh browser: ${under(firstPaint, TARGET.firstPaintMs, 'ms')} ` +
        `(listDatasets ${slowest('listDatasets')} ms, queryImages ${slowest('queryImages')} ms)`,
    );
  } finally {
    await browser.close();
    await server.close();
  }
}

export async function benchGallery(sizes = benchSizes([10_000, 100_000, 1_000_000])): Promise<void> {
  console.log(`gallery at ${sizes.join(', ')} images (targets from issue #16; figures only, never a failure)`);
  for (const count of sizes) await benchSize(count);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv.slice(2).map(Number);
  await benchGallery(sizes.length ? sizes : undefined);
}
