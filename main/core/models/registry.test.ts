// The registry's engine pools with real engines: a setup reaches the engine, leases of one setup share a pool, a
// changed setup retires the old pool once nothing holds it, and a model whose bytes changed is refused.
import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appPaths } from '../paths';
import { Store } from '../store/store';
import { ModelRegistry } from './registry';

const zoo = fileURLToPath(new URL('../engine/__fixtures__/zoo/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-registry-'));
const store = new Store(path.join(tmp, 'library.db'));
const registry = new ModelRegistry({
  store,
  engineOptions: { onnxCacheDir: path.join(tmp, 'onnx-cache') },
  imagenetFile: appPaths().labelsFile,
});
const grey = { pixels: new Uint8Array(224 * 224 * 3).fill(128), count: 1, topK: 1, camTopK: 1 };
const names = path.join(tmp, 'names.json');

beforeAll(() => {
  writeFileSync(names, JSON.stringify(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']));
});
afterAll(async () => {
  await registry.close();
  store.close();
  rmSync(tmp, { recursive: true, force: true });
});

it('hands out one pool per model and setup, with the setup applied, and retires a pool once its setup is gone and nothing holds it', async () => {
  const model = await registry.add(path.join(zoo, 'resnet'));
  const before = await registry.lease(model);
  expect(before.engine.model).toMatchObject({ resizeMode: 'stretch', preprocessing: 'torch' });
  expect(before.engine.model.labels.slice(0, 2)).toEqual(['class 0', 'class 1']);

  const changed = registry.setSetup(model.id, { resize: 'letterbox', preprocessing: 'raw', labelSource: 'file', labelsFile: names });
  const after = await registry.lease(changed);
  expect(after.engine).not.toBe(before.engine);
  expect(after.engine.model).toMatchObject({ resizeMode: 'letterbox', preprocessing: 'raw' });
  expect(after.engine.model.labels.slice(0, 2)).toEqual(['zero', 'one']);
  const again = await registry.lease(changed);
  expect(again.engine).toBe(after.engine);
  expect(registry.startedEngine(changed)).toBe(after.engine);

  // The retired pool still serves the caller that holds it, and closes when released.
  expect(await before.engine.explain(grey)).toHaveLength(1);
  before.release();
  await expect(before.engine.explain(grey)).rejects.toThrow(/disposed/);

  // A pool nobody holds closes as soon as the setup changes again.
  after.release();
  again.release();
  registry.setSetup(model.id, { resize: 'stretch' });
  await expect(after.engine.explain(grey)).rejects.toThrow(/disposed/);
});

it('refuses to start a model whose bytes changed since it was added, and says so in its summary', async () => {
  const folder = path.join(tmp, 'changing');
  cpSync(path.join(zoo, 'resnet'), folder, { recursive: true });
  const model = await registry.add(folder);
  copyFileSync(path.join(zoo, 'vgg_mini', 'model.onnx'), path.join(folder, 'model.onnx'));
  await expect(registry.lease(model)).rejects.toThrow(/could not be loaded: its bytes changed since it was added/);
  expect(registry.summary(registry.get(model.id)).error).toMatch(/its bytes changed since it was added/);
});
