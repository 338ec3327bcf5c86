// Ground truth per model (issue 13): importing one folder with the bundled MobileNet (ImageNet classes, folders named
// like `281_tabby`) and then with the zoo ResNet (10 classes, "class 0" … "class 9") leaves MobileNet's run as it
// was: its correct flags, facet counts and CSV; each run names the truth with its own model's class names. The real
// service, models, photos and library file.
import { parse } from 'csv-parse/sync';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_FILTER } from '../../common/query';
import type { JobProgress } from '../../common/types';
import { createCoreService } from './service';
import type { CoreService } from './service-types';

const samplesDir = fileURLToPath(new URL('../../resources/samples/', import.meta.url));
const zooResnet = fileURLToPath(new URL('./engine/__fixtures__/zoo/resnet', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-truth-'));
const photos = path.join(tmp, 'photos');
/** 008_hen names class 8 of both models (hen for MobileNet, "class 8" for the ResNet); the others only ImageNet's. */
const FOLDERS = ['008_hen', '281_tabby', '345_ox', '967_espresso'];
let service: CoreService;

beforeAll(async () => {
  for (const folder of FOLDERS) cpSync(path.join(samplesDir, folder), path.join(photos, folder), { recursive: true });
  service = await createCoreService({ dataDir: path.join(tmp, 'data'), mode: 'web', batchSize: 4 });
});
afterAll(async () => {
  await service?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function importAndWait(modelId?: number): Promise<{ datasetId: number; runId: number }> {
  const started = await service.importFolder({ path: photos, modelId });
  for (;;) {
    const job = (await service.listJobs({})).find((j) => j.jobId === started.jobId) as JobProgress;
    if (job.state !== 'running' && job.state !== 'queued') {
      expect(job).toMatchObject({ state: 'done', failed: 0 });
      return started;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What a person sees of a run: each image's truth and correct flag, the facet counts, the CSV's truth columns. */
async function viewOf(datasetId: number, runId: number) {
  const images = await service.listImages({ datasetId, runId });
  const { facets } = await service.queryImages({ datasetId, runId, filter: EMPTY_FILTER, sort: { key: 'fileName', descending: false } });
  const { csv } = await service.exportCsv({ datasetId, runId });
  const records = parse(csv, { columns: true }) as Record<string, string>[];
  return {
    images: Object.fromEntries(images.map((i) => [i.relPath, { trueLabel: i.trueLabel, trueIndex: i.trueIndex, correct: i.correct }])),
    correctness: facets.correctness.map((c) => [c.value, c.count]),
    truth: facets.truth.map((t) => [t.value, t.count]),
    csv: records.map((r) => [r.relative_path, r.true_label, r.correct]),
  };
}

describe('ground truth per model', () => {
  let datasetId: number;
  let mobilenetRun: number;
  let resnetRun: number;
  let zooId: number;
  let mobilenetView: Awaited<ReturnType<typeof viewOf>>;

  it("judges each run by its own model's classes, and a second model's import changes nothing of the first's run", async () => {
    ({ datasetId, runId: mobilenetRun } = await importAndWait());
    mobilenetView = await viewOf(datasetId, mobilenetRun);
    const tabby = Object.entries(mobilenetView.images).find(([relPath]) => relPath.startsWith('281_tabby/'))![1];
    expect(tabby).toMatchObject({ trueLabel: 'tabby', trueIndex: 281 });
    const judged = mobilenetView.correctness.filter(([value]) => value === 'correct' || value === 'incorrect');
    expect(judged.reduce((sum, [, count]) => sum + (count as number), 0)).toBe(Object.keys(mobilenetView.images).length);
    expect(mobilenetView.csv.every(([, label, correct]) => label !== '' && (correct === 'true' || correct === 'false'))).toBe(true);

    zooId = (await service.addModel({ path: zooResnet })).id;
    ({ runId: resnetRun } = await importAndWait(zooId));
    expect(await viewOf(datasetId, mobilenetRun)).toEqual(mobilenetView);

    // The ResNet has class 8 for 008_hen and no class for the other folders: its run names the truth as it names
    // its predictions ("class 8"), and shows none of MobileNet's names for the folders it has no class for.
    const resnetView = await viewOf(datasetId, resnetRun);
    for (const [relPath, image] of Object.entries(resnetView.images)) {
      const hen = relPath.startsWith('008_hen/');
      expect(image).toMatchObject({ trueLabel: hen ? 'class 8' : null, trueIndex: hen ? 8 : null });
    }
    const hens = Object.keys(resnetView.images).filter((relPath) => relPath.startsWith('008_hen/')).length;
    expect(resnetView.correctness.find(([value]) => value === 'unknown')?.[1]).toBe(Object.keys(resnetView.images).length - hens);
    expect(resnetView.truth).toEqual([['class 8', hens]]);
    expect(resnetView.csv.map(([relPath, label]) => [relPath, label])).toEqual(
      resnetView.csv.map(([relPath]) => [relPath, relPath.startsWith('008_hen/') ? 'class 8' : '']),
    );
    expect(resnetView.csv.filter(([, , correct]) => correct !== '').map(([relPath]) => relPath)).toEqual(
      resnetView.csv.map(([relPath]) => relPath).filter((relPath) => relPath.startsWith('008_hen/')),
    );
  });

  it('keeps both right through a change of the label setting and another import of each model', async () => {
    const resnetView = await viewOf(datasetId, resnetRun);
    await service.setDatasetLabels({ datasetId, source: 'none' });
    const unlabelled = await viewOf(datasetId, mobilenetRun);
    expect(Object.values(unlabelled.images).every((image) => image.trueLabel === null && image.trueIndex === null && image.correct === null)).toBe(true);

    await service.setDatasetLabels({ datasetId, source: 'auto' });
    expect(await viewOf(datasetId, mobilenetRun)).toEqual(mobilenetView);
    expect(await viewOf(datasetId, resnetRun)).toEqual(resnetView);

    expect(await importAndWait(zooId)).toMatchObject({ runId: resnetRun });
    expect(await importAndWait()).toMatchObject({ runId: mobilenetRun });
    expect(await viewOf(datasetId, mobilenetRun)).toEqual(mobilenetView);
    expect(await viewOf(datasetId, resnetRun)).toEqual(resnetView);
  });
});
