// The CSV report round-trips through csv-parse: a real SQLite library with hostile names and notes.
import { parse } from 'csv-parse/sync';
import { mkdtempSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeResultsWithMetrics } from '../analysis/image-metrics';
import { Store } from '../store/store';
import { CSV_COLUMNS, csvFileName, csvString, writeCsv } from './csv';

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-csv-'));
  store = new Store(path.join(dir, 'library.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const HOSTILE = ['235_german_shepherd/dog, "good".jpg', 'broken.jpg', 'ünï/çödé 🐕.png', '=cmd.jpg'];

function seed() {
  const dataset = store.ensureDataset('/data/photos');
  const modelId = store.ensureModel({ hash: 'f00d', name: 'toy', dir: '/m', inputSize: 224, labels: ['German shepherd', 'Doberman', '=Eskimo, "dog"'] });
  const runId = store.ensureRun({ datasetId: dataset.id, modelId, method: 'GradCAM', layer: 'conv_pw_13_relu', options: {}, backend: 'cpu' });
  store.applyScan(
    dataset.id,
    HOSTILE.map((relPath, i) => ({ kind: 'added' as const, relPath, size: 1, mtimeMs: 1, trueLabel: i === 0 ? 'German shepherd' : null, trueIndex: i === 0 ? 0 : null })),
    [],
    modelId,
  );
  const ids = Object.fromEntries(store.pendingImages(dataset.id, runId).map((p) => [p.relPath, p.id]));
  const map = new Float32Array(49).fill(0);
  map[0] = 1;
  writeResultsWithMetrics(store, runId, [
    {
      imageId: ids[HOSTILE[0]], ok: true, contentHash: 'h1', width: 4, height: 4, thumbnail: Buffer.alloc(1),
      top: [{ index: 0, prob: 0.91234567891 }, { index: 1, prob: 0.05 }, { index: 2, prob: 0.01 }],
      heatmaps: [{ classIndex: 0, h: 7, w: 7, values: map, scale: 1 }],
    },
    { imageId: ids[HOSTILE[1]], ok: false, error: 'Not an image, "really"', contentHash: 'h2' },
    { imageId: ids[HOSTILE[2]], ok: true, contentHash: 'h1', twinId: ids[HOSTILE[0]] },
  ]);
  store.setReview(ids[HOSTILE[0]], runId, 'misattended', '=HYPERLINK("http://evil.example","click")');
  store.setReview(ids[HOSTILE[1]], runId, null, 'line one\r\nline two, with comma');
  store.setReview(ids[HOSTILE[2]], runId, 'unsure', '+1 @mention -minus\ttab');
  store.setReview(ids[HOSTILE[3]], runId, null, '\r=1');
  return { datasetId: dataset.id, runId, ids };
}

describe('CSV report', () => {
  it('writes a header and one record per image that parse back with csv-parse, every formula neutralised', async () => {
    const { datasetId, runId } = seed();
    const csv = await csvString('/data/photos', store.exportRows(datasetId, runId));
    expect(csv.split('\r\n')[0]).toBe(CSV_COLUMNS.join(','));
    const records = parse(csv, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.relative_path)).toEqual([HOSTILE[0], "'=cmd.jpg", HOSTILE[1], HOSTILE[2]]);
    const [dog, cmd, broken, twin] = records;
    expect(dog).toMatchObject({
      path: path.join('/data/photos', HOSTILE[0]),
      true_label: 'German shepherd',
      top1_label: 'German shepherd',
      top1_prob: '0.912346',
      top3_label: `'=Eskimo, "dog"`,
      correct: 'true',
      verdict: 'misattended',
      note: `'=HYPERLINK("http://evil.example","click")`,
      status: 'done',
      metric_class: '0',
      pointing_hit: '',
      run_id: String(runId),
      model_hash: 'f00d',
      method: 'GradCAM',
      layer: 'conv_pw_13_relu',
    });
    expect(Number(dog.border_mass)).toBeGreaterThan(0.9);
    expect(Number(dog.suspicion)).toBeGreaterThan(0.5);
    expect(cmd).toMatchObject({ note: "'\r=1", status: 'pending', suspicion: '' });
    expect(broken).toMatchObject({ status: 'error', error: 'Not an image, "really"', note: 'line one\r\nline two, with comma', top1_label: '', correct: '' });
    expect(twin).toMatchObject({ relative_path: 'ünï/çödé 🐕.png', duplicate_of: HOSTILE[0], note: "'+1 @mention -minus\ttab", border_mass: dog.border_mass });
  });

  it('streams to a file with a BOM for Excel, and follows a selection of ids', async () => {
    const { datasetId, runId, ids } = seed();
    const file = path.join(dir, 'out.csv');
    const count = await writeCsv('/data/photos', store.exportRows(datasetId, runId, [ids[HOSTILE[2]]]), createWriteStream(file), { bom: true });
    expect(count).toBe(1);
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const records = parse(bytes, { columns: true, bom: true }) as Record<string, string>[];
    expect(records.map((r) => r.relative_path)).toEqual([HOSTILE[2]]);
  });

  it('names the file after the dataset without path separators', () => {
    expect(csvFileName('zoo photos/../x', 4)).toBe('sightline-zoo_photos_.._x-run4.csv');
    expect(csvFileName('...', null, 'html')).toBe('sightline-dataset.html');
  });
});
