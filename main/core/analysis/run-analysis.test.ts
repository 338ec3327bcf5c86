// The issue-5 calls through the real service: metrics and clusters at import, the expected box, faithfulness,
// agreement between two runs, the sanity check, and the CSV export following a gallery filter.
import { parse } from 'csv-parse/sync';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_FILTER } from '../../../common/query';
import { appPaths } from '../paths';
import { createCoreService } from '../service';
import type { CoreService } from '../service-types';

const PICK = ['235_german_shepherd', '285_egyptian_cat', '104_wallaby', '967_espresso', '088_macaw'];
let root: string;
let service: CoreService;
let datasetId: number;
let runId: number;

async function importRun(method?: 'GradCAMPlusPlus') {
  const ended = new Promise<void>((resolve) => {
    const stop = service.on('jobProgress', (p) => p.state !== 'running' && p.state !== 'queued' && (stop(), resolve()));
  });
  const started = await service.importFolder({ path: path.join(root, 'photos'), method });
  await ended;
  return started;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'sightline-analysis-'));
  for (const dir of PICK) cpSync(path.join(appPaths().samplesDir, dir), path.join(root, 'photos', dir), { recursive: true });
  service = await createCoreService({ dataDir: path.join(root, 'data'), mode: 'web' });
  ({ datasetId, runId } = await importRun());
}, 120_000);
afterAll(async () => {
  await service?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('analysis calls', () => {
  it('stores metrics and a cluster for every image at import, and follows the expected box', async () => {
    const images = await service.listImages({ datasetId, runId });
    expect(images).toHaveLength(5);
    for (const image of images) {
      const { metrics } = await service.getMetrics({ imageId: image.id });
      expect(metrics, image.relPath).toMatchObject({ classIndex: image.top[0].index, cluster: 0, energyInBox: null, blurDrop: null });
      expect(metrics!.borderMass).toBeGreaterThan(0);
    }
    const dog = images.find((i) => i.relPath.startsWith('235_'))!;
    await service.setExpectedBox({ imageId: dog.id, box: { x: 0, y: 0, w: 1, h: 1 } });
    expect((await service.getMetrics({ imageId: dog.id })).metrics).toMatchObject({ pointingHit: true, energyInBox: expect.closeTo(1, 5) });
    await service.setExpectedBox({ imageId: dog.id, box: null });
    expect((await service.getMetrics({ imageId: dog.id })).metrics).toMatchObject({ pointingHit: null, energyInBox: null });
  });

  it('measures faithfulness on the engine: real maps lose more when their top is deleted than when it is inserted', async () => {
    expect(await service.measureFaithfulness({ runId, limit: 2 })).toEqual({ measured: 2 });
    const measured = [];
    for (const image of await service.listImages({ datasetId, runId })) {
      const { metrics } = await service.getMetrics({ imageId: image.id });
      if (metrics!.blurDrop !== null) measured.push(metrics!);
    }
    expect(measured).toHaveLength(2);
    for (const m of measured) {
      expect(m.deletionAuc!).toBeLessThan(m.insertionAuc!);
      expect(m.blurDrop!).toBeGreaterThan(0);
    }
  }, 120_000);

  it('compares two runs: Grad-CAM and Grad-CAM++ maps agree on the same photos', async () => {
    const other = await importRun('GradCAMPlusPlus');
    const { compared, meanAgreement } = await service.compareRuns({ runId, otherRunId: other.runId });
    console.log(`[agreement] Grad-CAM vs Grad-CAM++: mean rank correlation ${meanAgreement!.toFixed(3)} over ${compared} maps`);
    expect(compared).toBe(5);
    expect(meanAgreement!).toBeGreaterThan(0.5);
  }, 120_000);

  it('runs the model-randomisation sanity check and shows it in the CSV, which follows a filter and can start with a BOM', async () => {
    const sanity = await service.sanityCheck({ runId, sample: 3 });
    console.log(`[sanity] ${sanity.randomizedLayers.join(', ')}: similarity ${sanity.similarity.toFixed(3)} on ${sanity.sampleSize} images`);
    expect(sanity).toMatchObject({ runId, sampleSize: 3, warning: null });
    expect(sanity.similarity).toBeLessThan(0.9);

    const { csv } = await service.exportCsv({ datasetId, runId, filter: { ...EMPTY_FILTER, search: 'macaw' }, bom: true });
    expect(csv.startsWith('\ufeff')).toBe(true);
    const rows = parse(csv, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.map((r) => r.relative_path)).toEqual(['088_macaw/gcompris_scarlet_macaw.webp']);
    expect(rows[0]).toMatchObject({ method: 'GradCAM', layer: 'conv_pw_13_relu', cluster: '0' });
    expect(Number(rows[0].suspicion)).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
