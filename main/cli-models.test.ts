// The CLI with the user's own model, as a person runs it: a child process, the sample photos, an ONNX model of the
// zoo (10 classes, labels "class 0" … "class 9") given with --model, a CSV on disk and the library's model list.
import { parse } from 'csv-parse/sync';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { onnx } from './core/engine/runtimes/onnx/graph-builder';

const root = fileURLToPath(new URL('..', import.meta.url));
const samples = path.join(root, 'resources/samples');
const zooResnet = path.join(root, 'main/core/engine/__fixtures__/zoo/resnet');
const zooVgg = path.join(root, 'main/core/engine/__fixtures__/zoo/vgg_mini');
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

/**
 * The zoo's resnet with its Flatten made a Reshape to a batch of two: adding it passes (the check runs two images),
 * and its engine fails at load, on the warm-up's batches, as a user's model with a fixed batch size does. It keeps
 * the resnet's name, as a rebuilt model often does.
 */
function batchOfTwoResnet(dir: string): string {
  cpSync(zooResnet, dir, { recursive: true });
  const model = onnx.ModelProto.decode(readFileSync(path.join(zooResnet, 'model.onnx')));
  const flatten = model.graph!.node!.find((node) => node.opType === 'Flatten')!;
  Object.assign(flatten, { opType: 'Reshape', attribute: [], input: [flatten.input![0], 'batch_of_two'] });
  const shape = new Uint8Array(BigInt64Array.from([2n, -1n]).buffer);
  model.graph!.initializer!.push({ name: 'batch_of_two', dataType: onnx.TensorProto.DataType.INT64, dims: [2], rawData: shape });
  writeFileSync(path.join(dir, 'model.onnx'), onnx.ModelProto.encode(model).finish());
  return dir;
}

const backDir = path.join(tmp, 'data-back');
const cat = path.join(tmp, 'cat');
cpSync(path.join(samples, '281_tabby'), path.join(cat, '281_tabby'), { recursive: true });
const activeLine = async () => (await sightline('models', '--data-dir', backDir)).stdout.split('\n').find((line) => line.startsWith('*'));

it('a model that fails to load is not left active, and --model <id> goes back to the bundled one', { timeout: 300_000 }, async () => {
  const broken = batchOfTwoResnet(path.join(tmp, 'broken'));
  // --model with a model that does not load: the bundled MobileNet stays active, and the message says so.
  const failing = sightline('analyze', cat, '--model', broken, '--out', 'back-1.csv', '--data-dir', backDir);
  await expect(failing).rejects.toMatchObject({ code: 1 });
  const { stderr } = await failing.catch((error: { stderr: string }) => error);
  expect(stderr).toMatch(/^sightline: The model zoo resnet \(random weights\) \(.*broken\) could not be loaded: /m);
  expect(stderr).toMatch(/^The active model stays mobilenet_v1_0\.75_224 \(id 1\)\. sightline models lists the library's models; --model <id> analyses with one of them\.$/m);
  expect(stderr).not.toMatch(/^Run \d+:/m);
  expect(await activeLine()).toMatch(/^\* {2}1 {3}mobilenet_v1_0\.75_224 /);

  // A model that loaded once and whose bytes were replaced since: it is the active one, and fails on its own.
  const replaced = path.join(tmp, 'replaced');
  cpSync(zooResnet, replaced, { recursive: true });
  await sightline('analyze', cat, '--model', replaced, '--out', 'back-2.csv', '--data-dir', backDir);
  expect(await activeLine()).toMatch(/^\* {2}3 {3}zoo resnet/);
  copyFileSync(path.join(zooVgg, 'model.onnx'), path.join(replaced, 'model.onnx'));
  await expect(sightline('analyze', cat, '--out', 'back-3.csv', '--data-dir', backDir)).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(
      /could not be loaded: its bytes changed since it was added.*\nzoo resnet \(random weights\) \(id 3\) is the library's active model: --model <id> analyses with another one and makes it active \(--model 1 for mobilenet_v1_0\.75_224\); sightline models lists them\.\n$/,
    ),
  });

  // The way back: --model 1, then a plain analyze with the model that is active again.
  const back = await sightline('analyze', cat, '--model', '1', '--out', 'back-4.csv', '--data-dir', backDir);
  expect(back.stderr).toMatch(/^Using model mobilenet_v1_0\.75_224 \(tfjs-layers, 224×224, 1000 classes, hash [0-9a-f]{12}\) from /m);
  expect(back.stderr).toMatch(/^Done: 1 analysed now, 0 already analysed, 0 failed\. /m);
  expect(await activeLine()).toMatch(/^\* {2}1 {3}mobilenet_v1_0\.75_224 /);
  const plain = await sightline('analyze', cat, '--out', 'back-5.csv', '--data-dir', backDir);
  expect(plain.stderr).toMatch(/^Model: mobilenet_v1_0\.75_224 /m);
  expect(plain.stderr).toMatch(/^Done: 0 analysed now, 1 already analysed, 0 failed\. /m);
  const records = parse(readFileSync(path.join(tmp, 'back-5.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  expect(records.map((r) => [r.status, r.model_hash.slice(0, 12)])).toEqual([['done', /^\* {2}1 .* ([0-9a-f]{12}) /.exec((await activeLine())!)![1]]]);
});

// The next two tests go on with the library of the test above.
it('--model takes a name in any case, refuses a name two models share, and a path that exists wins', { timeout: 300_000 }, async () => {
  // Models 2 (the batch-of-two resnet) and 3 (the resnet) share the resnet's name.
  await expect(sightline('analyze', cat, '--model', 'zoo resnet (random weights)', '--out', 'x.csv', '--data-dir', backDir)).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(
      /^sightline: --model "zoo resnet \(random weights\)" names 2 of the library's models \(ids 2, 3\): give its id instead, --model 2 or --model 3 /m,
    ),
  });
  mkdirSync(path.join(tmp, '1'));
  try {
    await expect(sightline('analyze', cat, '--model', '1', '--out', 'x.csv', '--data-dir', backDir)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(new RegExp(`^sightline: Cannot add the model at ${path.join(tmp, '1')}: `, 'm')),
    });
  } finally {
    rmSync(path.join(tmp, '1'), { recursive: true });
  }
  const byName = await sightline('analyze', cat, '--model', 'MobileNet_V1_0.75_224', '--out', 'by-name.csv', '--data-dir', backDir);
  expect(byName.stderr).toMatch(/^Using model mobilenet_v1_0\.75_224 /m);
});

it('serve --model <id> makes that model active as the gallery does, and says when it does not load and how to go back', { timeout: 300_000 }, async () => {
  const child = spawn(process.execPath, ['--import', tsx, path.join(root, 'main/cli.ts'), 'serve', '--model', '2', '--port', '0', '--data-dir', backDir], { cwd: tmp });
  try {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('Models view')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    expect(stdout).toMatch(/^Using model zoo resnet \(random weights\) .* from .*broken$/m);
    expect(stderr).toMatch(
      /^The model zoo resnet \(random weights\) \(.*broken\) could not be loaded: .*\nMake another model active in the gallery's Models view, or serve again with --model <id> \(sightline models lists them\)\.$/m,
    );
  } finally {
    // A serve that exited on its own (a refused --model) has nothing left to wait for.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
});

it('says when a model given again from another folder keeps its library setup rather than the labels beside it, and not when they agree', async () => {
  const library = path.join(tmp, 'relabelled-data');
  const photos = path.join(tmp, 'relabelled-photos');
  cpSync(path.join(samples, '008_hen'), path.join(photos, '008_hen'), { recursive: true });
  await sightline('analyze', photos, '--model', zooResnet, '--out', 'first.csv', '--data-dir', library);
  const copy = path.join(tmp, 'relabelled-model');
  mkdirSync(copy);
  copyFileSync(path.join(zooResnet, 'model.onnx'), path.join(copy, 'model.onnx'));
  writeFileSync(path.join(copy, 'labels.txt'), Array.from({ length: 10 }, (_, i) => `kind ${i}`).join('\n'));

  const again = await sightline('analyze', photos, '--model', copy, '--out', 'again.csv', '--data-dir', library);
  expect(again.stderr).toMatch(
    new RegExp(`^Note: this model \\(the same bytes\\) is already in the library as model \\d+, zoo resnet \\(random weights\\), and keeps its setup: its classes are class 0, class 1, class 2, …, not those of ${copy}/labels\\.txt\\.`, 'm'),
  );
  const rows = parse(readFileSync(path.join(tmp, 'again.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  for (const row of rows) expect(row.top1_label).toMatch(/^class \d$/);

  const original = await sightline('analyze', photos, '--model', zooResnet, '--out', 'original.csv', '--data-dir', library);
  expect(original.stderr).not.toContain('Note: this model');
});
