// The gallery's file-name search: searches of 3 characters or more read the trigram index of paths, shorter ones
// test every path with LIKE, and both find exactly what LIKE always found (ASCII letters in any case, every other
// character as it is), in a library kept in step through renames, removals, upgrades and merges.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_FILTER } from '../../../common/query';
import { mergeShards } from '../merge/merge';
import { openDatabase, type Db } from './database';
import { migrations } from './migrations';
import { findPaths } from './gallery-index';
import { LibraryQuery } from './query';

const PATHS = [
  'cats/Café au lait.jpg',
  'cats/CAFÉ/x.png',
  'dogs/über-dog.jpg',
  'dogs/ÜBER_dog.jpg',
  '写真/日本語の写真.jpg',
  '写真/日本.jpg',
  'odd/100% real.jpg',
  'odd/snake_case_name.jpg',
  'odd/snakeXcase.jpg',
  'odd/he said "hi".jpg',
  "odd/it's.jpg",
  'odd/star*name.jpg',
  'odd/a-b AND c NEAR d.jpg',
  'odd/back\\slash.jpg',
  'odd/emoji 🐱 cat.jpg',
  'deep/a/b/c/Leaf.JPG',
  'x.jpg',
];
const SEARCHES = [
  ...['', 'a', 'ca', 'caf', 'Café', 'CAFÉ', 'café au', 'cafe', ' caf ', 'über', 'ÜBER', 'Über', 'ber', 'R-D', 'r_d'],
  ...['日本', '日本語', '写真/', '本の写', '%', '100%', '% r', '_', 'snake_case', 'e_c', '"', '"hi"', 'said "', "'", "it's"],
  ...['*', 'r*n', '-', 'AND', 'and c near', 'a-b', 'NEAR(', '\\', 'back\\sl', '🐱', '🐱 c', '/', 'a/b/c', 'c/leaf', '.JPG'],
  ...['.jpg', 'x.j', 'gone', 'zzz'],
];

let dir: string;
let db: Db;
let query: LibraryQuery;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-search-'));
});
afterEach(() => {
  query?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Dataset 1 holds PATHS and a removed file; dataset 2 one path that every Café search also matches. */
function fillLibrary(target: Db): Record<string, number> {
  target.prepare("INSERT INTO datasets (id, root_path, name) VALUES (1, '/photos', 'photos'), (2, '/more', 'more')").run();
  const insert = target.prepare('INSERT INTO images (dataset_id, rel_path, size, mtime_ms, removed_at) VALUES (?, ?, 1, 1, ?)');
  const ids: Record<string, number> = {};
  for (const relPath of PATHS) ids[relPath] = Number(insert.run(1, relPath, null).lastInsertRowid);
  insert.run(1, 'odd/gone.jpg', '2026-01-01T00:00:00Z');
  insert.run(2, 'cats/Café au lait.jpg', null);
  return ids;
}

const search = (text: string, datasetId = 1) => query.images(datasetId, null, { ...EMPTY_FILTER, search: text }, { key: 'fileName', descending: false });

/** What LIKE always found: the dataset's live paths containing the search, ASCII letters compared in any case, in file-name order. */
function likeFinds(text: string, ids: Record<string, number>): number[] {
  const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const wanted = asciiLower(text.trim());
  const matching = new Set(PATHS.filter((p) => asciiLower(p).includes(wanted)).map((p) => ids[p]));
  return search('').ids.filter((id) => matching.has(id));
}

/** Throws when the index disagrees with images.rel_path. */
const checkIndex = (target: Db) => target.prepare("INSERT INTO images_path_fts (images_path_fts, rank) VALUES ('integrity-check', 1)").run();

/** How the search finds its paths ('trigrams': the trigram index), and the ids, sorted. */
const lookup = (text: string) => {
  const { ids, via } = findPaths(db, 1, text);
  return { via, ids: [...ids].sort((a, b) => a - b) };
};
const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

describe('file-name search', () => {
  beforeEach(() => {
    db = openDatabase(path.join(dir, 'library.db'));
    query = new LibraryQuery(db);
  });

  it('finds what LIKE found for every search, odd characters and non-ASCII letters included', () => {
    const ids = fillLibrary(db);
    for (const text of SEARCHES) {
      const found = search(text);
      expect(found.ids, JSON.stringify(text)).toEqual(likeFinds(text, ids));
      expect(found.total).toBe(PATHS.length);
      // Searches of 3 characters or more come from the trigram index; shorter ones walk the dataset's paths.
      expect(lookup(text), JSON.stringify(text)).toEqual({ via: [...text.trim()].length >= 3 ? 'trigrams' : 'walk', ids: sorted(found.ids) });
    }
    // Spot checks of the reference itself: É and Ü are not ASCII, so their case counts, as it did with LIKE.
    expect(search('CAFÉ').ids).toEqual([ids['cats/CAFÉ/x.png']]);
    expect(search('café').ids).toEqual([ids['cats/Café au lait.jpg']]);
    expect(search('snake_case').ids).toEqual([ids['odd/snake_case_name.jpg']]);
    expect(search('"hi"').ids).toEqual([ids['odd/he said "hi".jpg']]);
    expect(search('AND c near').ids).toEqual([ids['odd/a-b AND c NEAR d.jpg']]);
  });

  it('answers a search with a NUL character as LIKE does, instead of failing in the FTS5 query parser', () => {
    fillLibrary(db);
    const like = db.prepare("SELECT id FROM images WHERE dataset_id = 1 AND removed_at IS NULL AND rel_path LIKE ? ESCAPE '\\' ORDER BY id").pluck();
    for (const text of ['do\0', 'dog\0jpg', '\0dog']) {
      expect([...search(text).ids].sort((a, b) => a - b), JSON.stringify(text)).toEqual(like.all(`%${text}%`));
    }
  });

  it('counts the facets over the matches only, and the total over the whole dataset', () => {
    fillLibrary(db);
    const found = search('dog');
    expect(found.ids).toHaveLength(2);
    expect(found.total).toBe(PATHS.length);
    expect(found.facets.correctness.find((c) => c.value === 'unanalysed')?.count).toBe(2);
    expect(found.facets.verdicts.find((v) => v.value === 'none')?.count).toBe(2);
  });

  it('finds a renamed file under its new name only, and a removed or deleted file not at all', () => {
    const ids = fillLibrary(db);
    db.prepare('UPDATE images SET rel_path = ? WHERE id = ?').run('cats/renamed.jpg', ids['x.jpg']);
    expect(search('renamed').ids).toEqual([ids['x.jpg']]);
    expect(search('x.jpg').ids).toEqual([]);
    expect(search('gone').ids).toEqual([]);
    db.prepare('DELETE FROM images WHERE id = ?').run(ids['odd/it\'s.jpg']);
    expect(search("it's").ids).toEqual([]);
    checkIndex(db);
    // A dataset's images go with it (ON DELETE CASCADE), and so do their index entries.
    db.prepare('DELETE FROM datasets WHERE id = 2').run();
    expect(search('Café au').ids).toEqual([ids['cats/Café au lait.jpg']]);
    expect(lookup('Café au')).toEqual({ via: 'trigrams', ids: [ids['cats/Café au lait.jpg']] });
    checkIndex(db);
  });

  it('has an integrity check that catches an index out of step with the paths', () => {
    const ids = fillLibrary(db);
    db.exec('DROP TRIGGER images_path_fts_rename');
    db.prepare('UPDATE images SET rel_path = ? WHERE id = ?').run('cats/renamed.jpg', ids['x.jpg']);
    expect(() => checkIndex(db)).toThrow(/malformed|corrupt/);
  });
});

describe('the trigram index of a library', () => {
  it('is filled when a library made before it is opened', () => {
    const file = path.join(dir, 'old.db');
    const ftsVersion = migrations.findIndex((sql) => sql.includes('images_path_fts')) + 1;
    const old = openDatabase(file, migrations.slice(0, ftsVersion - 1));
    const ids = fillLibrary(old);
    old.close();

    db = openDatabase(file);
    query = new LibraryQuery(db);
    checkIndex(db);
    // Every path but x.png, plus the removed file and the other dataset's: the index holds the whole library.
    expect(db.prepare('SELECT COUNT(*) FROM images_path_fts WHERE images_path_fts MATCH ?').pluck().get('"jpg"')).toBe(PATHS.length - 1 + 2);
    for (const text of ['Café', '日本語', 'snake_case', '.jpg']) {
      expect(search(text).ids, text).toEqual(likeFinds(text, ids));
      expect(lookup(text), text).toEqual({ via: 'trigrams', ids: sorted(likeFinds(text, ids)) });
    }
  });

  it('stays in step in a library merged from shards', () => {
    const shardFiles = [0, 1].map((index) => {
      const file = path.join(dir, `shard-${index}.db`);
      const shard = openDatabase(file);
      fillLibrary(shard);
      shard.exec(`
        UPDATE images SET content_hash = 'h' || id;
        INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (1, 'c0ffee', 'Test model', '/models/test', 224, '["a","b"]');
        INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES (1, 1, 1, 'GradCAM', 'conv', 'wasm', 'done');
        INSERT INTO shard_runs (run_id, shard_index, shard_count, completed_at) VALUES (1, ${index}, 2, 'now');
      `);
      shard.close();
      return file;
    });
    const into = path.join(dir, 'merged.db');
    expect(mergeShards({ shardFiles, into }).ok).toBe(true);
    // Merging again skips the shards merged before; the index must not count anything twice.
    expect(mergeShards({ shardFiles, into }).ok).toBe(true);

    db = openDatabase(into);
    query = new LibraryQuery(db);
    checkIndex(db);
    const ids = Object.fromEntries(
      (db.prepare('SELECT rel_path, id FROM images WHERE dataset_id = 1').raw().all() as [string, number][]).filter(([p]) => PATHS.includes(p)),
    );
    expect(Object.keys(ids)).toHaveLength(PATHS.length);
    for (const text of ['Café', 'ÜBER', '写真/', 'a/b/c', '.jpg']) {
      expect(search(text).ids, text).toEqual(likeFinds(text, ids));
      expect(lookup(text), text).toEqual({ via: 'trigrams', ids: sorted(likeFinds(text, ids)) });
    }
  });
});
