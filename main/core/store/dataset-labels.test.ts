// A dataset's label setting, label levels and each model's classes on a real library file, including one made before
// the setting existed and before classes were kept per model.
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
  it('reads a library made before the setting: auto, labels from the first-level folder, classes for the model of its runs', () => {
    const before = migrations.findIndex((sql) => sql.includes('label_source'));
    const db = openDatabase(path.join(dir, 'old.db'), migrations.slice(0, before));
    db.prepare("INSERT INTO datasets (id, root_path, name) VALUES (1, '/zoo', 'zoo')").run();
    db.prepare("INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (7, 'abc', 'MobileNet', '/m', 224, '[]')").run();
    db.prepare("INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (8, 'def', 'Zoo', '/z', 224, '[]')").run();
    db.prepare("INSERT INTO runs (dataset_id, model_id, method, layer, backend, state) VALUES (1, 7, 'GradCAM', 'conv', 'cpu', 'done')").run();
    const image = db.prepare('INSERT INTO images (dataset_id, rel_path, size, mtime_ms, true_label, true_index) VALUES (1, ?, 1, 1, ?, ?)');
    image.run('281_tabby/a.jpg', 'tabby', 281);
    image.run('hard/b.jpg', 'hard', null);
    image.run('c.jpg', null, null);
    migrate(db, migrations);
    const labels = new DatasetLabels(db);
    expect(labels.source(1)).toBe('auto');
    expect(labels.levels(1)).toEqual([{ level: 1, count: 2, example: '281_tabby' }]);
    expect(labels.modelsWithRuns(1)).toEqual([7]);
    const truth = () => db.prepare('SELECT i.rel_path, t.model_id, t.true_index FROM image_truth t JOIN images i ON i.id = t.image_id ORDER BY i.id, t.model_id').raw().all();
    // The run's model keeps the class the image had; the column that held one class for every model is gone.
    expect(truth()).toEqual([['281_tabby/a.jpg', 7, 281]]);
    expect(db.prepare("SELECT name FROM pragma_table_info('images') WHERE name = 'true_index'").all()).toEqual([]);

    // Model 7 reads classes from the second-level folder's index prefix, model 8 has none but names the folder.
    const secondLevel = (classOf: (folder: string) => number | null) => (relPath: string) => {
      const folder = relPath.split('/').at(-2);
      return folder ? { trueLabel: folder, trueIndex: classOf(folder), trueLevel: 2 } : { trueLabel: null, trueIndex: null, trueLevel: null };
    };
    labels.apply(1, { level: 2 }, [
      { modelId: 8, truthFor: (relPath) => (relPath.startsWith('hard/') ? secondLevel(() => 3)(relPath) : { trueLabel: null, trueIndex: null, trueLevel: null }) },
      { modelId: 7, truthFor: secondLevel((folder) => Number.parseInt(folder) || null) },
    ]);
    expect(labels.source(1)).toEqual({ level: 2 });
    expect(db.prepare('SELECT rel_path, true_label, true_level FROM images ORDER BY id').raw().all()).toEqual([
      ['281_tabby/a.jpg', '281_tabby', 2],
      ['hard/b.jpg', 'hard', 2],
      ['c.jpg', null, null],
    ]);
    expect(truth()).toEqual([
      ['281_tabby/a.jpg', 7, 281],
      ['hard/b.jpg', 8, 3],
    ]);
    db.close();
  });

  it('stores each setting as text and reads anything unexpected as auto', () => {
    for (const source of ['auto', 'none', { level: 3 }] as const) expect(parseLabelSource(serialiseLabelSource(source))).toEqual(source);
    for (const stored of ['', 'bogus', '{bad', '{"level":0}', '{"level":1.5}', '{}']) expect(parseLabelSource(stored)).toBe('auto');
  });
});
