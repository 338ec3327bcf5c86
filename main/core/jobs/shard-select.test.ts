// Which photos a shard computes (`analyze --shard i/n`), on real photos in a real library: the shards split the
// folder without overlap, byte-identical photos land in one shard, and the hashes read to find a shard are kept.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { walkImages } from '../scan/walk';
import { shardOfFile } from '../store/shard-owner';
import { Store } from '../store/store';
import { pendingInShard } from './shard-select';

const samplesDir = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-shard-select-'));
const folder = path.join(tmp, 'photos');
let store: Store;
let dataset: { id: number; rootPath: string };
let runId: number;

beforeAll(async () => {
  cpSync(samplesDir, folder, { recursive: true });
  // A byte-identical copy under another name and folder.
  const [dir] = readdirSync(folder);
  const [photo] = readdirSync(path.join(folder, dir));
  cpSync(path.join(folder, dir, photo), path.join(folder, 'copies', `copy-of-${photo}`), { recursive: true });
  store = new Store(path.join(tmp, 'library.db'));
  dataset = store.ensureDataset(folder);
  const modelId = store.ensureModel({ hash: 'c0ffee', name: 'Test model', dir: '/models/test', inputSize: 224, labels: ['a'] });
  runId = store.ensureRun({ datasetId: dataset.id, modelId, method: 'GradCAM', layer: 'conv', options: {}, backend: 'wasm' });
  // Every file recorded as a first scan records it.
  const files = await walkImages(folder);
  store.applyScan(dataset.id, files.map((f) => ({ kind: 'added' as const, ...f, trueLabel: null, trueIndex: null, trueLevel: null })), []);
});
afterAll(() => {
  store?.close();
  rmSync(tmp, { recursive: true, force: true });
});

it('splits the folder into shards without overlap, by content hash, and byte-identical photos share one', async () => {
  const shards = [];
  for (let index = 0; index < 3; index++) shards.push((await pendingInShard(store, dataset, runId, { index, count: 3 })).map((p) => p.relPath));
  const all = shards.flat();
  expect(all).toHaveLength(35);
  expect(new Set(all).size).toBe(35);
  // Each shard holds some photos: 35 photos by a hash spread over 3.
  for (const shard of shards) expect(shard.length).toBeGreaterThan(5);

  const files = store.shards.pendingFiles(dataset.id, runId);
  expect(files.every((f) => f.contentHash !== null && /^[0-9a-f]{64}$/.test(f.contentHash))).toBe(true);
  for (const [index, shard] of shards.entries()) {
    for (const relPath of shard) expect(shardOfFile(files.find((f) => f.relPath === relPath)!.contentHash, relPath, 3)).toBe(index);
  }
  const copy = files.find((f) => f.relPath.startsWith('copies/'))!;
  const original = files.find((f) => f.relPath !== copy.relPath && f.contentHash === copy.contentHash)!;
  expect(shards.findIndex((s) => s.includes(copy.relPath))).toBe(shards.findIndex((s) => s.includes(original.relPath)));
  expect(store.shards.countOwned(dataset.id, { index: 1, count: 3 })).toBe(shards[1].length);
});

it('keeps the hashes it read: a resumed shard finds its photos without reading the others again', async () => {
  const before = await pendingInShard(store, dataset, runId, { index: 2, count: 3 });
  // Gone from the disk, yet its hash is known, so it stays in its shard: nothing is read a second time. (Read
  // again, it would have no hash and go to the shard its path picks, which is another one for this file.)
  const gone = store.shards
    .pendingFiles(dataset.id, runId)
    .find((f) => !before.some((p) => p.relPath === f.relPath) && shardOfFile(null, f.relPath, 3) !== shardOfFile(f.contentHash, f.relPath, 3))!;
  rmSync(path.join(folder, gone.relPath));
  expect(await pendingInShard(store, dataset, runId, { index: 2, count: 3 })).toEqual(before);
  expect(await pendingInShard(store, dataset, runId, { index: shardOfFile(gone.contentHash, gone.relPath, 3), count: 3 })).toContainEqual({
    id: gone.id,
    relPath: gone.relPath,
  });
});
