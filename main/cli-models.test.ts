// The CLI with the user's own model, as a person runs it: a child process, the sample photos, an ONNX model of the
// zoo (10 classes, labels "class 0" … "class 9") given with --model, a CSV on disk and the library's model list.
import { parse } from 'csv-parse/sync';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const samples = path.join(root, 'resources/samples');
const zooResnet = path.join(root, 'main/core/engine/__fixtures__/zoo/resnet');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-cli-models-'));
const dataDir = path.join(tmp, 'data');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const sightline = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', tsx, path.join(root, 'main/cli.ts'), ...args], { cwd: tmp });

it('analyze --model imports the samples with the zoo model, sightline models lists both models, and analysing again is resumable', async () => {
  const first = await sightline('analyze', samples, '--model', zooResnet, '--out', 'zoo.csv', '--data-dir', dataDir);
  expect(first.stderr).toMatch(/^Using model zoo resnet \(random weights\) \(onnx, 224×224, 10 classes, hash [0-9a-f]{12}\) from .*zoo\/resnet$/m);
  expect(first.stderr).toContain(`Setup: preprocessing torch, resize stretch, labels from ${path.join(zooResnet, 'labels.txt')}, default layer /layer4/layer4.0/relu_1/Relu_output_0`);
  expect(first.stderr).toMatch(/^Run \d+: GradCAM at \/layer4\/layer4\.0\/relu_1\/Relu_output_0, \{"topK":3,"camTopK":3\}$/m);
  expect(first.stderr).toMatch(/^Scan: 34 added, 0 changed, 0 removed, 0 unchanged$/m);
  expect(first.stderr).toMatch(/^Model: zoo resnet \(random weights\) \(224×224, default layer \/layer4\/layer4\.0\/relu_1\/Relu_output_0\)$/m);
  const records = parse(readFileSync(path.join(tmp, 'zoo.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  expect(records).toHaveLength(34);
  for (const record of records) {
    expect(record.status).toBe('done');
    for (const label of [record.top1_label, record.top2_label, record.top3_label]) expect(label).toMatch(/^class \d$/);
  }

  const { stdout } = await sightline('models', '--data-dir', dataDir);
  const lines = stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^ {3}ID {2}NAME +FORMAT +INPUT +CLASSES +HASH +RUNS$/);
  expect(lines[1]).toMatch(/^ {3}1 {3}mobilenet_v1_0\.75_224 +tfjs-layers +224×224 +1000 +[0-9a-f]{12} +0$/);
  expect(lines[2]).toMatch(/^\* {2}2 {3}zoo resnet \(random weights\) +onnx +224×224 +10 +[0-9a-f]{12} +1$/);
  expect(lines[3]).toMatch(/the active model/);
  // The report's rows name the model that computed them.
  const [, zooHash] = / ([0-9a-f]{12}) /.exec(lines[2])!;
  expect(new Set(records.map((r) => r.model_hash.slice(0, 12)))).toEqual(new Set([zooHash]));

  // Again, the model now the library's active one: the same run, nothing new to compute.
  const again = await sightline('analyze', samples, '--out', 'zoo-again.csv', '--data-dir', dataDir);
  expect(again.stderr).toMatch(/^Scan: 0 added, 0 changed, 0 removed, 34 unchanged$/m);
  expect(again.stderr).toMatch(/^Model: zoo resnet \(random weights\) /m);
  expect(again.stderr).toMatch(/34\/34 {2}failed 0 {2}0\.0 img\/s/);
  expect(again.stderr).toMatch(new RegExp(`^${first.stderr.match(/^Run \d+:/m)![0]}`, 'm'));
});

it('refuses a --model that is not a model, saying why', async () => {
  await expect(sightline('analyze', samples, '--model', path.join(tmp, 'nope'), '--out', 'x.csv', '--data-dir', dataDir)).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/^sightline: Cannot add the model at .*nope: there is no such file or folder$/m),
  });
  await expect(sightline('serve', '--model', path.join(tmp, 'nope'), '--data-dir', dataDir)).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/^sightline: Cannot add the model at .*nope: there is no such file or folder$/m),
  });
  await expect(sightline('models', 'extra', '--data-dir', dataDir)).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/models takes no arguments/) });
});
