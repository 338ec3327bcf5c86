// The service end to end in plain Node: the real engine and model, real SQLite files, real photos.
import { parse } from 'csv-parse/sync';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeEngine } from '../../common/engine';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_FILTER } from '../../common/query';
import type { JobProgress } from '../../common/types';
import { createCoreService } from './service';
import type { CoreService } from './service-types';

const samplesDir = fileURLToPath(new URL('../../resources/samples/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-service-'));
let service: CoreService;

beforeAll(async () => {
  service = await createCoreService({ dataDir: path.join(tmp, 'data'), mode: 'web' });
});
afterAll(async () => {
  await service?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Imports a folder and waits for the job's last progress event. */
async function importAndWait(folder: string): Promise<{ datasetId: number; runId: number; last: JobProgress }> {
  const events: JobProgress[] = [];
  let jobId = '';
  const ended = new Promise<JobProgress>((resolve) => {
    const stop = service.on('jobProgress', (p) => {
      events.push(p);
      if (p.jobId === jobId && p.state !== 'running') {
        stop();
        resolve(p);
      }
    });
  });
  const started = await service.importFolder({ path: folder });
  jobId = started.jobId;
  const finished = (await service.listJobs({})).find((j) => j.jobId === jobId && j.state !== 'running');
  const last = finished ?? (await ended);
  return { datasetId: started.datasetId, runId: started.runId, last };
}

describe('core service', () => {
  it('answers getInfo at once, before the model has loaded', async () => {
    const info = await service.getInfo({});
    expect(info).toMatchObject({ mode: 'web', dataDir: path.join(tmp, 'data'), samplesDir: expect.stringMatching(/samples$/) });
  });

  it('imports the 34 sample photos with predictions and heatmaps, then resumes without redoing them', async () => {
    const { datasetId, runId, last } = await importAndWait(samplesDir);
    expect(last).toMatchObject({ state: 'done', done: 34, total: 34, failed: 0, etaSec: 0 });
    expect(last.imagesPerSec).toBeGreaterThan(0);

    const images = await service.listImages({ datasetId });
    expect(images).toHaveLength(34);
    for (const image of images) {
      expect(image.status).toBe('done');
      expect(image.top).toHaveLength(3);
      expect(image.top[0].prob).toBeGreaterThanOrEqual(image.top[1].prob);
      expect(image.trueIndex).toBe(Number(image.relPath.slice(0, 3)));
      expect(image.heatmap).not.toBeNull();
      expect(image.heatmap!.classIndex).toBe(image.top[0].index);
      expect(image.heatmap!.values).toHaveLength(image.heatmap!.h * image.heatmap!.w);
      expect(image.heatmap!.scale).toBeCloseTo(Math.max(...image.heatmap!.values), 5);
      expect(image.width).toBeGreaterThan(0);
    }
    // The detail view gets the maps of the top-3 classes, in rank order.
    const detail = await service.getImage({ imageId: images[0].id });
    expect(detail.heatmaps?.map((h) => h.classIndex)).toEqual(images[0].top.map((t) => t.index));
    expect(detail.heatmaps?.[0]).toEqual(images[0].heatmap);
    // MobileNet v1 gets most of these well-known photos right.
    expect(images.filter((i) => i.correct).length).toBeGreaterThanOrEqual(17);

    const info = await service.getInfo({});
    expect(info.model).toMatchObject({ inputSize: 224, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(info.backend?.name).toBeTruthy();
    expect(await service.listRuns({ datasetId })).toEqual([
      expect.objectContaining({ id: runId, state: 'done', method: 'GradCAM', backend: describeEngine(info.backend!), layer: info.model!.layer }),
    ]);
    expect(await service.listDatasets({})).toEqual([
      expect.objectContaining({ id: datasetId, imageCount: 34, doneCount: 34, errorCount: 0, runId }),
    ]);

    const again = await importAndWait(samplesDir);
    expect(again).toMatchObject({ datasetId, runId });
    expect(again.last).toMatchObject({ state: 'done', done: 34, total: 34, imagesPerSec: 0 });
  });

  it('cancels a running import, and importing again resumes where it stopped', async () => {
    const folder = path.join(tmp, 'cancel-me');
    cpSync(samplesDir, folder, { recursive: true });
    let jobId = '';
    const cancelled = new Promise<JobProgress>((resolve) => {
      const stop = service.on('jobProgress', (p) => {
        if (p.jobId !== jobId) return;
        if (p.state === 'running' && p.done >= 8) void service.cancelJob({ jobId });
        if (p.state !== 'running') {
          stop();
          resolve(p);
        }
      });
    });
    jobId = (await service.importFolder({ path: folder })).jobId;
    const stopped = await cancelled;
    expect(stopped.state).toBe('cancelled');
    expect(stopped.done).toBeGreaterThanOrEqual(8);
    expect(stopped.done).toBeLessThan(34);

    const { datasetId, runId, last } = await importAndWait(folder);
    expect(last).toMatchObject({ state: 'done', done: 34, total: 34 });
    expect((await service.listRuns({ datasetId })).map((r) => [r.id, r.state])).toEqual([[runId, 'done']]);
    expect((await service.listImages({ datasetId })).every((i) => i.status === 'done')).toBe(true);
  });

  it('rescans: finds added, changed, touched and removed files, shares results of duplicates, redoes only new work', async () => {
    const folder = path.join(tmp, 'rescan');
    for (const rel of ['281_tabby/gcompris_cat.webp', '285_egyptian_cat/skimage_chelsea.png', '388_giant_panda']) {
      cpSync(path.join(samplesDir, rel), path.join(folder, rel), { recursive: true });
    }
    const first = await importAndWait(folder);
    const initial = first.last.total;
    expect(first.last).toMatchObject({ state: 'done', failed: 0, scan: { added: initial, changed: 0, removed: 0, unchanged: 0 } });
    const before = Object.fromEntries((await service.listImages({ datasetId: first.datasetId })).map((i) => [i.relPath, i]));
    await service.setReview({ imageId: before['281_tabby/gcompris_cat.webp'].id, verdict: 'ok', note: 'reviewed before removal' });

    // Added: a byte-identical copy under another name (a duplicate) and a new photo. Changed: other bytes
    // under the same name. Touched: same bytes, new mtime. Removed: the cat.
    cpSync(path.join(folder, '285_egyptian_cat/skimage_chelsea.png'), path.join(folder, 'copy of chelsea.png'));
    cpSync(path.join(samplesDir, '008_hen'), path.join(folder, '008_hen'), { recursive: true });
    const chelsea = path.join(folder, '285_egyptian_cat/skimage_chelsea.png');
    writeFileSync(chelsea, await sharp(chelsea).flop().png().toBuffer());
    const panda = readdirSync(path.join(folder, '388_giant_panda'))[0];
    utimesSync(path.join(folder, '388_giant_panda', panda), new Date(), new Date(Date.now() + 60_000));
    rmSync(path.join(folder, '281_tabby'), { recursive: true });
    const hens = readdirSync(path.join(folder, '008_hen')).length;

    const second = await importAndWait(folder);
    expect(second.runId).toBe(first.runId);
    const total = initial - 1 + 1 + hens;
    expect(second.last).toMatchObject({ state: 'done', total, failed: 0, scan: { added: 1 + hens, changed: 1, removed: 1, unchanged: initial - 2 } });
    // Only the changed file and the new hens went through the engine; the copy took the original's results.
    const after = Object.fromEntries((await service.listImages({ datasetId: first.datasetId })).map((i) => [i.relPath, i]));
    expect(Object.keys(after)).toHaveLength(total);
    expect(after['281_tabby/gcompris_cat.webp']).toBeUndefined();
    expect(after[`388_giant_panda/${panda}`].top).toEqual(before[`388_giant_panda/${panda}`].top);
    expect(after['285_egyptian_cat/skimage_chelsea.png'].top).not.toEqual(before['285_egyptian_cat/skimage_chelsea.png'].top);
    expect(after['copy of chelsea.png']).toMatchObject({ status: 'done', top: before['285_egyptian_cat/skimage_chelsea.png'].top });
    expect(after['008_hen/' + readdirSync(path.join(folder, '008_hen'))[0]].status).toBe('done');

    // A byte-identical copy of a file already done in this run is recognised and shares its results.
    cpSync(path.join(folder, `388_giant_panda/${panda}`), path.join(folder, 'panda again.jpg'));
    const third = await importAndWait(folder);
    expect(third.last).toMatchObject({ state: 'done', total: total + 1, scan: { added: 1, changed: 0, removed: 0 } });
    const again = (await service.listImages({ datasetId: first.datasetId })).find((i) => i.relPath === 'panda again.jpg')!;
    expect(again).toMatchObject({ status: 'done', duplicateOf: after[`388_giant_panda/${panda}`].id, top: after[`388_giant_panda/${panda}`].top });
    expect(again.heatmap).toEqual(after[`388_giant_panda/${panda}`].heatmap);

    // The removed cat comes back with its review.
    cpSync(path.join(samplesDir, '281_tabby/gcompris_cat.webp'), path.join(folder, '281_tabby/gcompris_cat.webp'));
    const fourth = await importAndWait(folder);
    expect(fourth.last.scan).toMatchObject({ added: 1, removed: 0 });
    const cat = (await service.listImages({ datasetId: first.datasetId })).find((i) => i.relPath === '281_tabby/gcompris_cat.webp')!;
    expect(cat).toMatchObject({ id: before['281_tabby/gcompris_cat.webp'].id, verdict: 'ok', note: 'reviewed before removal' });
  });

  it('records a corrupt JPEG and a text file named .jpg as errors with reasons, and finishes the rest', async () => {
    const folder = path.join(tmp, 'mixed');
    mkdirSync(path.join(folder, 'tabby'), { recursive: true });
    cpSync(path.join(samplesDir, '281_tabby'), path.join(folder, 'tabby'), { recursive: true });
    cpSync(path.join(samplesDir, '652_military_uniform'), path.join(folder, 'n03763968'), { recursive: true });
    const photo = readFileSync(path.join(samplesDir, '652_military_uniform', 'matplotlib_grace_hopper.jpg'));
    writeFileSync(path.join(folder, 'corrupt.jpg'), photo.subarray(0, Math.floor(photo.length / 3)));
    writeFileSync(path.join(folder, 'readme.jpg'), 'This is not a photo.\n');

    const { datasetId, last } = await importAndWait(folder);
    expect(last).toMatchObject({ state: 'done', done: 4, total: 4, failed: 2 });
    const byName = Object.fromEntries((await service.listImages({ datasetId })).map((i) => [i.relPath, i]));
    expect(byName['corrupt.jpg']).toMatchObject({ status: 'error', error: expect.stringMatching(/Could not decode this JPEG file: \S/) });
    expect(byName['readme.jpg']).toMatchObject({ status: 'error', error: expect.stringMatching(/Not an image/) });
    expect(byName['tabby/gcompris_cat.webp']).toMatchObject({ status: 'done', trueLabel: 'tabby', trueIndex: 281 });
    expect(byName['n03763968/matplotlib_grace_hopper.jpg']).toMatchObject({ status: 'done', trueIndex: 652 });
  });

  it('exports a CSV that parses back with every image, its review, and a neutralised formula', async () => {
    const datasetId = (await service.listDatasets({})).find((d) => d.name === 'mixed')!.id;
    const images = await service.listImages({ datasetId });
    const cat = images.find((i) => i.relPath.startsWith('tabby/'))!;
    const updated = await service.setReview({ imageId: cat.id, verdict: 'misattended', note: '=1+1 looks at the sofa' });
    expect(updated).toMatchObject({ id: cat.id, verdict: 'misattended', note: '=1+1 looks at the sofa', status: 'done' });

    const { fileName, csv } = await service.exportCsv({ datasetId });
    expect(fileName).toMatch(/^sightline-mixed-run\d+\.csv$/);
    const records = parse(csv, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.relative_path).sort()).toEqual(images.map((i) => i.relPath).sort());
    const catRecord = records.find((r) => r.relative_path === cat.relPath)!;
    expect(catRecord).toMatchObject({
      path: path.join(tmp, 'mixed', cat.relPath),
      true_label: 'tabby',
      top1_label: cat.top[0].label,
      verdict: 'misattended',
      note: "'=1+1 looks at the sofa",
      status: 'done',
      correct: String(cat.correct),
    });
    expect(records.find((r) => r.relative_path === 'readme.jpg')).toMatchObject({ status: 'error', error: expect.stringMatching(/Not an image/) });
  });

  it("returns the window's first rows with a query when asked, as getImages gives them, under a filter and a sort", async () => {
    const datasetId = (await service.listDatasets({})).find((d) => d.name === 'mixed')!.id;
    const sort = { key: 'confidence', descending: true } as const;
    const filter = { ...EMPTY_FILTER, verdicts: ['none' as const] };
    const plain = await service.queryImages({ datasetId, filter, sort, offset: 1, limit: 10 });
    expect(plain.rows).toBeUndefined();
    const withRows = await service.queryImages({ datasetId, filter, sort, offset: 1, limit: 10, rows: 4 });
    expect(withRows.ids).toEqual(plain.ids);
    expect(withRows.rows).toEqual(await service.getImages({ imageIds: plain.ids.slice(0, 4) }));
    expect(withRows.rows!.map((r) => r.id)).toEqual(plain.ids.slice(0, 4));
  });

  it('reads many rows in one go exactly as it reads each, in the order asked, skipping unknown ids', async () => {
    const ids = (await service.listImages({ datasetId: (await service.listDatasets({})).find((d) => d.name === 'mixed')!.id })).map((i) => i.id);
    const asked = [...ids.slice().reverse(), 999_999, ids[0]];
    const each = await Promise.all(asked.filter((id) => id !== 999_999).map((imageId) => service.getImage({ imageId })));
    expect(await service.getImages({ imageIds: asked })).toEqual(each);
  });

  it('serves media only for ids the database knows', async () => {
    const [image] = await service.listImages({ datasetId: (await service.listDatasets({}))[0].id });
    const thumb = await service.readMedia('thumb', image.id);
    expect(thumb?.mime).toBe('image/jpeg');
    expect((await sharp(thumb!.body).metadata()).format).toBe('jpeg');
    const full = await service.readMedia('image', image.id);
    expect(await sharp(full!.body).metadata()).toMatchObject({ format: 'jpeg', width: image.width, height: image.height });
    expect(await service.readMedia('thumb', 999_999)).toBeNull();
    expect(await service.readMedia('image', 999_999)).toBeNull();
  });

  it('rejects unknown ids and folders with readable errors', async () => {
    await expect(service.getImage({ imageId: 999_999 })).rejects.toThrow(/No image with id 999999/);
    await expect(service.listImages({ datasetId: 999_999 })).rejects.toThrow(/No dataset with id 999999/);
    await expect(service.importFolder({ path: path.join(tmp, 'nope') })).rejects.toThrow(`There is no folder ${path.join(tmp, 'nope')}`);
    await expect(service.setReview({ imageId: 999_999, verdict: 'ok', note: '' })).rejects.toThrow(/No image/);
    expect(await service.cancelJob({ jobId: 'unknown' })).toEqual({ cancelled: false });
  });
});

describe('core service with the engine on demand', () => {
  it('starts no engine until an import needs it, then imports as usual and names its backend', async () => {
    const folder = path.join(tmp, 'on-demand-photos');
    mkdirSync(folder);
    for (const [index, classFolder] of readdirSync(samplesDir).filter((f) => /^\d+_/.test(f)).slice(0, 2).entries()) {
      const photo = readdirSync(path.join(samplesDir, classFolder))[0];
      cpSync(path.join(samplesDir, classFolder, photo), path.join(folder, `${index}-${photo}`));
    }
    const lazy = await createCoreService({ dataDir: path.join(tmp, 'on-demand'), mode: 'web', engineStart: 'on-demand' });
    try {
      // The bundled model joins the library; its engine does not start while nothing needs it.
      await expect.poll(async () => (await lazy.getInfo({})).model, { timeout: 60_000 }).toBeTruthy();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await lazy.getInfo({})).toMatchObject({ backend: null, engineOnDemand: true });
      const started = await lazy.importFolder({ path: folder });
      await expect.poll(async () => (await lazy.listJobs({})).find((j) => j.jobId === started.jobId)?.state, { timeout: 120_000 }).toBe('done');
      expect((await lazy.listImages({ datasetId: started.datasetId })).map((image) => image.status)).toEqual(['done', 'done']);
      expect((await lazy.getInfo({})).backend?.name).toBeTruthy();
    } finally {
      await lazy.close();
    }
  });
});
