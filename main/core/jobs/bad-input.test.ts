// Awkward input, end to end through the real service and engine: every file is either imported correctly
// or recorded with a reason the UI and the CSV show; the run never stops; nothing stored earlier is lost.
import { parse } from 'csv-parse/sync';
import { cpSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ImageRow, JobProgress } from '../../../common/types';
import { createCoreService } from '../service';
import type { CoreService } from '../service-types';
import { writeBadCorpus } from './test-support/bad-corpus';

const samplesDir = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-bad-input-'));
const folder = path.join(tmp, 'photos');
let service: CoreService;

beforeAll(async () => {
  service = await createCoreService({ dataDir: path.join(tmp, 'data'), mode: 'web', batchSize: 4 });
});
afterAll(async () => {
  await service?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Imports the folder; `onBegin` runs when the scan is recorded and before any file is decoded. */
async function importAndWait(onBegin: () => void = () => undefined): Promise<{ datasetId: number; last: JobProgress }> {
  let jobId = '';
  let begun = false;
  const ended = new Promise<JobProgress>((resolve) => {
    const stop = service.on('jobProgress', (p) => {
      if (p.jobId !== jobId) return;
      if (!begun && p.total > 0) {
        begun = true;
        onBegin();
      }
      if (p.state !== 'running') {
        stop();
        resolve(p);
      }
    });
  });
  const started = await service.importFolder({ path: folder });
  jobId = started.jobId;
  return { datasetId: started.datasetId, last: await ended };
}

it('imports or explains every awkward file, keeps going, and loses nothing stored before', async () => {
  for (const dir of ['281_tabby', '388_giant_panda', '008_hen']) cpSync(path.join(samplesDir, dir), path.join(folder, dir), { recursive: true });
  const first = await importAndWait();
  expect(first.last).toMatchObject({ state: 'done', total: 3, failed: 0 });
  const good = await service.listImages({ datasetId: first.datasetId });
  await service.setReview({ imageId: good[0].id, verdict: 'misattended', note: 'kept through the bad import' });

  const corpus = await writeBadCorpus(folder);
  for (const reason of corpus.skipped) console.log(`bad-input corpus: skipped ${reason}`);
  const { datasetId, last } = await importAndWait(() => unlinkSync(path.join(folder, corpus.vanish)));
  const failures = [...corpus.expected.values()].filter((e) => e.outcome !== 'done').length;
  expect(last).toMatchObject({ state: 'done', total: corpus.expected.size + 3, done: corpus.expected.size + 3, failed: failures });

  const rows = new Map((await service.listImages({ datasetId })).map((r) => [r.relPath, r]));
  for (const [relPath, expectation] of corpus.expected) {
    const row = rows.get(relPath);
    expect(row, relPath).toBeDefined();
    if (expectation.outcome === 'done') {
      expect(row, relPath).toMatchObject({ status: 'done', error: null });
      expect(row!.top, relPath).toHaveLength(3);
      expect(row!.heatmap, relPath).not.toBeNull();
    } else {
      expect(row, relPath).toMatchObject({ status: 'error', top: [] });
      expect(row!.error, relPath).toMatch(expectation.outcome);
    }
    if (expectation.size) expect([row!.width, row!.height], relPath).toEqual(expectation.size);
  }
  for (const relPath of corpus.notListed) expect(rows.has(relPath), relPath).toBe(false);

  // Earlier results and reviews are untouched.
  for (const before of good) {
    expect(rows.get(before.relPath)).toEqual({ ...before, ...(before.id === good[0].id ? { verdict: 'misattended', note: 'kept through the bad import' } : {}) });
  }

  // An animated GIF is its first frame (red), not the frames stacked or the last one.
  const gifThumb = await service.readMedia('thumb', rows.get('odd/animated.gif')!.id);
  const { channels } = await sharp(gifThumb!.body).stats();
  expect(channels[0].mean).toBeGreaterThan(200);
  expect(channels[2].mean).toBeLessThan(60);

  // The CSV carries every reason.
  const { csv } = await service.exportCsv({ datasetId });
  const records = new Map((parse(csv, { columns: true }) as Record<string, string>[]).map((r) => [r.relative_path, r]));
  for (const [relPath, expectation] of corpus.expected) {
    const record = records.get(relPath)!;
    if (expectation.outcome === 'done') expect(record, relPath).toMatchObject({ status: 'done', error: '' });
    else expect(record.error, relPath).toMatch(expectation.outcome);
  }
  printOutcomes(rows);
});

function printOutcomes(rows: Map<string, ImageRow>): void {
  const lines = [...rows.values()].map((r) => `  ${r.status.padEnd(5)} ${r.relPath}${r.error ? `: ${r.error}` : ''}`);
  console.log(`bad-input corpus outcomes:\n${lines.join('\n')}`);
}
