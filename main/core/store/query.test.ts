import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_FILTER, type ImageFilter } from '../../../common/query';
import { openDatabase, type Db } from './database';
import { Datasets } from './datasets';
import { heatmapToBlob } from './heatmap-blob';
import { LibraryQuery } from './query';
import { ImageTags } from './tags';

let dir: string;
let db: Db;
let query: LibraryQuery;
let ids: Record<string, number>;
const RUN = 1;
const DATASET = 1;

/**
 * Five photos: cat/a (cat 0.9, right), cat/b (dog 0.6, wrong), dog/C (dog 0.3, right), x (no truth, owl 0.8),
 * dog/pending (no prediction). b is flagged misattended, x is ok.
 */
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-query-'));
  db = openDatabase(path.join(dir, 'library.db'));
  db.prepare("INSERT INTO datasets (id, root_path, name) VALUES (1, '/zoo', 'zoo'), (2, '/other', 'other')").run();
  db.prepare(`INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (1, 'h', 'toy', '/m', 224, '["cat","dog","owl"]')`).run();
  db.prepare("INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES (1, 1, 1, 'GradCAM', 'conv', 'cpu', 'done')").run();
  const insertImage = db.prepare("INSERT INTO images (dataset_id, rel_path, size, mtime_ms, true_label, status) VALUES (?, ?, 1, 1, ?, 'done')");
  const truth = db.prepare('INSERT INTO image_truth (image_id, model_id, true_index) VALUES (?, 1, ?)');
  /** An image with its label, and its class under model 1 (the run's). */
  const image = (datasetId: number, relPath: string, label: string | null, index: number | null): number => {
    const id = Number(insertImage.run(datasetId, relPath, label).lastInsertRowid);
    if (index !== null) truth.run(id, index);
    return id;
  };
  const predict = db.prepare('INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (1, ?, 0, ?, ?)');
  const map = db.prepare('INSERT INTO heatmaps (run_id, image_id, class_index, h, w, scale, "values") VALUES (1, ?, ?, 1, 2, ?, ?)');
  ids = {};
  const rows: [string, string | null, number | null, [number, number] | null][] = [
    ['cat/a.jpg', 'cat', 0, [0, 0.9]],
    ['cat/b.jpg', 'cat', 0, [1, 0.6]],
    ['dog/C.jpg', 'dog', 1, [1, 0.3]],
    ['x.jpg', null, null, [2, 0.8]],
    ['dog/pending.jpg', 'dog', 1, null],
  ];
  for (const [relPath, label, index, top] of rows) {
    const id = image(DATASET, relPath, label, index);
    ids[path.basename(relPath, '.jpg')] = id;
    if (top) {
      predict.run(id, top[0], top[1]);
      map.run(id, top[0], top[1] * 10, heatmapToBlob(new Float32Array([0, top[1] * 10])));
    }
  }
  image(2, 'elsewhere.jpg', 'cat', 0);
  query = new LibraryQuery(db);
  query.setVerdicts([
    { imageId: ids.b, verdict: 'misattended' },
    { imageId: ids.x, verdict: 'ok' },
  ], () => RUN);
});
afterEach(() => {
  query.close();
  rmSync(dir, { recursive: true, force: true });
});

const byName = { key: 'fileName', descending: false } as const;
const names = (found: number[]) => found.map((id) => Object.keys(ids).find((k) => ids[k] === id));
const run = (filter: Partial<ImageFilter>, sort: { key: 'fileName' | 'confidence' | 'suspicion'; descending: boolean } = byName) =>
  query.images(DATASET, RUN, { ...EMPTY_FILTER, ...filter }, sort);

describe('LibraryQuery.images', () => {
  it('lists the dataset by file name (not by folder), case-insensitively, and by confidence with unpredicted last', () => {
    expect(names(run({}).ids)).toEqual(['a', 'b', 'C', 'pending', 'x']);
    expect(names(run({}, { key: 'fileName', descending: true }).ids)).toEqual(['x', 'pending', 'C', 'b', 'a']);
    expect(names(run({}, { key: 'confidence', descending: true }).ids)).toEqual(['a', 'x', 'b', 'C', 'pending']);
    expect(names(run({}, { key: 'confidence', descending: false }).ids)).toEqual(['C', 'b', 'x', 'a', 'pending']);
    expect(run({}).total).toBe(5);
  });

  it('filters by each facet and combines them', () => {
    expect(names(run({ predicted: [1] }).ids)).toEqual(['b', 'C']);
    expect(names(run({ truth: ['cat'] }).ids)).toEqual(['a', 'b']);
    expect(names(run({ correctness: ['incorrect'] }).ids)).toEqual(['b']);
    // Without a prediction an image is not analysed yet, whatever its ground truth; x has a prediction and no truth.
    expect(names(run({ correctness: ['unknown'] }).ids)).toEqual(['x']);
    expect(names(run({ correctness: ['unanalysed'] }).ids)).toEqual(['pending']);
    expect(names(run({ verdicts: ['none'] }).ids)).toEqual(['a', 'C', 'pending']);
    expect(names(run({ verdicts: ['misattended', 'ok'] }).ids)).toEqual(['b', 'x']);
    expect(names(run({ minConfidence: 0.5, maxConfidence: 0.85 }).ids)).toEqual(['b', 'x']);
    expect(names(run({ search: 'CAT/' }).ids)).toEqual(['a', 'b']);
    expect(names(run({ search: '%' }).ids)).toEqual([]);
    expect(names(run({ truth: ['cat', 'dog'], predicted: [1] }).ids)).toEqual(['b', 'C']);
  });

  it('counts each facet with the other facets applied but not its own', () => {
    const { facets } = run({ truth: ['cat'], verdicts: ['none'] });
    // truth counts ignore the truth filter but respect the verdict filter: a (cat), C and pending (dog).
    expect(facets.truth).toEqual([
      { value: 'dog', label: 'dog', count: 2 },
      { value: 'cat', label: 'cat', count: 1 },
    ]);
    expect(facets.predicted).toEqual([{ value: 0, label: 'cat', count: 1 }]);
    expect(facets.verdicts.map((v) => [v.value, v.count])).toEqual([
      ['none', 1],
      ['ok', 0],
      ['misattended', 1],
      ['label_error', 0],
      ['unsure', 0],
    ]);
    expect(facets.correctness.map((c) => [c.value, c.count])).toEqual([
      ['correct', 1],
      ['incorrect', 0],
      ['unknown', 0],
      ['unanalysed', 0],
    ]);
    expect(run({}).facets.correctness.map((c) => [c.label, c.count])).toEqual([
      ['Correct', 2],
      ['Misclassified', 1],
      ['No ground truth', 1],
      ['Not analysed', 1],
    ]);
  });

  it('counts the tags with the other filters applied but not the tag filter itself', () => {
    query.writeTags(() => new ImageTags(db).change([ids.a, ids.b], ['blurry'], []));
    query.writeTags(() => new ImageTags(db).change([ids.b, ids.C], ['watermark'], []));
    const tagCounts = (filter: Partial<ImageFilter>) => run(filter).facets.tags.map((t) => [t.value, t.count]);
    // Filtering by blurry still counts watermark over every row the other filters keep (b and C).
    expect(tagCounts({ tags: ['blurry'] })).toEqual([
      ['blurry', 2],
      ['watermark', 2],
    ]);
    // A verdict filter (b only) applies to the tag counts; the tag filter does not.
    expect(tagCounts({ tags: ['watermark'], verdicts: ['misattended'] })).toEqual([
      ['blurry', 1],
      ['watermark', 1],
    ]);
    expect(names(run({ tags: ['watermark'], verdicts: ['misattended'] }).ids)).toEqual(['b']);
  });

  it("judges each run by its own model's classes: another model's run on the dataset changes nothing here", () => {
    // Model 2 has no class for cat/ and dog/ but one (5) for the folder of a; its run predicts 5 for a, 0 for b.
    db.prepare(`INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (2, 'h2', 'other', '/o', 224, '[]')`).run();
    db.prepare("INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES (2, 1, 2, 'GradCAM', 'conv', 'cpu', 'done')").run();
    db.prepare('INSERT INTO image_truth (image_id, model_id, true_index) VALUES (?, 2, 5)').run(ids.a);
    const predict = db.prepare('INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (2, ?, 0, ?, 0.5)');
    predict.run(ids.a, 5);
    predict.run(ids.b, 0);
    const correctness = (runId: number) => query.images(DATASET, runId, EMPTY_FILTER, byName).facets.correctness.map((c) => [c.value, c.count]);
    expect(correctness(2)).toEqual([
      ['correct', 1],
      ['incorrect', 0],
      ['unknown', 1],
      ['unanalysed', 3],
    ]);
    expect(names(query.images(DATASET, 2, { ...EMPTY_FILTER, correctness: ['correct'] }, byName).ids)).toEqual(['a']);
    expect(correctness(RUN)).toEqual([
      ['correct', 2],
      ['incorrect', 1],
      ['unknown', 1],
      ['unanalysed', 1],
    ]);
  });

  it("gives the dataset list's counts from its columns, equal to SQL's, and none when they are not current", () => {
    db.prepare("UPDATE images SET status = 'error' WHERE id = ?").run(ids.pending);
    db.prepare("UPDATE images SET removed_at = '2026-01-01' WHERE id = ?").run(ids.x);
    const sql = new Datasets(db);
    run({});
    expect(query.countsIfLoaded(DATASET, RUN)).toEqual({ imageCount: 4, doneCount: 3, errorCount: 1 });
    expect(query.countsIfLoaded(DATASET, RUN)).toEqual(sql.counts(DATASET, RUN));
    expect(query.countsIfLoaded(DATASET, null)).toBeNull();
    expect(query.countsIfLoaded(2, RUN)).toBeNull();
    // A list that takes them counts the other dataset with SQL, and gives the same as one that counts all.
    expect(sql.list((d, r) => query.countsIfLoaded(d, r))).toEqual(sql.list());
    db.prepare("UPDATE images SET status = 'done' WHERE id = ?").run(ids.pending);
    expect(query.countsIfLoaded(DATASET, RUN)).toBeNull();
  });

  it('keeps a chosen value in its facet when nothing matches it any more', () => {
    expect(run({ predicted: [2], truth: ['cat'] }).facets.predicted).toContainEqual({ value: 2, label: 'owl', count: 0 });
  });

  it('reports the run’s largest map value (the dataset-wide scale), and no predictions without a run', () => {
    expect(run({}).maxScale).toBe(9);
    const noRun = query.images(DATASET, null, EMPTY_FILTER, byName);
    expect(noRun.maxScale).toBe(0);
    expect(noRun.facets.predicted).toEqual([]);
    expect(noRun.ids).toHaveLength(5);
  });
});

describe('LibraryQuery failed imports and the confidence histogram', () => {
  it('keeps only the photos whose import failed and counts them with the other filters applied', () => {
    db.prepare("UPDATE images SET status = 'error', error = 'not an image' WHERE id = ?").run(ids.pending);
    expect(names(run({ failed: true }).ids)).toEqual(['pending']);
    expect(run({}).facets.failed).toBe(1);
    expect(run({ truth: ['cat'] }).facets.failed).toBe(0);
    // Its own filter does not hide the other photos from its count.
    expect(run({ failed: true }).facets.failed).toBe(1);
    expect(names(run({ failed: true, truth: ['cat'] }).ids)).toEqual([]);
  });

  it('counts top-1 confidence in 20 bins, ignoring its own range but not the other filters', () => {
    const bins = (filter: Partial<ImageFilter>) =>
      run(filter)
        .facets.confidence.map((count, bin) => [bin, count])
        .filter(([, count]) => count > 0);
    // a 0.9, b 0.6, C 0.3, x 0.8; pending has no prediction and no bin.
    expect(bins({})).toEqual([
      [6, 1],
      [12, 1],
      [16, 1],
      [18, 1],
    ]);
    expect(run({}).facets.confidence).toHaveLength(20);
    expect(bins({ minConfidence: 0.5, maxConfidence: 0.85 })).toEqual(bins({}));
    expect(bins({ truth: ['cat'] })).toEqual([
      [12, 1],
      [18, 1],
    ]);
  });

  it('puts a confidence of exactly 1 in the last bin', () => {
    db.prepare('UPDATE predictions SET prob = 1 WHERE image_id = ?').run(ids.a);
    expect(run({}).facets.confidence[19]).toBe(1);
  });
});

describe('LibraryQuery suspicion and groups', () => {
  /** Metrics for a (0.2, group 0), b (0.9, group 1), C (0.5, group 0); x has none. */
  const score = () => {
    const insert = db.prepare(
      `INSERT INTO metrics (run_id, image_id, class_index, border_mass, entropy, gini, peak_x, peak_y, area_half_max, cluster, suspicion)
       VALUES (1, ?, 0, 0.1, 0.5, 0.5, 0.5, 0.5, 0.2, ?, ?)`,
    );
    insert.run(ids.a, 0, 0.2);
    insert.run(ids.b, 1, 0.9);
    insert.run(ids.C, 0, 0.5);
  };

  it('sorts by the stored suspicion, images without metrics last either way', () => {
    score();
    expect(names(run({}, { key: 'suspicion', descending: true }).ids)).toEqual(['b', 'C', 'a', 'pending', 'x']);
    expect(names(run({}, { key: 'suspicion', descending: false }).ids)).toEqual(['a', 'C', 'b', 'pending', 'x']);
  });

  it('suggests the top share of the run for review, with counts under the other filters', () => {
    expect(run({}).suggestedThreshold).toBeNull();
    expect(run({ suggested: true }).ids).toEqual([]);
    score();
    // 10 % of three scored images is one image: b.
    const all = run({});
    expect(all.suggestedThreshold).toBe(0.9);
    expect(all.facets.suggested).toBe(1);
    expect(names(run({ suggested: true }).ids)).toEqual(['b']);
    expect(run({ suggested: true, predicted: [0] }).ids).toEqual([]);
    expect(run({ predicted: [0] }).facets.suggested).toBe(0);
  });

  it('counts and filters the heatmap groups', () => {
    expect(run({}).facets.groups).toEqual([]);
    score();
    expect(run({}).facets.groups).toEqual([
      { value: 0, label: 'Group 1', count: 2 },
      { value: 1, label: 'Group 2', count: 1 },
    ]);
    expect(names(run({ groups: [0] }).ids)).toEqual(['a', 'C']);
    expect(run({ groups: [0] }).facets.groups.map((g) => g.count)).toEqual([2, 1]);
  });
});

describe('LibraryQuery reviews and maps', () => {
  it('sets verdicts in one go, keeps notes, returns the previous verdicts, and skips unknown ids', () => {
    db.prepare("INSERT INTO reviews (image_id, note) VALUES (?, 'keep me')").run(ids.b);
    const previous = query.setVerdicts([
      { imageId: ids.a, verdict: 'unsure' },
      { imageId: ids.b, verdict: null },
      { imageId: 999, verdict: 'ok' },
    ], () => RUN);
    expect(previous).toEqual([
      { imageId: ids.a, verdict: null, exact: { run: null, photo: null } },
      { imageId: ids.b, verdict: 'misattended', exact: { run: 'misattended', photo: null } },
    ]);
    expect(db.prepare('SELECT verdict, note FROM reviews WHERE image_id = ?').get(ids.b)).toEqual({ verdict: null, note: 'keep me' });
    query.setVerdicts(previous, () => RUN);
    expect(names(run({ verdicts: ['misattended'] }).ids)).toEqual(['b']);
  });

  it('stores the expected box clamped to the image, keeps the verdict, and clears it', () => {
    expect(query.expectedBox(ids.b)).toBeNull();
    expect(query.setExpectedBox(ids.b, { x: 0.5, y: 0.25, w: 0.8, h: 0.5 })).toBe(true);
    expect(query.expectedBox(ids.b)).toEqual({ x: 0.5, y: 0.25, w: 0.5, h: 0.5 });
    expect(names(run({ verdicts: ['misattended'] }).ids)).toEqual(['b']);
    query.setExpectedBox(ids.b, null);
    expect(query.expectedBox(ids.b)).toBeNull();
    expect(query.setExpectedBox(999, null)).toBe(false);
  });

  it('reads and caches maps by run, image and class', () => {
    expect(query.heatmap(RUN, ids.a, 0)).toEqual({ h: 1, w: 2, scale: 9, values: [0, 9], classIndex: 0 });
    expect(query.heatmap(RUN, ids.a, 2)).toBeNull();
    query.saveHeatmap(RUN, ids.a, { h: 1, w: 2, scale: 0.5, values: [0.5, 0.25], classIndex: 2 });
    expect(query.heatmap(RUN, ids.a, 2)).toEqual({ h: 1, w: 2, scale: 0.5, values: [0.5, 0.25], classIndex: 2 });
    // A weaker map does not change the dataset-wide scale.
    expect(run({}).maxScale).toBe(9);
  });
});

describe('LibraryQuery keeps the dataset in memory while the library does not change behind it', () => {
  it('reads the library once for clicks that change only filters, the sort or the search', () => {
    const first = run({});
    run({ correctness: ['incorrect'] }, { key: 'confidence', descending: true });
    expect(names(run({ search: 'a' }).ids)).toEqual(['a', 'b']);
    expect(names(run({ search: 'cat/' }).ids)).toEqual(['a', 'b']);
    expect(query.loads).toBe(1);
    expect(run({})).toEqual({ ...first, elapsedMs: expect.any(Number) });
    expect(query.loads).toBe(1);
    query.images(2, null, EMPTY_FILTER, byName);
    expect(query.loads).toBe(2);
  });

  it('applies its own writes in place (verdicts, a review, tags) and reads again after a write on another connection', () => {
    expect(run({ verdicts: ['unsure'] }).ids).toEqual([]);
    query.setVerdicts([{ imageId: ids.a, verdict: 'unsure' }], () => RUN);
    expect(names(run({ verdicts: ['unsure'] }).ids)).toEqual(['a']);
    expect(query.setReview(ids.C, RUN, 'label_error', 'the label says dog')).toBe(true);
    expect(names(run({ verdicts: ['label_error', 'unsure'] }).ids)).toEqual(['a', 'C']);
    query.writeTags(() => new ImageTags(db).change([ids.x, ids.b], ['blurry'], []));
    expect(names(run({ tags: ['blurry'] }).ids)).toEqual(['b', 'x']);
    // A box and a map change no column: the next click reads nothing again.
    query.setExpectedBox(ids.a, { x: 0.1, y: 0.1, w: 0.5, h: 0.5 });
    query.saveHeatmap(RUN, ids.a, { h: 1, w: 2, scale: 0.5, values: [0.5, 0.25], classIndex: 2 });
    expect(names(run({ tags: ['blurry'] }).ids)).toEqual(['b', 'x']);
    expect(query.loads).toBe(1);

    const other = openDatabase(path.join(dir, 'library.db'));
    try {
      other.prepare('INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (1, ?, 0, 1, 0.7)').run(ids.pending);
      expect(names(run({ correctness: ['correct'] }).ids)).toEqual(['a', 'C', 'pending']);
      other.prepare("UPDATE images SET rel_path = 'dog/zebra.jpg' WHERE id = ?").run(ids.C);
      expect(names(run({ search: 'zeb' }).ids)).toEqual(['C']);
      expect(names(run({}).ids)).toEqual(['a', 'b', 'pending', 'x', 'C']);
    } finally {
      other.close();
    }
    expect(query.loads).toBe(3);
    run({ predicted: [1] });
    expect(query.loads).toBe(3);
    // A write on this connection that the query was not told of (here a rename) is read again too, never missed.
    db.prepare("UPDATE images SET true_label = 'owl' WHERE id = ?").run(ids.x);
    expect(names(run({ truth: ['owl'] }).ids)).toEqual(['x']);
    expect(query.loads).toBe(4);
  });

  it('keeps its counts and lists equal to a fresh read through a sequence of verdicts, reviews and tags under filters', () => {
    const filters: Partial<ImageFilter>[] = [
      {},
      { verdicts: ['none'] },
      { verdicts: ['ok', 'misattended'], truth: ['cat', 'dog'] },
      { correctness: ['correct', 'incorrect'], tags: ['blurry'] },
      { search: 'dog' },
    ];
    const sorts = [byName, { key: 'confidence', descending: true } as const];
    const same = (step: string): void => {
      const fresh = new LibraryQuery(openDatabase(path.join(dir, 'library.db')));
      try {
        for (const filter of filters) {
          for (const sort of sorts) {
            const full = { ...EMPTY_FILTER, ...filter };
            const { elapsedMs: _a, ...kept } = query.images(DATASET, RUN, full, sort);
            const { elapsedMs: _b, ...read } = fresh.images(DATASET, RUN, full, sort);
            expect(kept, `${step}: ${JSON.stringify(filter)} ${sort.key}`).toEqual(read);
          }
        }
      } finally {
        fresh.close();
      }
    };
    for (const filter of filters) run(filter);
    same('before');
    run({ verdicts: ['none'] });
    query.setVerdicts([
      { imageId: ids.a, verdict: 'ok' },
      { imageId: ids.pending, verdict: 'misattended' },
    ], () => RUN);
    same('after two verdicts under a verdict filter');
    run({ correctness: ['correct', 'incorrect'], tags: ['blurry'] });
    query.writeTags(() => new ImageTags(db).change([ids.a, ids.C], ['blurry'], []));
    same('after tags under a tag filter');
    query.setReview(ids.b, RUN, null, 'cleared');
    query.setVerdicts([{ imageId: ids.x, verdict: null }], () => RUN);
    same('after clearing verdicts');
    expect(query.loads).toBe(1);
  });
});

describe('LibraryQuery preloads a dataset in a worker thread', () => {
  it('uses the columns the worker read, equal to a read on its own connection, and reads nothing again', async () => {
    const fresh = new LibraryQuery(openDatabase(path.join(dir, 'library.db')));
    try {
      await expect(fresh.preload(DATASET, RUN)).resolves.toBe(true);
      expect(fresh.loads).toBe(1);
      // The worker sorted the score orders too: they list as the main thread's own sort does.
      const sorts = [byName, { key: 'confidence', descending: true } as const, { key: 'suspicion', descending: false } as const];
      for (const filter of [EMPTY_FILTER, { ...EMPTY_FILTER, verdicts: ['ok' as const], search: 'x' }]) {
        for (const sort of sorts) {
          const { elapsedMs: _a, ...preloaded } = fresh.images(DATASET, RUN, filter, sort);
          const { elapsedMs: _b, ...read } = query.images(DATASET, RUN, filter, sort);
          expect(preloaded).toEqual(read);
        }
      }
      expect(fresh.loads).toBe(1);
      // Asked again while the columns are current, it reads again in a worker but keeps the ones in use.
      await expect(fresh.preload(DATASET, RUN)).resolves.toBe(true);
      expect(fresh.loads).toBe(1);
    } finally {
      fresh.close();
    }
  });

  it('drops what it read when the library changed meanwhile, and the next query reads the change', async () => {
    const fresh = new LibraryQuery(openDatabase(path.join(dir, 'library.db')));
    try {
      const preloaded = fresh.preload(DATASET, RUN);
      query.setVerdicts([{ imageId: ids.C, verdict: 'unsure' }], () => RUN);
      await expect(preloaded).resolves.toBe(false);
      expect(fresh.loads).toBe(0);
      expect(names(fresh.images(DATASET, RUN, { ...EMPTY_FILTER, verdicts: ['unsure'] }, byName).ids)).toEqual(['C']);
      expect(fresh.loads).toBe(1);
    } finally {
      fresh.close();
    }
  });

  it('answers from a read the library outdated while it changed (an import writing), then reads again', async () => {
    // preloadFrom 1: every dataset counts as large, so ready() reads in the worker.
    const fresh = new LibraryQuery(openDatabase(path.join(dir, 'library.db')), 1);
    try {
      const ready = fresh.ready(DATASET, RUN);
      await new Promise((resolve) => setImmediate(resolve));
      // Committed after the read's stamp was taken, before the worker reads: the read sees it, and is outdated.
      query.setVerdicts([{ imageId: ids.C, verdict: 'unsure' }], () => RUN);
      await ready;
      expect(fresh.loads).toBe(1);
      expect(names(fresh.images(DATASET, RUN, { ...EMPTY_FILTER, verdicts: ['unsure'] }, byName).ids)).toEqual(['C']);
      expect(fresh.loads).toBe(1);
      // Those columns answer that one query only: the next one reads the library again.
      await fresh.ready(DATASET, RUN);
      expect(fresh.loads).toBe(2);
      fresh.images(DATASET, RUN, EMPTY_FILTER, byName);
      expect(fresh.loads).toBe(2);
    } finally {
      fresh.close();
    }
  });

  it('preloads only a dataset that may be large, and a query waits for a preload in progress', async () => {
    await expect(query.preloadLarge(DATASET, RUN)).resolves.toBe(false);
    await query.ready(DATASET, RUN);
    expect(query.loads).toBe(0);
    const fresh = new LibraryQuery(openDatabase(path.join(dir, 'library.db')));
    try {
      const preloading = fresh.preload(DATASET, RUN);
      await fresh.ready(DATASET, RUN);
      await expect(preloading).resolves.toBe(true);
      expect(fresh.loads).toBe(1);
      fresh.images(DATASET, RUN, EMPTY_FILTER, byName);
      expect(fresh.loads).toBe(1);
    } finally {
      fresh.close();
    }
  });
});

describe('LibraryQuery windows', () => {
  it('returns any window of the ordered matches with their count, for the facets query and the ids alone', () => {
    for (const sort of [byName, { key: 'confidence', descending: true } as const, { key: 'suspicion', descending: false } as const]) {
      const all = run({}, sort);
      expect(all.count).toBe(5);
      expect(all.offset).toBe(0);
      const window = query.images(DATASET, RUN, EMPTY_FILTER, sort, { offset: 1, limit: 2 });
      expect(window.ids).toEqual(all.ids.slice(1, 3));
      expect(window).toMatchObject({ offset: 1, count: 5, total: 5, facets: all.facets });
      expect(query.ids(DATASET, RUN, EMPTY_FILTER, sort, { offset: 3, limit: 10 })).toEqual({ ids: all.ids.slice(3), offset: 3, count: 5, total: 5 });
    }
    const filtered = { ...EMPTY_FILTER, predicted: [1] };
    expect(query.ids(DATASET, RUN, filtered, byName, { offset: 0, limit: 1 })).toEqual({ ids: [ids.b], offset: 0, count: 2, total: 5 });
    expect(query.ids(DATASET, RUN, filtered, byName, { offset: 7, limit: 1 })).toEqual({ ids: [], offset: 7, count: 2, total: 5 });
  });
});
