// Runs as a person drives them through the service: pause and resume, cancel while paused, and several
// comparable runs of one dataset with other methods and layers. Real engine, real SQLite, real photos.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobProgress } from '../../../common/types';
import { createCoreService } from '../service';
import type { CoreService } from '../service-types';

const samplesDir = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-runs-'));
const BATCH = 2;
let service: CoreService;

beforeAll(async () => {
  service = await createCoreService({ dataDir: path.join(tmp, 'data'), mode: 'web', batchSize: BATCH });
});
afterAll(async () => {
  await service?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function folderOf(name: string, classes: number): string {
  const folder = path.join(tmp, name);
  for (const dir of readdirSync(samplesDir).slice(0, classes)) cpSync(path.join(samplesDir, dir), path.join(folder, dir), { recursive: true });
  return folder;
}

/** Every event of one job until it ends; `onEvent` may act on the job as it goes. */
function follow(jobId: () => string, onEvent: (p: JobProgress) => void = () => undefined): Promise<JobProgress[]> {
  const events: JobProgress[] = [];
  return new Promise((resolve) => {
    const stop = service.on('jobProgress', (p) => {
      if (p.jobId !== jobId()) return;
      events.push(p);
      onEvent(p);
      if (p.state !== 'running') {
        stop();
        resolve(events);
      }
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jobOf = async (jobId: string) => (await service.listJobs({})).find((j) => j.jobId === jobId)!;

/** Imports `folder` and pauses the job at its first event with a total, before any batch is analysed. */
async function importPausedAtOnce(folder: string): Promise<{ jobId: string; ended: Promise<JobProgress[]> }> {
  let jobId = '';
  let paused: Promise<unknown> | null = null;
  const ended = follow(
    () => jobId,
    (p) => {
      if (p.total > 0 && !paused) paused = service.pauseJob({ jobId });
    },
  );
  jobId = (await service.importFolder({ path: folder })).jobId;
  await expect.poll(() => paused).not.toBeNull();
  expect(await paused).toEqual({ paused: true });
  return { jobId, ended };
}

it('pauses between batches (no ETA, nothing advances), resumes, and finishes every image', async () => {
  const folder = folderOf('pause', 34);
  let jobId = '';
  let pausedAt: number | null = null;
  const ended = follow(
    () => jobId,
    (p) => {
      if (pausedAt === null && p.done >= 2 * BATCH) {
        pausedAt = p.done;
        void service.pauseJob({ jobId }).then((r) => expect(r).toEqual({ paused: true }));
      }
    },
  );
  jobId = (await service.importFolder({ path: folder })).jobId;
  await expect.poll(async () => (await jobOf(jobId)).paused, { timeout: 30_000 }).toBe(true);
  // Batches already handed to the engine finish and are stored; then nothing moves.
  await sleep(1500);
  const settled = await jobOf(jobId);
  await sleep(1000);
  const still = await jobOf(jobId);
  expect(still).toMatchObject({ state: 'running', paused: true, etaSec: null, done: settled.done });
  expect(still.done).toBeLessThan(still.total);
  expect(await service.pauseJob({ jobId })).toEqual({ paused: false });

  expect(await service.resumeJob({ jobId })).toEqual({ resumed: true });
  expect(await service.resumeJob({ jobId })).toEqual({ resumed: false });
  const events = await ended;
  expect(events.at(-1)).toMatchObject({ state: 'done', done: still.total, failed: 0, paused: false });
  expect(events.some((e) => e.paused === false && e.done > still.done && e.etaSec !== null)).toBe(true);
});

it('holds a pause that comes before the last, partial batch, and finishes it on resume', async () => {
  // One photo with batches of two: the job has no full batch, only the partial one at the end.
  const folder = path.join(tmp, 'one-photo');
  const [dir] = readdirSync(samplesDir);
  const [file] = readdirSync(path.join(samplesDir, dir));
  cpSync(path.join(samplesDir, dir, file), path.join(folder, dir, file));
  const { jobId, ended } = await importPausedAtOnce(folder);
  await sleep(1500);
  expect(await jobOf(jobId)).toMatchObject({ state: 'running', paused: true, done: 0, total: 1 });
  expect(await service.resumeJob({ jobId })).toEqual({ resumed: true });
  expect((await ended).at(-1)).toMatchObject({ state: 'done', done: 1, paused: false });
});

it('cancels a paused job', async () => {
  const folder = folderOf('pause-cancel', 12);
  const { jobId, ended } = await importPausedAtOnce(folder);
  await sleep(500);
  expect(await service.cancelJob({ jobId })).toEqual({ cancelled: true });
  const last = (await ended).at(-1)!;
  expect(last).toMatchObject({ state: 'cancelled', paused: false, total: 12 });
  expect(last.done).toBeLessThan(last.total);
});

it('keeps several comparable runs of a dataset: other method, other layer, other number of maps', async () => {
  const folder = folderOf('runs', 3);
  let jobId = '';
  let ended = follow(() => jobId);
  const first = await service.importFolder({ path: folder });
  jobId = first.jobId;
  expect((await ended).at(-1)).toMatchObject({ state: 'done', failed: 0 });
  const info = await service.getInfo({});
  const otherLayer = info.model!.candidateLayers!.find((l) => l !== info.model!.layer && l.includes('conv_pw_11'))!;
  expect(otherLayer).toBeDefined();

  ended = follow(() => jobId);
  const second = await service.startRun({ datasetId: first.datasetId, method: 'EigenCAM', layer: otherLayer, camTopK: 1 });
  jobId = second.jobId;
  expect((await ended).at(-1)).toMatchObject({ state: 'done', failed: 0 });
  expect(second.runId).not.toBe(first.runId);

  const runs = await service.listRuns({ datasetId: first.datasetId });
  expect(runs).toEqual([
    expect.objectContaining({ id: first.runId, method: 'GradCAM', layer: info.model!.layer, state: 'done', options: { topK: 3, camTopK: 3 } }),
    expect.objectContaining({ id: second.runId, method: 'EigenCAM', layer: otherLayer, state: 'done', options: { topK: 3, camTopK: 1 } }),
  ]);
  const gradcam = await service.listImages({ datasetId: first.datasetId, runId: first.runId });
  const eigen = await service.listImages({ datasetId: first.datasetId, runId: second.runId });
  for (let i = 0; i < gradcam.length; i++) {
    // The same predictions; maps at each run's layer (conv_pw_11 is 14×14, twice conv_pw_13's 7×7).
    expect(eigen[i].top.map((t) => t.index)).toEqual(gradcam[i].top.map((t) => t.index));
    expect(gradcam[i].heatmap).toMatchObject({ h: 7, w: 7 });
    expect(eigen[i].heatmap).toMatchObject({ h: 14, w: 14 });
  }

  // Starting a finished run again does nothing new; an unknown layer is refused with the choices.
  ended = follow(() => jobId);
  jobId = (await service.startRun({ datasetId: first.datasetId })).jobId;
  expect((await ended).at(-1)).toMatchObject({ state: 'done', runId: first.runId, imagesPerSec: 0 });
  await expect(service.startRun({ datasetId: first.datasetId, layer: 'no_such_layer' })).rejects.toThrow(/no layer "no_such_layer".*conv_pw_13/);
});
