// What the merge refuses before it writes anything: shard libraries that do not belong together. The libraries
// are real shard libraries of real photos (scanned and hashed as `analyze --shard` does); no model runs, since
// these checks read only which shard each library holds, the files it saw and their classes. The merge of computed shards is
// proved end to end in e2e/shard-merge.e2e.ts.
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { pendingInShard } from '../jobs/shard-select';
import { rescan } from '../jobs/rescan';
import { openDatabase } from '../store/database';
import { migrations } from '../store/migrations';
import type { Shard } from '../store/shard-owner';
import { Store } from '../store/store';
import { mergeShards } from './merge';

const samplesDir = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-merge-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let folders = 0;
/** A folder of two classes of the samples (six photos). */
function photoFolder(): string {
  const folder = path.join(tmp, `photos-${++folders}`);
  for (const dir of readdirSync(samplesDir).slice(0, 2)) cpSync(path.join(samplesDir, dir), path.join(folder, dir), { recursive: true });
  return folder;
}

/** A shard library of `folder` as `analyze --shard` leaves it before the engine runs: every file scanned and hashed. */
/** The scan's ground truth: class 1 ("b") for the files of the folder that sorts first, none for the others. */
const firstFolderIsB = (folder: string) => (relPath: string) =>
  relPath.startsWith(`${readdirSync(folder).sort()[0]}/`) ? { trueLabel: 'b', trueIndex: 1, trueLevel: 1 } : { trueLabel: null, trueIndex: null, trueLevel: null };

async function shardLibrary(file: string, folder: string, shard: Shard, complete = true): Promise<string> {
  const store = new Store(file);
  try {
    const dataset = store.ensureDataset(folder);
    const modelId = store.ensureModel({ hash: 'c0ffee', name: 'Test model', dir: '/models/test', inputSize: 224, labels: ['a', 'b'] });
    const runId = store.ensureRun({ datasetId: dataset.id, modelId, method: 'GradCAM', layer: 'conv', options: { topK: 3, camTopK: 3 }, backend: 'wasm' });
    await rescan(store, dataset, { modelId, truthFor: firstFolderIsB(folder) });
    store.shards.begin(runId, shard);
    await pendingInShard(store, dataset, runId, shard);
    if (complete) {
      store.setRunState(runId, 'done');
      store.shards.complete(runId);
    }
  } finally {
    store.close();
  }
  return file;
}

const shardsOf = (folder: string, name: string, count: number) =>
  Promise.all(Array.from({ length: count }, (_, index) => shardLibrary(path.join(tmp, `${name}-${index}.db`), folder, { index, count })));

it('a library holds one shard of a run: starting another shard of it there is refused', async () => {
  const file = await shardLibrary(path.join(tmp, 'one.db'), photoFolder(), { index: 0, count: 3 });
  const store = new Store(file);
  try {
    expect(() => store.shards.begin(1, { index: 1, count: 3 })).toThrow('This library holds shard 0/3 of the run, not 1/3: give each shard a library of its own (--library)');
    expect(() => store.shards.begin(1, { index: 0, count: 3 })).not.toThrow();
  } finally {
    store.close();
  }
});

it('refuses shards of another n, two libraries holding one shard, and writes nothing', async () => {
  const folder = photoFolder();
  const [a0, a1] = await shardsOf(folder, 'n3', 3);
  const b1 = await shardLibrary(path.join(tmp, 'n2-1.db'), folder, { index: 1, count: 2 });
  const twin = await shardLibrary(path.join(tmp, 'twin-1.db'), folder, { index: 1, count: 3 });
  const into = path.join(tmp, 'refused.db');

  const otherN = mergeShards({ shardFiles: [a0, a1, b1], into });
  expect(otherN.ok).toBe(false);
  expect(otherN.lines).toContain(`${b1} holds shard 1/2 of ${folder} (GradCAM at conv), but other libraries hold shards of 3: every shard of a run must use the same n`);
  const twice = mergeShards({ shardFiles: [a0, a1, twin], into, allowPartial: true });
  expect(twice.ok).toBe(false);
  expect(twice.lines).toContain(`${twin} and ${a1} both hold shard 1/3 of ${folder} (GradCAM at conv): give each shard its own library`);
  expect(existsSync(into)).toBe(false);
});

it('says when the libraries hold shards of different runs (another folder)', async () => {
  const [a0, a1] = await shardsOf(photoFolder(), 'folder-a', 2);
  const b = photoFolder();
  const [, b1] = await shardsOf(b, 'folder-b', 2);
  const report = mergeShards({ shardFiles: [a0, b1], into: path.join(tmp, 'mixed.db') });
  expect(report.ok).toBe(false);
  expect(report.lines).toContain(`Shard 0/2 of ${b} (GradCAM at conv) is missing: none of the given libraries holds it`);
  expect(report.lines.join('\n')).toContain('The libraries hold shards of 2 different runs, which do not combine: ');
  expect(report.lines.join('\n')).toContain(`${b} (GradCAM at conv) with model c0ffee and {"topK":3,"camTopK":3} (folder-b-1.db)`);
  expect(mergeShards({ shardFiles: [a0, a1], into: path.join(tmp, 'mixed.db') }).ok).toBe(true);
});

it('refuses shards that saw the folder change: other files, or other bytes under one name', async () => {
  const added = photoFolder();
  const before = await shardLibrary(path.join(tmp, 'added-0.db'), added, { index: 0, count: 2 });
  cpSync(path.join(added, readdirSync(added)[0]), path.join(added, 'later'), { recursive: true });
  const after = await shardLibrary(path.join(tmp, 'added-1.db'), added, { index: 1, count: 2 });
  const report = mergeShards({ shardFiles: [before, after], into: path.join(tmp, 'added.db') });
  expect(report.ok).toBe(false);
  expect(report.lines.join('\n')).toMatch(/added-1\.db \(shard 1\/2\) and .*added-0\.db \(shard 0\/2\) saw different files in .* \(\d+ only in the first, 0 only in the second, e\.g\. later\/.*\): the folder changed between the shards/);

  const changed = photoFolder();
  const first = await shardLibrary(path.join(tmp, 'changed-0.db'), changed, { index: 0, count: 2 });
  const [dir] = readdirSync(changed);
  const [photo] = readdirSync(path.join(changed, dir));
  cpSync(path.join(samplesDir, readdirSync(samplesDir)[5], readdirSync(path.join(samplesDir, readdirSync(samplesDir)[5]))[0]), path.join(changed, dir, photo));
  const second = await shardLibrary(path.join(tmp, 'changed-1.db'), changed, { index: 1, count: 2 });
  const bytes = mergeShards({ shardFiles: [first, second], into: path.join(tmp, 'changed.db') });
  expect(bytes.ok).toBe(false);
  expect(bytes.lines.join('\n')).toContain(`read other bytes for 1 files (e.g. ${dir}/${photo}): the folder changed between the shards`);
});

it("merges every file's class under the run's model, whichever shard computes the file", async () => {
  const folder = photoFolder();
  const into = path.join(tmp, 'truth.db');
  expect(mergeShards({ shardFiles: await shardsOf(folder, 'truth', 2), into }).ok).toBe(true);
  const db = new Database(into, { readonly: true });
  try {
    const truth = db
      .prepare('SELECT i.rel_path, i.true_label, m.hash, t.true_index FROM images i LEFT JOIN image_truth t ON t.image_id = i.id LEFT JOIN models m ON m.id = t.model_id ORDER BY i.rel_path')
      .raw()
      .all();
    const expected = readdirSync(folder).sort().flatMap((dir, n) =>
      readdirSync(path.join(folder, dir)).map((photo) => [`${dir}/${photo}`, n === 0 ? 'b' : null, n === 0 ? 'c0ffee' : null, n === 0 ? 1 : null]),
    );
    expect(truth).toEqual(expected.sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  } finally {
    db.close();
  }
});

it('merges a shard written before classes were kept per model, from its images\' own class', () => {
  const file = path.join(tmp, 'schema-8.db');
  const old = openDatabase(file, migrations.slice(0, migrations.findIndex((sql) => sql.includes('CREATE TABLE image_truth'))));
  old.exec(`
    INSERT INTO datasets (id, root_path, name) VALUES (1, '/photos', 'photos');
    INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (1, 'c0ffee', 'Test model', '/models/test', 224, '["a","b"]');
    INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES (1, 1, 1, 'GradCAM', 'conv', 'wasm', 'done');
    INSERT INTO shard_runs (run_id, shard_index, shard_count, completed_at) VALUES (1, 0, 1, 'now');
    INSERT INTO images (dataset_id, rel_path, size, mtime_ms, true_label, true_index, content_hash) VALUES
      (1, 'b/x.jpg', 1, 1, 'b', 1, 'h1'), (1, 'y.jpg', 1, 1, NULL, NULL, 'h2');
  `);
  old.close();
  const into = path.join(tmp, 'from-schema-8.db');
  expect(mergeShards({ shardFiles: [file], into }).ok).toBe(true);
  const db = new Database(into, { readonly: true });
  try {
    expect(db.prepare('SELECT i.rel_path, t.model_id, t.true_index FROM image_truth t JOIN images i ON i.id = t.image_id').raw().all()).toEqual([['b/x.jpg', 1, 1]]);
  } finally {
    db.close();
  }
});

it('refuses to merge shards of another n into a run merged before', async () => {
  const folder = photoFolder();
  const into = path.join(tmp, 'merged.db');
  const first = mergeShards({ shardFiles: await shardsOf(folder, 'thirds', 3), into });
  expect(first.ok, first.lines.join('\n')).toBe(true);
  const halves = mergeShards({ shardFiles: await shardsOf(folder, 'halves', 2), into });
  expect(halves.ok).toBe(false);
  expect(halves.lines).toEqual([`${into} holds shards of 3 for ${folder} (GradCAM at conv), not of 2: merge these into another library`]);
});

it('names a file that is not a shard library, and the library merged into when given as a shard', async () => {
  const text = path.join(tmp, 'notes.db');
  writeFileSync(text, 'not a database, just text that is long enough to have a header of a hundred bytes '.repeat(4));
  const empty = path.join(tmp, 'empty.db');
  new Database(empty).close();
  const newer = path.join(tmp, 'newer.db');
  const db = new Database(newer);
  db.pragma('user_version = 999');
  db.close();
  const older = path.join(tmp, 'older.db');
  openDatabase(older, migrations.slice(0, migrations.findIndex((sql) => sql.includes('CREATE TABLE shard_runs')))).close();
  const report = mergeShards({ shardFiles: [text, empty, newer, older], into: path.join(tmp, 'nothing.db') });
  expect(report.ok).toBe(false);
  expect(report.lines[0]).toMatch(new RegExp(`^${text} is not a Sightline library \\(.+\\)$`));
  expect(report.lines[1]).toBe(`${empty} is not a Sightline library`);
  expect(report.lines[2]).toMatch(new RegExp(`^${newer} was written by a newer Sightline \\(schema 999, this one \\d+\\): merge with that version$`));
  expect(report.lines[3]).toBe(`${older} holds no shard: it was written by a Sightline without --shard`);

  const shard = await shardLibrary(path.join(tmp, 'self-0.db'), photoFolder(), { index: 0, count: 1 });
  expect(mergeShards({ shardFiles: [shard], into: shard })).toEqual({
    ok: false,
    lines: [`${shard} is the library to merge into; give the shards and --into different files`],
  });
});
