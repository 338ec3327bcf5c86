// The gallery's statements read the library through indexes: EXPLAIN QUERY PLAN of the load of a dataset's columns,
// of both searches and of the run's scores, on a real library file with a few thousand rows, has no full SCAN of a
// base table (only the tag links are read whole, on purpose). Every filter and sort the UI offers is then answered
// from the columns in memory, without reading the library again.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_FILTER, SORT_KEYS, type ImageFilter } from '../../../common/query';
import { openDatabase, type Db } from './database';
import { ftsPhrase, LOAD_IMAGES, LOAD_RUN_VERDICTS, LOAD_TAGS, SEARCH_BY_TRIGRAMS, SEARCH_BY_WALK } from './gallery-index';
import { ID_SPAN, LibraryQuery, MAX_SCALE, SCORED_IMAGES, SUSPICION_AT_RANK } from './query';

const IMAGES_PER_DATASET = 2500;

let dir: string;
let db: Db;
let query: LibraryQuery;

/** Two datasets of photos in class folders, two runs on the first (top-3 predictions, metrics), reviews, tags. */
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-plan-'));
  db = openDatabase(path.join(dir, 'library.db'));
  db.transaction(() => {
    db.prepare("INSERT INTO datasets (id, root_path, name) VALUES (1, '/zoo', 'zoo'), (2, '/farm', 'farm')").run();
    db.prepare(`INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (1, 'h', 'toy', '/m', 224, '["class_0","class_1","class_2","class_3"]')`).run();
    db.prepare(
      `INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES
       (1, 1, 1, 'GradCAM', 'conv', 'cpu', 'done'), (2, 1, 1, 'HiResCAM', 'conv', 'cpu', 'done'), (3, 2, 1, 'GradCAM', 'conv', 'cpu', 'done')`,
    ).run();
    db.prepare("INSERT INTO tags (id, name) VALUES (1, 'blurry'), (2, 'watermark')").run();
    const image = db.prepare(
      "INSERT INTO images (dataset_id, rel_path, size, mtime_ms, true_label, status, removed_at) VALUES (?, ?, 1, 1, ?, ?, ?)",
    );
    const truth = db.prepare('INSERT INTO image_truth (image_id, model_id, true_index) VALUES (?, 1, ?)');
    const predict = db.prepare('INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (?, ?, ?, ?, ?)');
    const metric = db.prepare(
      `INSERT INTO metrics (run_id, image_id, class_index, border_mass, entropy, gini, peak_x, peak_y, area_half_max, cluster, suspicion)
       VALUES (?, ?, ?, 0.1, 0.5, 0.3, 0.5, 0.5, 0.2, ?, ?)`,
    );
    const review = db.prepare("INSERT INTO reviews (image_id, verdict) VALUES (?, 'label_error')");
    const runVerdict = db.prepare("INSERT INTO run_verdicts (run_id, image_id, verdict) VALUES (?, ?, 'misattended')");
    const tag = db.prepare('INSERT INTO image_tags (image_id, tag_id) VALUES (?, ?)');
    for (const dataset of [1, 2]) {
      for (let n = 0; n < IMAGES_PER_DATASET; n++) {
        const label = n % 4;
        const id = Number(
          image.run(dataset, `class_${label}/IMG_${String(n).padStart(5, '0')}.jpg`, `class_${label}`, n % 97 === 0 ? 'error' : 'done', n % 50 === 0 ? '2026-01-01' : null)
            .lastInsertRowid,
        );
        truth.run(id, label);
        for (const run of dataset === 1 ? [1, 2] : [3]) {
          for (let rank = 0; rank < 3; rank++) predict.run(run, id, rank, (label + rank + (n % 3)) % 4, 0.9 - rank * 0.3 - (n % 10) / 100);
          metric.run(run, id, label, n % 3, (n * 7919) % 1000 / 1000);
          if (n % 7 === run) runVerdict.run(run, id);
        }
        if (n % 11 === 0) review.run(id);
        if (n % 13 === 0) tag.run(id, 1 + (n % 2));
      }
    }
  })();
  query = new LibraryQuery(db);
});
afterAll(() => {
  query.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What may be read whole: the tag links (every image's tags, read once per load) and the trigram index answering a MATCH. */
const SCANNED_ON_PURPOSE = /^SCAN it\b|^SCAN (f|images_path_fts) VIRTUAL TABLE INDEX \d+:M/;

/** The plan's steps that read every row of a library table (by name or alias), through an index or not. */
function fullScans(sql: string, params: unknown[] | Record<string, unknown>): string[] {
  const steps = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((s) => s.detail);
  return steps.filter((detail) => detail.startsWith('SCAN ') && !SCANNED_ON_PURPOSE.test(detail));
}

/** Every filter the sidebar offers, alone, with a value that exists in the library above. */
const FILTERS: Record<string, Partial<ImageFilter>> = {
  none: {},
  predicted: { predicted: [1, 2] },
  truth: { truth: ['class_1'] },
  correctness: { correctness: ['incorrect', 'unknown'] },
  verdicts: { verdicts: ['none', 'misattended'] },
  confidence: { minConfidence: 0.85, maxConfidence: 0.95 },
  'short search': { search: 'G_' },
  'long search': { search: 'img_0012' },
  suggested: { suggested: true },
  groups: { groups: [0, 2] },
  tags: { tags: ['blurry'] },
  failed: { failed: true },
};

describe('the gallery query plans', () => {
  it('loads a dataset\'s columns under a run through the file-name index, without a full scan of a library table', () => {
    expect(fullScans(LOAD_IMAGES, { run: 1, dataset: 1 })).toEqual([]);
    expect(fullScans(LOAD_TAGS, [])).toEqual([]);
    expect(fullScans(LOAD_RUN_VERDICTS, [1])).toEqual([]);
  });

  it('finds the search hits, and reads the run\'s scores and scale, through indexes', () => {
    expect(fullScans(SEARCH_BY_TRIGRAMS, [ftsPhrase('img_0012'), 1, '%img\\_0012%'])).toEqual([]);
    expect(fullScans(SEARCH_BY_WALK, [1, '%G\\_%'])).toEqual([]);
    expect(fullScans(SCORED_IMAGES, [1])).toEqual([]);
    expect(fullScans(SUSPICION_AT_RANK, [1, 10])).toEqual([]);
    expect(fullScans(MAX_SCALE, [1])).toEqual([]);
    // The span that decides a preload reads one entry at each end of the dataset's live images.
    const span = (db.prepare(`EXPLAIN QUERY PLAN ${ID_SPAN}`).all({ dataset: 1 }) as { detail: string }[]).map((s) => s.detail);
    expect(span.filter((detail) => /^SEARCH images/.test(detail))).toEqual([
      "SEARCH images USING INDEX images_live (dataset_id=?)",
      "SEARCH images USING INDEX images_live (dataset_id=?)",
    ]);
  });

  it('answers every filter and sort of the sidebar from the loaded columns, reading the library once', () => {
    const loads = query.loads;
    query.images(1, 1, EMPTY_FILTER, { key: 'fileName', descending: false });
    for (const [name, filter] of Object.entries(FILTERS)) {
      const full = { ...EMPTY_FILTER, ...filter };
      for (const key of SORT_KEYS) {
        for (const descending of [false, true]) {
          const found = query.images(1, 1, full, { key, descending });
          expect(found.ids.length, `${name}: the filter keeps some images, so the case is a real one`).toBeGreaterThan(0);
          expect(found.count).toBe(found.ids.length);
        }
      }
    }
    expect(query.loads).toBe(loads + 1);
  });

  it('reports a full scan where there is one, so the checks above can fail', () => {
    expect(fullScans('SELECT COUNT(*) FROM images WHERE status = ?', ['done'])).toEqual(['SCAN images']);
    expect(fullScans('SELECT p.image_id FROM predictions p WHERE p.prob > 0.5', [])).toEqual(['SCAN p']);
    expect(fullScans('SELECT COUNT(*) FROM images', [])).toEqual([expect.stringMatching(/^SCAN images USING COVERING INDEX /)]);
  });
});
