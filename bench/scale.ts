// An import that stays flat (issue #16): a real import of 2,000 photos (the service's import job with the bundled
// model, as `sightline analyze` runs it: no gallery preload) into a library that already holds 0, 100k or 1M synthetic images
// (bench/synthetic-library.ts; SIGHTLINE_BENCH_SIZES=10000,100000 to choose the sizes besides 0). Printed per size:
// img/s and CPU milliseconds per image over the first 200 and the last 200 photos and the process's RSS at those
// points, with the ratio to the empty library's (CPU per image shows the import's own cost on a machine whose other
// work moves img/s). The first and the last 200 are different photos (the import goes by path), so each window is
// compared with the same window of the empty library's import, not with the other. Each import runs in a process of
// its own, so the memory figures are the import's alone.
// Run: `npx tsx bench/scale.ts`.
import { spawn } from 'node:child_process';
import { constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { describeEngine } from '../common/engine';
import { appPaths } from '../main/core/paths';
import { createCoreService } from '../main/core/service';
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
}

interface WindowFigures {
  rate: number;
  cpuMs: number;
  rss: number;
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
async function measureImport(libraryFile: string, photos: string): Promise<ImportFigures> {
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
    const samples: { done: number; at: number; cpu: number; rss: number }[] = [];
    let called = 0;
    let scanned = 0;
    let end = { done: 0, failed: 0 };
    const finished = new Promise<void>((resolve) => {
      service.on('jobProgress', (p) => {
        const { user, system } = process.cpuUsage();
        const now = { done: p.done, at: performance.now(), cpu: (user + system) / 1000, rss: process.memoryUsage().rss };
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
    const between = (a: typeof start, b: typeof start): WindowFigures => ({
      rate: (b.done - a.done) / ((b.at - a.at) / 1000),
      cpuMs: (b.cpu - a.cpu) / (b.done - a.done),
      rss: b.rss,
    });
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

const describe = (w: WindowFigures) => `${w.rate.toFixed(1)} img/s, ${w.cpuMs.toFixed(1)} ms of CPU per image, RSS ${mb(w.rss).toFixed(0)} MB`;

export async function benchScale(sizes = benchSizes([100_000, 1_000_000])): Promise<void> {
  const photos = await importPhotos();
  console.log(`a real import of ${PHOTOS} photos (${photos}) on top of 0, ${sizes.join(', ')} existing images; figures only, never a failure`);
  let empty: ImportFigures | null = null;
  for (const existing of [0, ...sizes]) {
    const load = loadavg()[0];
    const figures = await importOnTop(existing, photos);
    empty ??= figures;
    const { first, last } = figures;
    console.log(
      `\n${existing} existing images (1-minute load average ${load.toFixed(1)} before): ${figures.done} imported, ${figures.failed} failed, ` +
        `scan recorded ${figures.scanSeconds.toFixed(1)} s after the import call (model loaded before); ${figures.engine}\n` +
        `  first ${WINDOW}: ${describe(first)}\n` +
        `  last ${WINDOW}:  ${describe(last)}`,
    );
    if (existing > 0) {
      const ratio = (name: string, value: number, reference: number) =>
        `${name} ${noWorse(value / reference, TOLERANCE, name === 'rate' ? 'higher' : 'lower')}`;
      console.log(
        `  against the empty library, first ${WINDOW}: ${ratio('rate', first.rate, empty.first.rate)}, ${ratio('CPU per image', first.cpuMs, empty.first.cpuMs)}, ` +
          `${ratio('RSS', first.rss, empty.first.rss)}\n` +
          `  against the empty library, last ${WINDOW}:  ${ratio('rate', last.rate, empty.last.rate)}, ${ratio('CPU per image', last.cpuMs, empty.last.cpuMs)}, ` +
          `${ratio('RSS', last.rss, empty.last.rss)}`,
      );
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--import-into') {
    const figures = await measureImport(process.argv[3], process.argv[4]);
    console.log(`FIGURES ${JSON.stringify(figures)}`);
  } else {
    const sizes = process.argv.slice(2).map(Number);
    await benchScale(sizes.length ? sizes : undefined);
  }
}
