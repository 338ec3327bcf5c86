import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from './database';
import { migrations } from './migrations';
import { Store } from './store';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-store-'));
  file = path.join(dir, 'library.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A dataset with two images, a run, and results for the first image. */
function seed(store: Store) {
  const dataset = store.ensureDataset('/photos/zoo');
  const modelId = store.ensureModel({ hash: 'abc', name: 'toy', dir: '/m', inputSize: 224, labels: ['cat', 'dog', 'owl'] });
  const runId = store.ensureRun({ datasetId: dataset.id, modelId, method: 'gradcam', layer: 'conv', options: {}, backend: 'cpu' });
  store.applyScan(
    dataset.id,
    [
      { kind: 'added', relPath: '1_dog/a.jpg', size: 10, mtimeMs: 1000, trueLabel: 'dog', trueIndex: 1 },
      { kind: 'added', relPath: 'b.png', size: 20, mtimeMs: 2000, trueLabel: null, trueIndex: null },
    ],
    [],
    modelId,
  );
  const [a, b] = store.pendingImages(dataset.id, runId);
  store.writeResults(runId, [
    {
      imageId: a.id,
      ok: true,
      contentHash: 'h1',
      width: 640,
      height: 480,
      thumbnail: Buffer.from([0xff, 0xd8, 0xff]),
      top: [
        { index: 1, prob: 0.75 },
        { index: 0, prob: 0.2 },
      ],
      heatmaps: [{ classIndex: 1, h: 2, w: 2, values: new Float32Array([0, 0.5, 1.5, 3]), scale: 3 }],
    },
    { imageId: b.id, ok: false, error: 'not an image', contentHash: 'h2' },
  ]);
  return { datasetId: dataset.id, runId, a: a.id, b: b.id };
}

describe('Store', () => {
  it('keeps verdicts and notes across close and reopen', () => {
    let store = new Store(file);
    const { a, b, runId } = seed(store);
    store.setReview(a, runId, 'misattended', 'looks at the grass, not the dog');
    store.setReview(b, runId, 'unsure', 'ünïcödé and "quotes"');
    store.close();

    store = new Store(file);
    expect(store.getImage(a)).toMatchObject({ verdict: 'misattended', note: 'looks at the grass, not the dog' });
    expect(store.getImage(b)).toMatchObject({ verdict: 'unsure', note: 'ünïcödé and "quotes"' });
    store.setReview(a, runId, null, '');
    store.close();

    store = new Store(file);
    expect(store.getImage(a)).toMatchObject({ verdict: null, note: '' });
    store.close();
  });

  it('returns image rows with labelled predictions, the top-1 heatmap and correctness', () => {
    const store = new Store(file);
    const { datasetId, runId, a, b } = seed(store);
    const rows = store.listImages(datasetId, runId);
    expect(rows.map((r) => r.relPath)).toEqual(['1_dog/a.jpg', 'b.png']);
    expect(rows[0]).toMatchObject({
      id: a,
      fileName: 'a.jpg',
      width: 640,
      height: 480,
      status: 'done',
      trueLabel: 'dog',
      trueIndex: 1,
      correct: true,
      top: [
        { index: 1, label: 'dog', prob: 0.75 },
        { index: 0, label: 'cat', prob: 0.2 },
      ],
      heatmap: { h: 2, w: 2, values: [0, 0.5, 1.5, 3], scale: 3, classIndex: 1 },
    });
    expect(rows[1]).toMatchObject({ id: b, status: 'error', error: 'not an image', correct: null, heatmap: null, top: [] });
    expect(rows[0].heatmaps).toBeUndefined();
    expect(store.getImage(a, runId)?.heatmaps).toEqual([rows[0].heatmap]);
    expect(store.getImage(a, runId)?.suspicion).toBeNull();
    store.metrics.saveImportMetrics(runId, a, {
      classIndex: 1, borderMass: 0, entropy: 0, gini: 0, peakX: 0, peakY: 0, areaAboveHalfMax: 0, pointingHit: null, energyInBox: null,
    });
    store.metrics.saveSuspicion(runId, a, 0.42);
    expect(store.getImage(a, runId)?.suspicion).toBe(0.42);
    expect(store.listDatasets()).toEqual([
      expect.objectContaining({ id: datasetId, name: 'zoo', rootPath: '/photos/zoo', imageCount: 2, doneCount: 1, errorCount: 1, runId }),
    ]);
    expect(store.pendingImages(datasetId, runId).map((p) => p.id)).toEqual([b]);
    expect(store.thumbnail(a)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(store.imageFile(a)).toBe(path.join('/photos/zoo', '1_dog/a.jpg'));
    expect(store.getImage(9999)).toBeNull();
    expect(store.setReview(9999, null, 'ok', '')).toBe(false);
    store.close();
  });

  it('reuses the run for the same dataset, model, method, layer and options', () => {
    const store = new Store(file);
    const { datasetId, runId } = seed(store);
    const modelId = store.ensureModel({ hash: 'abc', name: 'toy', dir: '/m', inputSize: 224, labels: ['cat', 'dog', 'owl'] });
    const key = { datasetId, modelId, method: 'gradcam', layer: 'conv', options: {}, backend: 'wasm' };
    expect(store.ensureRun(key)).toBe(runId);
    expect(store.ensureRun({ ...key, layer: 'other' })).not.toBe(runId);
    expect(store.getRun(runId)).toMatchObject({ backend: 'wasm', modelName: 'toy', modelHash: 'abc', state: 'queued' });
    store.close();
  });

  it('marks runs that a killed process left running as cancelled, keeping their results', () => {
    const store = new Store(file);
    const { datasetId, runId, a } = seed(store);
    store.setRunState(runId, 'running');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const db = new Database(file);
    db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(Number(gone.stdout), runId);
    db.close();
    store.markInterruptedRuns();
    expect(store.getRun(runId)?.state).toBe('cancelled');
    expect(store.listImages(datasetId, runId).find((i) => i.id === a)?.status).toBe('done');
    store.close();
  });

  it('forgets the results of a changed file and keeps those of a touched one', () => {
    const store = new Store(file);
    const { datasetId, runId, a, b } = seed(store);
    const truth = { trueLabel: 'dog', trueIndex: 1 };
    store.applyScan(datasetId, [{ kind: 'touched', id: a, relPath: '1_dog/a.jpg', size: 10, mtimeMs: 5000, ...truth }], []);
    expect(store.getImage(a, runId)).toMatchObject({ status: 'done', width: 640 });
    expect(store.knownFiles(datasetId).get('1_dog/a.jpg')).toEqual({ id: a, size: 10, mtimeMs: 5000, contentHash: 'h1', removed: false });

    store.applyScan(datasetId, [{ kind: 'changed', id: a, relPath: '1_dog/a.jpg', size: 11, mtimeMs: 6000, ...truth }], []);
    expect(store.getImage(a, runId)).toMatchObject({ status: 'pending', top: [], heatmap: null, width: null });
    expect(store.thumbnail(a)).toBeNull();
    expect(store.pendingImages(datasetId, runId).map((p) => p.id)).toEqual([a, b]);
    store.close();
  });

  it('hides a removed file, keeping its results and review, and shows it again when it comes back', () => {
    const store = new Store(file);
    const { datasetId, runId, a, b } = seed(store);
    store.setReview(a, runId, 'ok', 'kept while gone');
    store.applyScan(datasetId, [], [a]);
    expect(store.listImages(datasetId, runId).map((i) => i.id)).toEqual([b]);
    expect(store.countImages(datasetId)).toBe(1);
    expect(store.listDatasets()[0]).toMatchObject({ imageCount: 1, doneCount: 0, errorCount: 1 });
    expect(store.knownFiles(datasetId).get('1_dog/a.jpg')?.removed).toBe(true);

    store.applyScan(datasetId, [{ kind: 'unchanged', id: a, relPath: '1_dog/a.jpg', size: 10, mtimeMs: 1000, trueLabel: 'dog', trueIndex: 1 }], []);
    expect(store.getImage(a, runId)).toMatchObject({ status: 'done', verdict: 'ok', note: 'kept while gone' });
    expect(store.listDatasets()[0]).toMatchObject({ imageCount: 2, doneCount: 1 });
    store.close();
  });

  it("records each model's class of a file: another model's scan keeps this run's truth and correctness", () => {
    const store = new Store(file);
    const { datasetId, runId, a, b } = seed(store);
    const zoo = store.ensureModel({ hash: 'def', name: 'zoo', dir: '/z', inputSize: 32, labels: ['class 0', 'class 1'] });
    const zooRun = store.ensureRun({ datasetId, modelId: zoo, method: 'gradcam', layer: 'conv', options: {}, backend: 'cpu' });
    // The zoo model names no class for 1_dog/ but class 0 for b.png's folder (a setting that reads another level).
    store.applyScan(
      datasetId,
      [
        { kind: 'unchanged', id: a, relPath: '1_dog/a.jpg', size: 10, mtimeMs: 1000, trueLabel: null, trueIndex: null, trueLevel: null },
        { kind: 'unchanged', id: b, relPath: 'b.png', size: 20, mtimeMs: 2000, trueLabel: 'class 0', trueIndex: 0, trueLevel: 1 },
      ],
      [],
      zoo,
    );
    expect(store.getImage(a, runId)).toMatchObject({ trueLabel: 'dog', trueIndex: 1, correct: true });
    // A run shows its own model's class and name for it, none where only the other model has a class.
    expect(store.getImage(a, zooRun)).toMatchObject({ trueLabel: null, trueIndex: null, correct: null });
    // b had no label: it takes the zoo's, with the zoo's class for the zoo's runs only.
    expect(store.listImages(datasetId, zooRun).map((i) => [i.trueLabel, i.trueLevel, i.trueIndex])).toEqual([
      [null, null, null],
      ['class 0', 1, 0],
    ]);
    expect(store.listImages(datasetId, runId).map((i) => [i.trueLabel, i.trueIndex, i.correct])).toEqual([
      ['dog', 1, true],
      [null, null, null],
    ]);
    expect([...store.exportRows(datasetId, runId)].map((row) => [row.trueLabel, row.trueIndex])).toEqual([['dog', 1], [null, null]]);
    expect([...store.exportRows(datasetId, zooRun)].map((row) => [row.trueLabel, row.trueIndex])).toEqual([[null, null], ['class 0', 0]]);
    store.close();
  });

  it('copies the results of an image with the same bytes instead of computing them again', () => {
    const store = new Store(file);
    const { datasetId, runId, a } = seed(store);
    store.applyScan(datasetId, [{ kind: 'added', relPath: 'copy of a.jpg', size: 10, mtimeMs: 1, trueLabel: null, trueIndex: null }], []);
    const copy = store.pendingImages(datasetId, runId).find((p) => p.relPath === 'copy of a.jpg')!.id;
    expect(store.twinWithResults(datasetId, runId, 'h1')).toBe(a);
    expect(store.twinWithResults(datasetId, runId, 'h2')).toBeNull();
    store.writeResults(runId, [{ imageId: copy, ok: true, contentHash: 'h1', twinId: a }]);
    const original = store.getImage(a, runId)!;
    expect(store.getImage(copy, runId)).toMatchObject({
      status: 'done',
      width: 640,
      height: 480,
      top: original.top,
      heatmap: original.heatmap,
      duplicateOf: a,
    });
    expect(original.duplicateOf).toBeNull();
    expect(store.thumbnail(copy)).toEqual(store.thumbnail(a));
    store.close();
  });

  it('leaves a run owned by a live process alone at startup', () => {
    const store = new Store(file);
    const { runId } = seed(store);
    store.setRunState(runId, 'running');
    store.markInterruptedRuns();
    expect(store.getRun(runId)?.state).toBe('running');
    store.close();
  });
});

describe('migrations', () => {
  it('are idempotent: reopening applies nothing twice and keeps the data', () => {
    const store = new Store(file);
    const { a, runId } = seed(store);
    store.setReview(a, runId, 'ok', 'kept');
    store.close();

    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    migrate(db, migrations);
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.prepare('SELECT note FROM reviews').all()).toEqual([{ note: 'kept' }]);
    db.close();
  });

  it('apply in order, one version at a time, and refuse a newer database', () => {
    const db = new Database(file);
    const steps = ['CREATE TABLE t (a INTEGER)', 'ALTER TABLE t ADD COLUMN b TEXT'];
    migrate(db, steps.slice(0, 1));
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    migrate(db, steps);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.prepare('INSERT INTO t (a, b) VALUES (1, ?)').run('x');
    expect(() => migrate(db, steps.slice(0, 1))).toThrow(/newer than this app knows/);
    db.close();
  });

  it('roll back a failing migration entirely', () => {
    const db = new Database(file);
    expect(() => migrate(db, ['CREATE TABLE t (a INTEGER); SELECT nonsense FROM nowhere'])).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 't'").all()).toEqual([]);
    db.close();
  });
});
