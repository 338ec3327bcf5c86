// The gallery's statements read the library through indexes: EXPLAIN QUERY PLAN of the FILL and of every filter and
// sort the UI offers, on a real library file with a few thousand rows, has no full SCAN of a base table (the temp
// table the FILL writes is small and meant to be scanned).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_FILTER, SORT_KEYS, type ImageFilter } from '../../../common/query';
import { openDatabase, type Db } from './database';
import { fillSql, ftsPhrase, LIVE_IMAGES, SEARCH_HITS, type FillDrive } from './gallery-fill';
import { facetCountSql, LibraryQuery, listSql, MAX_SCALE, SCORED_IMAGES, SUSPICION_AT_RANK, tagCountSql, type Facet } from './query';

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
    db.prepare(`INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (1, 'h', 'toy', '/m', 224, '["cat","dog","owl","cow"]')`).run();
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
    const review = db.prepare("INSERT INTO reviews (image_id, verdict) VALUES (?, 'misattended')");
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

/** What may be read whole: the gallery's temporary tables (the hits as `h`) and the trigram index answering a MATCH. */
const SCANNED_ON_PURPOSE = /^SCAN (gallery_rows_v3|gallery_search_hits|h)\b|^SCAN images_path_fts VIRTUAL TABLE INDEX \d+:M/;

/** The plan's steps that read every row of a library table (by name or alias), through an index or not. */
function fullScans(sql: string, params: unknown[] | Record<string, unknown>): string[] {
  const steps = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((s) => s.detail);
  return steps.filter((detail) => detail.startsWith('SCAN ') && !SCANNED_ON_PURPOSE.test(detail));
}

const FILL_PARAMS = { threshold: 0.5, run: 1, dataset: 1 };

/** The rows FILL copies, as the lists and counts read them. */
function filled(drive: FillDrive, search: string): unknown[] {
  db.prepare('DELETE FROM gallery_search_hits').run();
  db.prepare(SEARCH_HITS).run(ftsPhrase(search));
  db.prepare('DELETE FROM gallery_rows_v3').run();
  db.prepare(fillSql(drive)).run(FILL_PARAMS);
  return db.prepare('SELECT * FROM gallery_rows_v3 ORDER BY pos').all();
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
const FACETS: [Facet, string][] = [
  ['predicted', 'pred'],
  ['truth', 'truth'],
  ['correctness', 'correctness'],
  ['verdicts', 'verdict'],
  ['suggested', 'suggested'],
  ['groups', 'grp'],
  ['failed', 'failed'],
  ['confidence', 'prob'],
];

describe('the gallery query plans', () => {
  it.each<FillDrive>(['dataset', 'hitsInDataset', 'hits'])('fills the rows (%s) without a full scan of a library table', (drive) => {
    expect(fullScans(fillSql(drive), FILL_PARAMS)).toEqual([]);
  });

  it('fills the same rows in the same order from the search hits as by walking the dataset', () => {
    for (const search of ['img_0012', 'class_1/IMG', '.jpg']) {
      const walked = filled('hitsInDataset', search);
      expect(walked.length, search).toBeGreaterThan(0);
      expect(filled('hits', search), search).toEqual(walked);
    }
  });

  it('finds the search hits, counts the live images and reads the run\'s scores and scale through indexes', () => {
    expect(fullScans(SEARCH_HITS, ['"img_0012"'])).toEqual([]);
    expect(fullScans(LIVE_IMAGES, [1])).toEqual([]);
    expect(fullScans(SCORED_IMAGES, [1])).toEqual([]);
    expect(fullScans(SUSPICION_AT_RANK, [1, 10])).toEqual([]);
    expect(fullScans(MAX_SCALE, [1])).toEqual([]);
  });

  for (const [name, filter] of Object.entries(FILTERS)) {
    it(`lists, sorts and counts under the ${name} filter without a full scan of a library table`, () => {
      const full = { ...EMPTY_FILTER, ...filter };
      const found = query.images(1, 1, full, { key: 'fileName', descending: false });
      expect(found.ids.length, 'the filter keeps some images, so the plan is of a real case').toBeGreaterThan(0);
      for (const key of SORT_KEYS) {
        for (const descending of [false, true]) {
          const list = listSql(full, { key, descending });
          expect(fullScans(list.sql, list.params), `${key} ${descending ? 'descending' : 'ascending'}`).toEqual([]);
        }
      }
      for (const [facet, column] of FACETS) {
        const counts = facetCountSql(full, facet, column);
        expect(fullScans(counts.sql, counts.params), facet).toEqual([]);
      }
      const tags = tagCountSql(full);
      expect(fullScans(tags.sql, tags.params), 'tag counts').toEqual([]);
    });
  }

  it('reports a full scan where there is one, so the checks above can fail', () => {
    expect(fullScans('SELECT COUNT(*) FROM images WHERE status = ?', ['done'])).toEqual(['SCAN images']);
    expect(fullScans('SELECT p.image_id FROM predictions p WHERE p.prob > 0.5', [])).toEqual(['SCAN p']);
    expect(fullScans('SELECT COUNT(*) FROM images', [])).toEqual([expect.stringMatching(/^SCAN images USING COVERING INDEX /)]);
  });
});
