// A verdict on a map belongs to its run (migration 11): "Misattended" given on one model's map is not shown on
// another's, while a label error, the note and the box are the photo's and show under every run. Real library
// files, written through the gallery's connection (LibraryQuery) and read back by the store as the gallery and the
// exports read them.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_FILTER, type VerdictFilter } from '../../../common/query';
import type { Verdict } from '../../../common/types';
import { migrate, openDatabase, type Db } from './database';
import { migrations } from './migrations';
import { LibraryQuery } from './query';
import { Store } from './store';

const DATASET = 1;
/** Two runs of the dataset (two models' maps), and a dataset with no run yet. */
const MOBILENET = 1;
const RESNET = 2;
const UNANALYSED = 2;
const byName = { key: 'fileName', descending: false } as const;

let dir: string;
let file: string;
let ids: Record<string, number>;

/** The library before migration 11 (or after, with all migrations): three photos analysed by both runs, one unanalysed. */
function makeLibrary(db: Db | Database.Database): void {
  db.prepare("INSERT INTO datasets (id, root_path, name) VALUES (1, '/zoo', 'zoo'), (2, '/new', 'new')").run();
  db.prepare(`INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (1, 'h1', 'mobilenet', '/m1', 224, '["cat","dog"]'), (2, 'h2', 'resnet', '/m2', 224, '["cat","dog"]')`).run();
  db.prepare(
    `INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES
     (1, 1, 1, 'GradCAM', 'conv', 'cpu', 'done'), (2, 1, 2, 'GradCAM', 'layer4', 'cpu', 'done')`,
  ).run();
  const image = db.prepare("INSERT INTO images (dataset_id, rel_path, size, mtime_ms, true_label, status) VALUES (?, ?, 1, 1, 'cat', 'done')");
  const predict = db.prepare('INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (?, ?, 0, 0, 0.9)');
  ids = {};
  for (const name of ['a', 'b', 'c']) {
    ids[name] = Number(image.run(DATASET, `cat/${name}.jpg`).lastInsertRowid);
    for (const run of [MOBILENET, RESNET]) predict.run(run, ids[name]);
  }
  ids.fresh = Number(image.run(UNANALYSED, 'cat/fresh.jpg').lastInsertRowid);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-run-verdicts-'));
  file = path.join(dir, 'library.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The ids, by name, that the gallery's verdict filter shows under the run. */
function shown(query: LibraryQuery, runId: number, verdict: VerdictFilter): string[] {
  const found = query.images(DATASET, runId, { ...EMPTY_FILTER, verdicts: [verdict] }, byName).ids;
  return found.map((id) => Object.keys(ids).find((name) => ids[name] === id)!);
}

/** The verdict column of the run's CSV rows, by file name. */
function exported(store: Store, runId: number): Record<string, string | null> {
  return Object.fromEntries([...store.exportRows(DATASET, runId)].map((row) => [path.basename(row.relPath, '.jpg'), row.verdict]));
}

describe('verdicts per run', () => {
  let db: Db;
  let query: LibraryQuery;
  let store: Store;
  beforeEach(() => {
    db = openDatabase(file);
    makeLibrary(db);
    query = new LibraryQuery(db);
    store = new Store(file);
  });
  afterEach(() => {
    query.close();
    store.close();
  });
  const set = (runId: number | null, changes: Record<string, Verdict | null>) =>
    query.setVerdicts(
      Object.entries(changes).map(([name, verdict]) => ({ imageId: ids[name], verdict })),
      () => runId,
    );

  it('shows a verdict on one run only, in the gallery, the image rows and the export, and undoes it there', () => {
    // The gallery has MobileNet's columns loaded; the verdicts are given on ResNet's, then on MobileNet's.
    expect(shown(query, MOBILENET, 'misattended')).toEqual([]);
    set(RESNET, { a: 'misattended', b: 'ok' });
    expect(shown(query, MOBILENET, 'none')).toEqual(['a', 'b', 'c']);
    expect(shown(query, RESNET, 'misattended')).toEqual(['a']);
    expect(store.getImage(ids.a, RESNET)?.verdict).toBe('misattended');
    expect(store.getImage(ids.a, MOBILENET)?.verdict).toBeNull();
    expect(store.getImages([ids.a, ids.b], RESNET).map((row) => row.verdict)).toEqual(['misattended', 'ok']);
    // Each run's rows list the verdicts the other runs gave the photo, for a person comparing models.
    expect(store.getImage(ids.a, MOBILENET)?.otherRuns).toEqual([{ runId: RESNET, verdict: 'misattended' }]);
    expect(store.getImage(ids.a, RESNET)?.otherRuns).toEqual([]);
    expect(exported(store, RESNET)).toEqual({ a: 'misattended', b: 'ok', c: null });
    expect(exported(store, MOBILENET)).toEqual({ a: null, b: null, c: null });

    const previous = set(MOBILENET, { a: 'ok' });
    expect(previous).toEqual([{ imageId: ids.a, verdict: null, exact: { run: null, photo: null } }]);
    expect(shown(query, MOBILENET, 'ok')).toEqual(['a']);
    expect(store.getImage(ids.a, RESNET)?.verdict).toBe('misattended');
    // The undo puts back what MobileNet's run showed, and leaves ResNet's alone.
    query.setVerdicts(previous, () => MOBILENET);
    expect(exported(store, MOBILENET)).toEqual({ a: null, b: null, c: null });
    expect(exported(store, RESNET)).toEqual({ a: 'misattended', b: 'ok', c: null });
  });

  it('keeps the columns of the run in view exact when another run is written, without reading the library again', () => {
    expect(query.images(DATASET, MOBILENET, EMPTY_FILTER, byName).facets.verdicts.find((v) => v.value === 'none')?.count).toBe(3);
    const loads = query.loads;
    set(RESNET, { a: 'unsure' });
    expect(shown(query, MOBILENET, 'unsure')).toEqual([]);
    // A label error is the photo's: the run in view shows it at once.
    set(RESNET, { b: 'label_error' });
    expect(shown(query, MOBILENET, 'label_error')).toEqual(['b']);
    expect(query.loads).toBe(loads);
  });

  it('shows a label error in every run without a verdict of its own, and a verdict on one map never takes it from the others', () => {
    db.prepare("INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES (3, 1, 1, 'HiResCAM', 'conv', 'cpu', 'done')").run();
    const HIRES = 3;
    set(MOBILENET, { a: 'misattended' });
    set(RESNET, { a: 'ok' });
    const previous = set(RESNET, { a: 'label_error' });
    expect(previous).toEqual([{ imageId: ids.a, verdict: 'ok', exact: { run: 'ok', photo: null } }]);
    // Given on ResNet's map, it replaces ResNet's own verdict there; MobileNet's run keeps its own.
    expect([MOBILENET, RESNET, HIRES].map((run) => exported(store, run).a)).toEqual(['misattended', 'label_error', 'label_error']);
    // The gallery's columns, read afresh for each run, show the same.
    expect(shown(query, MOBILENET, 'misattended')).toEqual(['a']);
    expect(shown(query, RESNET, 'label_error')).toEqual(['a']);
    expect(shown(query, HIRES, 'label_error')).toEqual(['a']);
    expect(store.getImage(ids.a, MOBILENET)).toMatchObject({ verdict: 'misattended', photoVerdict: 'label_error' });

    // QA: "Unsure" on ResNet's map took the label error from every run. It is ResNet's only.
    set(RESNET, { a: 'unsure' });
    expect([MOBILENET, RESNET, HIRES].map((run) => exported(store, run).a)).toEqual(['misattended', 'unsure', 'label_error']);
    // None clears what the run shows: its own verdict first, then the photo's label error.
    set(RESNET, { a: null });
    expect([MOBILENET, RESNET, HIRES].map((run) => exported(store, run).a)).toEqual(['misattended', 'label_error', 'label_error']);
    set(RESNET, { a: null });
    expect([MOBILENET, RESNET, HIRES].map((run) => exported(store, run).a)).toEqual(['misattended', null, null]);
    // Undoing the label error's arrival puts ResNet's own verdict back, and takes the label error away.
    query.setVerdicts(previous, () => RESNET);
    expect([MOBILENET, RESNET, HIRES].map((run) => exported(store, run).a)).toEqual(['misattended', 'ok', null]);
  });

  it('undoes exactly: an undone verdict does not come back when the label error is taken off later (QA)', () => {
    set(MOBILENET, { c: 'label_error' });
    const previous = set(RESNET, { c: 'unsure' });
    expect([MOBILENET, RESNET].map((run) => exported(store, run).c)).toEqual(['label_error', 'unsure']);
    query.setVerdicts(previous, () => RESNET);
    expect([MOBILENET, RESNET].map((run) => exported(store, run).c)).toEqual(['label_error', 'label_error']);
    set(MOBILENET, { c: null });
    expect([MOBILENET, RESNET].map((run) => exported(store, run).c)).toEqual([null, null]);
  });

  it('keeps the note with the photo when a verdict is given with it on one run', () => {
    expect(query.setReview(ids.c, RESNET, 'misattended', 'looks at the sofa')).toBe(true);
    expect(store.getImage(ids.c, MOBILENET)).toMatchObject({ verdict: null, note: 'looks at the sofa' });
    expect(store.getImage(ids.c, RESNET)).toMatchObject({ verdict: 'misattended', note: 'looks at the sofa' });
    expect(query.setReview(ids.c, MOBILENET, null, 'looks at the sofa, not the cat')).toBe(true);
    expect(store.getImage(ids.c, RESNET)).toMatchObject({ verdict: 'misattended', note: 'looks at the sofa, not the cat' });
    // The note alone (the gallery's note saves): no verdict is written in any run.
    set(MOBILENET, { c: 'ok' });
    expect(query.setReview(ids.c, RESNET, undefined, 'the sofa')).toBe(true);
    expect([MOBILENET, RESNET].map((run) => store.getImage(ids.c, run))).toMatchObject([
      { verdict: 'ok', note: 'the sofa' },
      { verdict: 'misattended', note: 'the sofa' },
    ]);
  });

  it('keeps a verdict given before the dataset had a run for every run, until one run is judged again', () => {
    set(null, { fresh: 'misattended' });
    expect(store.getImage(ids.fresh, null)?.verdict).toBe('misattended');
    // The dataset's first runs, later: the photo's verdict shows under both.
    db.prepare("INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES (3, 2, 1, 'GradCAM', 'conv', 'cpu', 'done'), (4, 2, 2, 'GradCAM', 'layer4', 'cpu', 'done')").run();
    expect([3, 4].map((run) => store.getImage(ids.fresh, run)?.verdict)).toEqual(['misattended', 'misattended']);
    query.setVerdicts([{ imageId: ids.fresh, verdict: 'ok' }], () => 4);
    expect([3, 4].map((run) => store.getImage(ids.fresh, run)?.verdict)).toEqual(['misattended', 'ok']);
  });
});

describe('migration 11', () => {
  it('gives each verdict of a library made before to every run of its dataset, and keeps the photo verdicts', () => {
    const old = new Database(file);
    migrate(old, migrations.slice(0, 10));
    makeLibrary(old);
    const review = old.prepare('INSERT INTO reviews (image_id, verdict, note) VALUES (?, ?, ?)');
    review.run(ids.a, 'misattended', 'grass');
    review.run(ids.b, 'label_error', '');
    review.run(ids.c, null, 'only a note');
    review.run(ids.fresh, 'unsure', '');
    old.close();

    const store = new Store(file);
    try {
      for (const run of [MOBILENET, RESNET]) expect(exported(store, run)).toEqual({ a: 'misattended', b: 'label_error', c: null });
      expect(store.getImage(ids.a, RESNET)?.note).toBe('grass');
      expect(store.getImage(ids.fresh, null)?.verdict).toBe('unsure');
    } finally {
      store.close();
    }
    const db = openDatabase(file);
    try {
      expect(db.prepare('SELECT run_id, verdict FROM run_verdicts WHERE image_id = ? ORDER BY run_id').all(ids.a)).toEqual([
        { run_id: MOBILENET, verdict: 'misattended' },
        { run_id: RESNET, verdict: 'misattended' },
      ]);
      expect(db.prepare('SELECT verdict FROM reviews WHERE image_id = ?').pluck().get(ids.a)).toBeNull();
      // A run deleted with its dataset takes its verdicts along.
      db.prepare('DELETE FROM datasets WHERE id = 1').run();
      expect(db.prepare('SELECT COUNT(*) FROM run_verdicts').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });
});
