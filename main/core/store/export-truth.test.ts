// The true label of the reports and the gallery, through the CLI as a person runs it: one folder analysed with two
// models, each run naming the ground truth with its own model's class names, as it names the predictions (and so
// agreeing with `correct`). Real models, photos, library file, CSV and HTML.
import { parse } from 'csv-parse/sync';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { EMPTY_FILTER } from '../../../common/query';
import { openDatabase } from './database';
import { LibraryQuery } from './query';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-export-truth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const sightline = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', tsx, path.join(root, 'main/cli.ts'), ...args], { cwd: tmp });
const csvOf = (file: string) =>
  Object.fromEntries(
    (parse(readFileSync(path.join(tmp, file), 'utf8'), { columns: true }) as Record<string, string>[]).map((r) => [
      r.relative_path.split('/')[0],
      { trueLabel: r.true_label, top1: r.top1_label, correct: r.correct },
    ]),
  );

const zooResnet = path.join(root, 'main/core/engine/__fixtures__/zoo/resnet');
const mobilenet = path.join(root, 'resources/models/mobilenet_v1_0.75_224');

it("names each run's truth with its own model's classes: a folder analysed with the zoo ResNet, then MobileNet", async () => {
  const photos = path.join(tmp, 'photos');
  for (const sample of ['001_goldfish', '008_hen', '281_tabby']) cpSync(path.join(root, 'resources/samples', sample), path.join(photos, sample), { recursive: true });
  const dataDir = path.join(tmp, 'data');
  // The ResNet's ten classes are "class 0" … "class 9": 001 and 008 are its classes 1 and 8, 281 none of them.
  await sightline('analyze', photos, '--model', zooResnet, '--out', 'resnet.csv', '--data-dir', dataDir);
  await sightline('analyze', photos, '--model', mobilenet, '--out', 'mobilenet.csv', '--html', 'mobilenet.html', '--data-dir', dataDir);
  // The ResNet's run once more (nothing to compute): its report now, after MobileNet found a class for every folder.
  await sightline('analyze', photos, '--model', zooResnet, '--out', 'resnet-again.csv', '--data-dir', dataDir);

  const mobilenetCsv = csvOf('mobilenet.csv');
  expect(Object.entries(mobilenetCsv).map(([folder, r]) => [folder, r.trueLabel])).toEqual([
    ['001_goldfish', 'goldfish'],
    ['008_hen', 'hen'],
    ['281_tabby', 'tabby'],
  ]);
  // Both columns are MobileNet's names of its classes: equal exactly where the run judges the photo correct.
  for (const r of Object.values(mobilenetCsv)) expect(r.correct).toBe(String(r.top1 === r.trueLabel));
  for (const file of ['resnet.csv', 'resnet-again.csv']) {
    const resnetCsv = csvOf(file);
    expect(Object.entries(resnetCsv).map(([folder, r]) => [folder, r.trueLabel, r.correct === ''])).toEqual([
      ['001_goldfish', 'class 1', false],
      ['008_hen', 'class 8', false],
      // No class of the ResNet, so no truth for its run: not MobileNet's "tabby".
      ['281_tabby', '', true],
    ]);
    for (const r of Object.values(resnetCsv)) if (r.correct !== '') expect(r.correct).toBe(String(r.top1 === r.trueLabel));
  }

  // The HTML report's accuracy by class and its cards.
  const html = readFileSync(path.join(tmp, 'mobilenet.html'), 'utf8');
  expect(html).toMatch(/<tr><td>goldfish<\/td><td>1<\/td>/);
  expect(html).not.toMatch(/class [18]\b/);

  // The gallery's truth facet, for each run.
  const library = openDatabase(path.join(dataDir, 'library.db'));
  try {
    const runs = library.prepare('SELECT r.id, r.dataset_id AS datasetId, m.name FROM runs r JOIN models m ON m.id = r.model_id ORDER BY r.id').all() as
      { id: number; datasetId: number; name: string }[];
    expect(runs).toHaveLength(2);
    const query = new LibraryQuery(library);
    const truthFacet = (run: { id: number; datasetId: number }) =>
      query.images(run.datasetId, run.id, EMPTY_FILTER, { key: 'fileName', descending: false }).facets.truth.map((t) => [t.value, t.count]).sort();
    expect(truthFacet(runs[0])).toEqual([['class 1', 1], ['class 8', 1]]);
    expect(truthFacet(runs[1])).toEqual([['goldfish', 1], ['hen', 1], ['tabby', 1]]);
    query.close();
  } finally {
    library.close();
  }
});
