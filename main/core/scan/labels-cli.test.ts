// Ground truth from a user's own class names, through the CLI as a person runs it: a copy of the zoo ResNet with
// its own labels.txt, photos in folders named like ImageNet's (`001_goldfish`), a real library file and CSV.
import { parse } from 'csv-parse/sync';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { openDatabase } from '../store/database';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-labels-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const sightline = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', tsx, path.join(root, 'main/cli.ts'), ...args], { cwd: tmp });

/** The tester's model: ten classes of its own, in an order that is not ImageNet's. */
const OWN_LABELS = ['cat', 'dog', 'bird', 'fish', 'car', 'goldfish', 'hen', 'baseball', 'volleyball', 'espresso'];

it("analyze takes the ground truth from the folder's class name where its ImageNet number is another class or none of the model's", async () => {
  const model = path.join(tmp, 'mymodel');
  mkdirSync(model);
  cpSync(path.join(root, 'main/core/engine/__fixtures__/zoo/resnet/model.onnx'), path.join(model, 'model.onnx'));
  writeFileSync(path.join(model, 'labels.txt'), `${OWN_LABELS.join('\n')}\n`);
  const photos = path.join(tmp, 'photos');
  for (const sample of ['001_goldfish', '429_baseball', '890_volleyball', '967_espresso']) {
    cpSync(path.join(root, 'resources/samples', sample), path.join(photos, sample), { recursive: true });
  }
  await sightline('analyze', photos, '--model', model, '--out', 'own.csv', '--data-dir', path.join(tmp, 'data'));
  const records = parse(readFileSync(path.join(tmp, 'own.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  expect(records.map((r) => [r.relative_path.split('/')[0], r.true_label])).toEqual([
    // 001 is "dog" for this model, but the folder says goldfish; 429, 890 and 967 are beyond its ten classes.
    ['001_goldfish', 'goldfish'],
    ['429_baseball', 'baseball'],
    ['890_volleyball', 'volleyball'],
    ['967_espresso', 'espresso'],
  ]);
  for (const r of records) expect(r.correct).toBe(String(r.top1_label === r.true_label));
});

it('analyze reads the ground truth by the class names the library stored for the model, as the predictions, after its labels.txt was edited', async () => {
  const model = path.join(tmp, 'edited');
  mkdirSync(model);
  cpSync(path.join(root, 'main/core/engine/__fixtures__/zoo/resnet/model.onnx'), path.join(model, 'model.onnx'));
  writeFileSync(path.join(model, 'labels.txt'), `${OWN_LABELS.join('\n')}\n`);
  const dataDir = path.join(tmp, 'edited-data');
  const first = path.join(tmp, 'first');
  cpSync(path.join(root, 'resources/samples/008_hen'), path.join(first, '008_hen'), { recursive: true });
  await sightline('analyze', first, '--model', model, '--out', 'first.csv', '--data-dir', dataDir);

  // Edited in place: goldfish and bird change places. The library keeps the names stored when the model was added.
  const edited = [...OWN_LABELS];
  [edited[2], edited[5]] = [edited[5], edited[2]];
  writeFileSync(path.join(model, 'labels.txt'), `${edited.join('\n')}\n`);
  const second = path.join(tmp, 'second');
  for (const sample of ['001_goldfish', '890_volleyball']) cpSync(path.join(root, 'resources/samples', sample), path.join(second, sample), { recursive: true });
  await sightline('analyze', second, '--model', model, '--out', 'second.csv', '--data-dir', dataDir);

  const records = parse(readFileSync(path.join(tmp, 'second.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  expect(records.map((r) => [r.relative_path.split('/')[0], r.true_label])).toEqual([
    ['001_goldfish', 'goldfish'],
    ['890_volleyball', 'volleyball'],
  ]);
  for (const r of records) {
    expect(OWN_LABELS).toContain(r.top1_label);
    expect(r.correct).toBe(String(r.top1_label === r.true_label));
  }
  const library = openDatabase(path.join(dataDir, 'library.db'));
  try {
    const truth = library
      .prepare("SELECT t.true_index FROM image_truth t JOIN images i ON i.id = t.image_id WHERE i.rel_path LIKE '001_goldfish/%'")
      .pluck()
      .all();
    expect(truth).toEqual([OWN_LABELS.indexOf('goldfish')]);
  } finally {
    library.close();
  }
});
