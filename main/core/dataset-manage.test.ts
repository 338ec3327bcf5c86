// Renaming and removing a dataset through the service (issue 15), with the real model, photos and library file:
// removing forgets everything the library holds on it and never touches the photos.
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInput } from '../../common/contract';
import type { JobProgress } from '../../common/types';
import { createCoreService } from './service';
import type { CoreService } from './service-types';

const samplesDir = fileURLToPath(new URL('../../resources/samples/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-manage-'));
const photos = path.join(tmp, 'pets');
let service: CoreService;

async function importAndWait(folder: string): Promise<{ datasetId: number; runId: number }> {
  const started = await service.importFolder({ path: folder });
  for (;;) {
    const job = (await service.listJobs({})).find((j) => j.jobId === started.jobId) as JobProgress;
    if (job.state !== 'running' && job.state !== 'queued') return started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  for (const dir of ['281_tabby', '235_german_shepherd']) cpSync(path.join(samplesDir, dir), path.join(photos, dir), { recursive: true });
  service = await createCoreService({ dataDir: path.join(tmp, 'library'), mode: 'web', batchSize: 2 });
});
afterAll(async () => {
  await service?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('renaming and removing a dataset', () => {
  it('renames a dataset, refusing an empty name, and says which dataset is unknown', async () => {
    const { datasetId } = await importAndWait(photos);
    // The listing is kept while nothing is committed (the same answer again), and a rename shows at once.
    const listed = await service.listDatasets({});
    expect(await service.listDatasets({})).toBe(listed);
    const renamed = await service.renameDataset({ datasetId, name: '  Pets, autumn  ' });
    expect(renamed).toMatchObject({ id: datasetId, name: 'Pets, autumn', rootPath: photos, imageCount: 2 });
    expect((await service.listDatasets({})).map((d) => d.name)).toEqual(['Pets, autumn']);
    expect(() => parseInput('renameDataset', { datasetId, name: '   ' })).toThrow(/a dataset needs a name/);
    await expect(service.renameDataset({ datasetId, name: ' ' })).rejects.toThrow('A dataset needs a name: type one');
    await expect(service.renameDataset({ datasetId: 9999, name: 'x' })).rejects.toThrow('No dataset with id 9999');
  });

  it('removes a dataset with its runs, reviews and tags, and leaves the photos where they are', async () => {
    const [summary] = await service.listDatasets({});
    const images = await service.listImages({ datasetId: summary.id });
    await service.setReview({ imageId: images[0].id, verdict: 'misattended', note: 'looks at the rug' });
    await service.setTags({ imageIds: [images[0].id], add: ['rug'] });
    const before = readdirSync(photos, { recursive: true }).sort();

    expect(await service.removeDataset({ datasetId: summary.id })).toEqual({ removed: true });
    expect(await service.listDatasets({})).toEqual([]);
    await expect(service.getImage({ imageId: images[0].id })).rejects.toThrow();
    await expect(service.listRuns({ datasetId: summary.id })).rejects.toThrow(`No dataset with id ${summary.id}`);
    expect(readdirSync(photos, { recursive: true }).sort()).toEqual(before);
    expect(images.every((image) => existsSync(path.join(photos, image.relPath)))).toBe(true);

    // Importing the folder again starts afresh: no verdict, note or tag comes back.
    const { datasetId } = await importAndWait(photos);
    const again = await service.listImages({ datasetId });
    expect(again).toHaveLength(2);
    expect(again.map((image) => [image.verdict, image.note])).toEqual([
      [null, ''],
      [null, ''],
    ]);
    expect((await service.getImage({ imageId: again[0].id })).tags ?? []).toEqual([]);
  });
});
