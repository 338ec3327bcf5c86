// An import that stays flat (issue #16): a real import of 2,000 photos (the service's import job with the bundled
// model, as `sightline analyze` runs it: no gallery preload) into a library that already holds 0, 100k or 1M synthetic images
// (bench/synthetic-library.ts; SIGHTLINE_BENCH_SIZES=10000,100000 to choose the sizes besides 0). Printed per size:
// img/s and CPU milliseconds per image over the first 200 and the last 200 photos and the process's RSS at those
// points, with the ratio to the empty library's (CPU per image shows the import's own cost on a machine whose other
// work moves img/s). The first and the last 200 are different photos (the import goes by path), so each window is
// compared with the same window of the empty library's import, not with the other. Each import runs in a process of
// its own, so the memory figures are the import's alone.
// CPU per image is split (Linux) into the main thread's, where the job and every read and write of the library run (the
// only part a larger library could make dearer), and the other threads' (engine workers, decoding), which never touch
// the library; and the rest of the machine's CPU meanwhile is printed beside it. On this two-core machine other work
// raises every thread's CPU per image, the engine's included: a rise in the other threads' CPU is the machine's, not
// the library's. The empty library's import runs again at the end, so the run shows how far the machine drifted.
// Then the same child times the import's write path alone on the same library, without the engine (2,000 results of
// the import's shape, written as the job writes them: the twin lookup per image, one transaction per batch of 8):
// that figure is one thread's and moves little with the machine.
// Run: `npx tsx bench/scale.ts`.
import { spawn } from 'node:child_process';
import { constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { describeEngine } from '../common/engine';
import { appPaths } from '../main/core/paths';
import { writeResultsWithMetrics } from '../main/core/analysis/image-metrics';
import { BATCH_SIZE } from '../main/core/jobs/import-job';
import { createCoreService } from '../main/core/service';
import { Store, type ImageResult } from '../main/core/store/store';
import { syntheticLibrary } from './synthetic-library';
import { benchSizes, mb, noWorse } from './targets';

const PHOTOS = 2000;
/** The stretch at each end of the import that the rate and the memory are measured over. */
const WINDOW = 200;
/** A rate or a memory figure within this fraction of the empty library's counts as flat. */
const TOLERANCE = 0.1;

/** The figures one import reports to the parent process. */
interface ImportFigures {
  engine: string;
  /** Seconds from the import call (the model already loaded) to the scan being recorded. */
  scanSeconds: number;
  done: number;
  failed: number;
  /** Images per second, CPU milliseconds per image (every thread of the process: far less moved by other work on the machine) and RSS. */
  first: WindowFigures;
  last: WindowFigures;
  /** CPU milliseconds per image of the write path alone (measureWrites). */
  writesMs: number;
}

interface WindowFigures {
  rate: number;
  cpuMs: number;
  /** CPU milliseconds per image of the main thread (the job, the store), null where /proc is not there. */
  mainMs: number | null;
  /** CPU milliseconds per image the rest of the machine (other processes, the kernel's threads) used meanwhile. */
  elsewhereMs: number | null;
  rss: number;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux Node runs on). */
const TICK_MS = 10;

/** The main thread's CPU milliseconds (utime + stime of /proc/self/task/PID/stat), null off Linux. */
function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** CPU milliseconds the whole machine has been busy (every state of /proc/stat's cpu line but idle and iowait), null off Linux. */
function machineBusyMs(): number | null {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    return (ticks.slice(0, 8).reduce((sum, t) => sum + t, 0) - ticks[3] - ticks[4]) * TICK_MS;
  } catch {
    return null;
  }
}

/**
 * PHOTOS distinct photos made from the bundled samples (class folders, so ground truth still comes from the folder
 * names): each copy re-encoded at another size, crop and JPEG quality, so none shares its results with another.
 * Cached under the temp folder.
 */
async function importPhotos(): Promise<string> {
  const dir = path.join(tmpdir(), `sightline-bench-scale-photos-${PHOTOS}-v1`);
  if (existsSync(dir)) return dir;
  const partial = mkdtempSync(`${dir}.partial-`);
  const samples = appPaths().samplesDir;
  const sources = readdirSync(samples, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(path.join(samples, d.name)).map((file) => ({ folder: d.name, file })));
  const widths = [400, 640, 800, 1024, 1280];
  const make = async (i: number) => {
    const { folder, file } = sources[i % sources.length];
    const copy = Math.floor(i / sources.length);
    const source = path.join(samples, folder, file);
    const { width = 0, height = 0 } = await sharp(source).metadata();
    const inset = copy % 12;
    mkdirSync(path.join(partial, folder), { recursive: true });
    await sharp(source)
      .extract({ left: inset, top: inset, width: width - 2 * inset, height: height - 2 * inset })
      .resize({ width: Math.min(width - 2 * inset, widths[copy % widths.length]) })
      .jpeg({ quality: 60 + ((copy * 7) % 36) })
      .toFile(path.join(partial, folder, `${String(copy).padStart(3, '0')}_${path.parse(file).name}.jpg`));
  };
  try {
    for (let i = 0; i < PHOTOS; i += 2) await Promise.all([make(i), make(i + 1)]);
    renameSync(partial, dir);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return dir;
}

/** The import of `photos` into `libraryFile`, measured in this process (the child's part). */
async function measureImport(libraryFile: string, photos: string): Promise<Omit<ImportFigures, 'writesMs'>> {
  // Kept between runs: the converted model is cached there.
  const dataDir = path.join(tmpdir(), 'sightline-bench-scale-data');
  const service = await createCoreService({ dataDir, libraryFile, mode: 'web', galleryPreload: false });
  try {
    // The model loads and warms up in the background: the scan figure is the scan's alone.
    const deadline = performance.now() + 300_000;
    while (!(await service.getInfo({})).backend) {
      if (performance.now() > deadline) throw new Error('The model did not load within 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const samples: { done: number; at: number; cpu: number; main: number | null; machine: number | null; rss: number }[] = [];
    let called = 0;
    let scanned = 0;
    let end = { done: 0, failed: 0 };
    const finished = new Promise<void>((resolve) => {
      service.on('jobProgress', (p) => {
        const { user, system } = process.cpuUsage();
        const now = {
          done: p.done,
          at: performance.now(),
          cpu: (user + system) / 1000,
          main: mainThreadCpuMs(),
          machine: machineBusyMs(),
          rss: process.memoryUsage().rss,
        };
        // The clock starts when the scan is recorded, as in the pipeline bench.
        if (p.total > 0 && scanned === 0) scanned = now.at;
        if (scanned > 0) samples.push(now);
        if (p.state !== 'running' && p.state !== 'queued') {
          end = { done: p.done, failed: p.failed };
          resolve();
        }
      });
    });
    called = performance.now();
    await service.importFolder({ path: photos });
    await finished;
    const info = await service.getInfo({});
    const start = samples[0];
    const last = samples.at(-1)!;
    const firstEnd = samples.find((s) => s.done >= WINDOW) ?? last;
    const lastStart = samples.findLast((s) => s.done <= last.done - WINDOW) ?? start;
    const between = (a: typeof start, b: typeof start): WindowFigures => {
      const images = b.done - a.done;
      const cpu = b.cpu - a.cpu;
      return {
        rate: images / ((b.at - a.at) / 1000),
        cpuMs: cpu / images,
        mainMs: a.main === null || b.main === null ? null : (b.main - a.main) / images,
        // The process's own CPU is in the machine's: what is left is everybody else's.
        elsewhereMs: a.machine === null || b.machine === null ? null : Math.max(0, b.machine - a.machine - cpu) / images,
        rss: b.rss,
      };
    };
    return {
      engine: info.backend ? describeEngine(info.backend) : 'unknown engine',
      scanSeconds: (scanned - called) / 1000,
      ...end,
      first: between(start, firstEnd),
      last: between(lastStart, last),
    };
  } finally {
    await service.close();
  }
}

/**
 * The import's store work alone on `libraryFile`: a dataset of PHOTOS new images, then their results (top-3, three
 * 7 × 7 maps, a 17 KB thumbnail) written as runImport writes them. CPU milliseconds per image (one thread).
 */
function measureWrites(libraryFile: string): number {
  const store = new Store(libraryFile);
  try {
    const labels = Array.from({ length: 1000 }, (_, i) => `class ${i}`);
    const modelId = store.ensureModel({ hash: 'scale-bench-writes', name: 'writes', dir: '/writes', inputSize: 224, labels });
    const dataset = store.ensureDataset('/sightline-scale-bench/writes');
    const entries = Array.from({ length: PHOTOS }, (_, i) => ({
      kind: 'added' as const,
      relPath: `n${String(i % 30).padStart(8, '0')}/${String(i).padStart(5, '0')}_photo.jpg`,
      size: 100_000 + i,
      mtimeMs: 1,
      trueLabel: `class ${i % 30}`,
      trueIndex: i % 30,
      trueLevel: 1,
    }));
    store.applyScan(dataset.id, entries, [], modelId);
    const runId = store.ensureRun({ datasetId: dataset.id, modelId, method: 'GradCAM', layer: 'writes', options: {}, backend: 'cpu' });
    const pending = store.pendingImages(dataset.id, runId);
    const thumbnail = Buffer.alloc(17_000, 7);
    let seed = 1;
    const next = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const before = process.cpuUsage();
    for (let b = 0; b < pending.length; b += BATCH_SIZE) {
      const results = pending.slice(b, b + BATCH_SIZE).map((image): ImageResult => {
        const contentHash = `${image.id.toString(16).padStart(16, '0')}${'0'.repeat(48)}`;
        store.twinWithResults(dataset.id, runId, contentHash);
        const top = [0, 1, 2].map((rank) => ({ index: (image.id * 7 + rank * 13) % 1000, prob: 0.6 / (rank + 1) }));
        const heatmaps = top.map((t) => {
          const values = Float32Array.from({ length: 49 }, next);
          return { classIndex: t.index, h: 7, w: 7, values, scale: Math.max(...values) };
        });
        return { imageId: image.id, ok: true, contentHash, width: 640, height: 480, thumbnail, top, heatmaps };
      });
      writeResultsWithMetrics(store, runId, results);
    }
    const { user, system } = process.cpuUsage(before);
    return (user + system) / 1000 / pending.length;
  } finally {
    store.close();
  }
}

/** Runs the import in a child process on a copy of the synthetic library of `existing` images (none: a new library). */
async function importOnTop(existing: number, photos: string): Promise<ImportFigures> {
  const work = mkdtempSync(path.join(tmpdir(), 'sightline-bench-scale-'));
  try {
    const libraryFile = path.join(work, 'library.db');
    if (existing > 0) copyFileSync((await syntheticLibrary(existing)).file, libraryFile, constants.COPYFILE_FICLONE);
    const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      const child = spawn(tsx, [fileURLToPath(import.meta.url), '--import-into', libraryFile, photos], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`The import on ${existing} images exited with ${code}:\n${stdout}`))));
    });
    const line = stdout.split('\n').find((l) => l.startsWith('FIGURES '));
    if (!line) throw new Error(`The import on ${existing} images printed no figures:\n${stdout}`);
    return JSON.parse(line.slice('FIGURES '.length)) as ImportFigures;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const describe = (w: WindowFigures) =>
  `${w.rate.toFixed(1)} img/s, ${w.cpuMs.toFixed(1)} ms of CPU per image` +
  (w.mainMs === null ? '' : ` (main thread ${w.mainMs.toFixed(2)}, other threads ${(w.cpuMs - w.mainMs).toFixed(1)})`) +
  `, RSS ${mb(w.rss).toFixed(0)} MB` +
  (w.elsewhereMs === null ? '' : `; the rest of the machine meanwhile ${w.elsewhereMs.toFixed(1)} ms of CPU per image`);

/** The figures of `w` against the same window of the empty library's import. */
function against(w: WindowFigures, empty: WindowFigures): string {
  const ratio = (name: string, value: number, reference: number) =>
    `${name} ${noWorse(value / reference, TOLERANCE, name === 'rate' ? 'higher' : 'lower')}`;
  const main = w.mainMs !== null && empty.mainMs !== null ? `, main thread's CPU per image ${(w.mainMs / empty.mainMs).toFixed(2)}` : '';
  const others =
    w.mainMs !== null && empty.mainMs !== null ? `, other threads' ${((w.cpuMs - w.mainMs) / (empty.cpuMs - empty.mainMs)).toFixed(2)}` : '';
  return `${ratio('rate', w.rate, empty.rate)}, ${ratio('CPU per image', w.cpuMs, empty.cpuMs)}${main}${others}, ${ratio('RSS', w.rss, empty.rss)}`;
}

export async function benchScale(sizes = benchSizes([100_000, 1_000_000])): Promise<void> {
  const photos = await importPhotos();
  console.log(`a real import of ${PHOTOS} photos (${photos}) on top of 0, ${sizes.join(', ')} existing images; figures only, never a failure`);
  let empty: ImportFigures | null = null;
  // The empty library again at the end: how far the machine itself moved during the run.
  for (const existing of [0, ...sizes, 0]) {
    const load = loadavg()[0];
    const figures = await importOnTop(existing, photos);
    empty ??= figures;
    const { first, last } = figures;
    console.log(
      `\n${existing} existing images (1-minute load average ${load.toFixed(1)} before): ${figures.done} imported, ${figures.failed} failed, ` +
        `scan recorded ${figures.scanSeconds.toFixed(1)} s after the import call (model loaded before); ${figures.engine}\n` +
        `  first ${WINDOW}: ${describe(first)}\n` +
        `  last ${WINDOW}:  ${describe(last)}\n` +
        `  the write path alone (no engine, ${PHOTOS} results in batches of ${BATCH_SIZE}): ${figures.writesMs.toFixed(3)} ms of CPU per image` +
        (figures === empty ? '' : `, ${(figures.writesMs / empty.writesMs).toFixed(2)} times the empty library's`),
    );
    if (figures !== empty) {
      const name = existing > 0 ? 'against the empty library' : 'the empty library again, against its first import';
      console.log(`  ${name}, first ${WINDOW}: ${against(first, empty.first)}\n  ${name}, last ${WINDOW}:  ${against(last, empty.last)}`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--import-into') {
    const figures = { ...(await measureImport(process.argv[3], process.argv[4])), writesMs: measureWrites(process.argv[3]) };
    console.log(`FIGURES ${JSON.stringify(figures)}`);
  } else {
    const sizes = process.argv.slice(2).map(Number);
    await benchScale(sizes.length ? sizes : undefined);
  }
}
