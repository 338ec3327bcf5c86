// A Keras 3 transfer-learning model as a user brings it: `sightline analyze photos --model transfer.keras`, where
// transfer.keras is Sequential([MobileNetV3Small(include_top=False), GlobalAveragePooling2D(), Dense(3)]) as Keras 3.15
// saved it (main/core/engine/__fixtures__/keras/keras3). Then a second analysis of more photos with the model the
// first one made active. The real CLI (through tsx), real photos, a real library file.
import { parse } from 'csv-parse/sync';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-cli-keras3-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const sightline = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', tsx, path.join(root, 'main/cli.ts'), ...args, '--data-dir', path.join(tmp, 'data')], { cwd: tmp });
const samples = path.join(root, 'resources', 'samples');
const LABELS = ['cat', 'dog', 'bird'];

function report(file: string): Record<string, string>[] {
  return parse(readFileSync(path.join(tmp, file)), { columns: true, bom: true }) as Record<string, string>[];
}

it('analyses photos with a Keras 3 transfer-learning file: its base model unpacked, raw pixels, its own labels; then again with it active', async () => {
  mkdirSync(path.join(tmp, 'model'));
  copyFileSync(path.join(root, 'main/core/engine/__fixtures__/keras/keras3/transfer.keras'), path.join(tmp, 'model', 'transfer.keras'));
  writeFileSync(path.join(tmp, 'model', 'labels.txt'), LABELS.join('\n'));
  for (const folder of ['008_hen', '281_tabby']) cpSync(path.join(samples, folder), path.join(tmp, 'photos', folder), { recursive: true });

  const first = await sightline('analyze', 'photos', '--model', 'model/transfer.keras', '--out', 'first.csv');
  const said = first.stdout + first.stderr;
  expect(said).toMatch(/Using model transfer \(keras-v3, 96×96, 3 classes, hash [0-9a-f]{12}\)/);
  expect(said).toContain('Setup: preprocessing raw');
  expect(said).toContain('default layer activation_17');
  const rows = report('first.csv');
  expect(rows).toHaveLength(2);
  for (const row of rows) {
    expect(row, row.relative_path).toMatchObject({ status: 'done', layer: 'activation_17', method: 'GradCAM' });
    expect(LABELS).toContain(row.top1_label);
    expect(Number(row.top1_prob)).toBeGreaterThan(1 / 3);
  }

  cpSync(path.join(samples, '967_espresso'), path.join(tmp, 'photos', '967_espresso'), { recursive: true });
  await sightline('analyze', 'photos', '--out', 'second.csv');
  const second = report('second.csv');
  expect(second).toHaveLength(2 + readdirSync(path.join(samples, '967_espresso')).length);
  for (const row of second) expect(row, row.relative_path).toMatchObject({ status: 'done', layer: 'activation_17', model_hash: rows[0].model_hash });
  // The photos the first run analysed keep their results.
  for (const row of rows) expect(second.find((other) => other.relative_path === row.relative_path)).toMatchObject({ top1_label: row.top1_label, top1_prob: row.top1_prob });
});
