// A dataset's label setting and label levels on a real library file, including one made before the setting existed.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from './database';
import { DatasetLabels, parseLabelSource, serialiseLabelSource } from './dataset-labels';
import { migrations } from './migrations';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-dataset-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dataset labels', () => {
  it('reads a library made before the setting: auto, and labels from the first-level folder', () => {
    const before = migrations.findIndex((sql) => sql.includes('label_source'));
    const db = openDatabase(path.join(dir, 'old.db'), migrations.slice(0, before));
    db.prepare("INSERT INTO datasets (id, root_path, name) VALUES (1, '/zoo', 'zoo')").run();
    const image = db.prepare('INSERT INTO images (dataset_id, rel_path, size, mtime_ms, true_label, true_index) VALUES (1, ?, 1, 1, ?, ?)');
    image.run('281_tabby/a.jpg', 'tabby', 281);
    image.run('hard/b.jpg', 'hard', null);
    image.run('c.jpg', null, null);
    migrate(db, migrations);
    const labels = new DatasetLabels(db);
    expect(labels.source(1)).toBe('auto');
    expect(labels.levels(1)).toEqual([{ level: 1, count: 2, example: '281_tabby' }]);

    labels.apply(1, { level: 2 }, (relPath) => {
      const folder = relPath.split('/').at(-2);
      return folder ? { trueLabel: folder, trueIndex: null, trueLevel: 2 } : { trueLabel: null, trueIndex: null, trueLevel: null };
    });
    expect(labels.source(1)).toEqual({ level: 2 });
    expect(db.prepare('SELECT rel_path, true_label, true_level FROM images ORDER BY id').raw().all()).toEqual([
      ['281_tabby/a.jpg', '281_tabby', 2],
      ['hard/b.jpg', 'hard', 2],
      ['c.jpg', null, null],
    ]);
    db.close();
  });

  it('stores each setting as text and reads anything unexpected as auto', () => {
    for (const source of ['auto', 'none', { level: 3 }] as const) expect(parseLabelSource(serialiseLabelSource(source))).toEqual(source);
    for (const stored of ['', 'bogus', '{bad', '{"level":0}', '{"level":1.5}', '{}']) expect(parseLabelSource(stored)).toBe('auto');
  });
});
