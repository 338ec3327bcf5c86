// Folders through the service (issue 15): ground truth from nested layouts and split folders, the dataset's label
// setting, the "not analysed" count, and a file over the size limit, with the real model, photos and library file.
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_FILTER } from '../../common/query';
import type { ImageRow, JobProgress } from '../../common/types';
import { createCoreService } from './service';
import type { CoreService } from './service-types';

const samplesDir = fileURLToPath(new URL('../../resources/samples/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-labels-'));
const root = path.join(tmp, 'data');
let service: CoreService;

/** data/hard/281_tabby/cat.webp, data/val/n02510455/panda.webp (a WordNet id under a split), data/bad/cow.webp. */
function place(sample: string, relPath: string): void {
  mkdirSync(path.dirname(path.join(root, relPath)), { recursive: true });
  cpSync(path.join(samplesDir, sample), path.join(root, relPath));
}

async function importAndWait(folder: string): Promise<{ datasetId: number; runId: number; job: JobProgress }> {
  const started = await service.importFolder({ path: folder });
  for (;;) {
    const job = (await service.listJobs({})).find((j) => j.jobId === started.jobId) as JobProgress;
    if (job.state !== 'running' && job.state !== 'queued') {
      expect(job.state).toBe('done');
      return { ...started, job };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const truthOf = (images: ImageRow[]) => Object.fromEntries(images.map((i) => [i.relPath, [i.trueLabel, i.trueIndex]]));
const levelsOf = (images: ImageRow[]) => Object.fromEntries(images.map((i) => [i.relPath, i.trueLevel]));

beforeAll(async () => {
  place('281_tabby/gcompris_cat.webp', 'hard/281_tabby/cat.webp');
  place('388_giant_panda/gcompris_panda.webp', 'val/n02510455/panda.webp');
  place('345_ox/gcompris_cow.webp', 'bad/cow.webp');
  service = await createCoreService({ dataDir: path.join(tmp, 'library'), mode: 'web', batchSize: 2 });
});
afterAll(async () => {
  await service?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('ground truth of a dataset', () => {
  let datasetId: number;
  let runId: number;

  it('comes from the nearest folder that names a class, never from split or free-text folders', async () => {
    ({ datasetId, runId } = await importAndWait(root));
    const images = await service.listImages({ datasetId });
    expect(truthOf(images)).toEqual({
      'bad/cow.webp': [null, null],
      'hard/281_tabby/cat.webp': ['tabby', 281],
      'val/n02510455/panda.webp': ['giant panda', 388],
    });
    expect(levelsOf(images)).toEqual({ 'bad/cow.webp': null, 'hard/281_tabby/cat.webp': 2, 'val/n02510455/panda.webp': 2 });
    const [summary] = await service.listDatasets({});
    expect(summary).toMatchObject({ labelSource: 'auto', labelLevels: [{ level: 2, count: 2, example: '281_tabby' }] });

    const { facets } = await service.queryImages({ datasetId, filter: EMPTY_FILTER, sort: { key: 'fileName', descending: false } });
    expect(facets.truth.map((t) => t.value).sort()).toEqual(['giant panda', 'tabby']);
    expect(facets.correctness.find((c) => c.value === 'unknown')?.count).toBe(1);
    expect(facets.correctness.find((c) => c.value === 'unanalysed')?.count).toBe(0);
    const { html } = await service.exportHtml({ datasetId });
    expect(html).not.toMatch(/True: (hard|bad|val)\b/);
  });

  it('follows the dataset setting (a folder level, or none) without running the model again, also on the next import', async () => {
    const before = await service.listImages({ datasetId, runId });
    const level1 = await service.setDatasetLabels({ datasetId, source: { level: 1 } });
    expect(level1).toMatchObject({ id: datasetId, labelSource: { level: 1 }, labelLevels: [{ level: 1, count: 2, example: 'bad' }] });
    const relabelled = await service.listImages({ datasetId, runId });
    expect(truthOf(relabelled)).toEqual({
      'bad/cow.webp': ['bad', null],
      'hard/281_tabby/cat.webp': ['hard', null],
      'val/n02510455/panda.webp': [null, null],
    });
    expect(levelsOf(relabelled)).toEqual({ 'bad/cow.webp': 1, 'hard/281_tabby/cat.webp': 1, 'val/n02510455/panda.webp': null });
    // The predictions are the run's, untouched.
    expect(relabelled.map((i) => i.top)).toEqual(before.map((i) => i.top));

    expect(await service.setDatasetLabels({ datasetId, source: 'none' })).toMatchObject({ labelSource: 'none', labelLevels: [] });
    await importAndWait(root);
    expect((await service.listImages({ datasetId })).every((i) => i.trueLabel === null)).toBe(true);

    await service.setDatasetLabels({ datasetId, source: 'auto' });
    expect(truthOf(await service.listImages({ datasetId }))['hard/281_tabby/cat.webp']).toEqual(['tabby', 281]);
  });
});

describe('a photo over the size limit', () => {
  it('is an error row that says so, found from its size without reading it', async () => {
    const folder = path.join(tmp, 'oversize');
    mkdirSync(folder);
    cpSync(path.join(samplesDir, '281_tabby/gcompris_cat.webp'), path.join(folder, 'cat.webp'));
    // Sparse: 1 GiB on paper, nothing on disk.
    writeFileSync(path.join(folder, 'huge.jpg'), Buffer.from([0xff, 0xd8, 0xff]));
    truncateSync(path.join(folder, 'huge.jpg'), 1024 * 1024 * 1024);
    const { datasetId, job } = await importAndWait(folder);
    expect(job).toMatchObject({ done: 2, failed: 1 });
    const byName = Object.fromEntries((await service.listImages({ datasetId })).map((i) => [i.relPath, i]));
    expect(byName['cat.webp'].status).toBe('done');
    expect(byName['huge.jpg']).toMatchObject({ status: 'error', error: 'Too large to read: 1024 MB is over the 128 MB limit for one photo; save a smaller copy' });
  });
});

describe('the folder browser through the service', () => {
  it('lists a folder’s subfolders with their photo counts and offers the imported folders and added models as recent', async () => {
    const result = await service.browse({ path: root });
    expect(result.entries.map((e) => [e.name, e.photoCount])).toEqual([
      ['bad', 1],
      ['hard', 1],
      ['val', 1],
    ]);
    const models = await service.listModels({});
    // Datasets are kept by their real path.
    const [data, oversize] = [realpathSync(root), realpathSync(path.join(tmp, 'oversize'))];
    expect(result.recent).toEqual(expect.arrayContaining([data, oversize, ...models.map((m) => m.path)]));
    expect(result.recent.indexOf(oversize)).toBeLessThan(result.recent.indexOf(data));
  });
});
