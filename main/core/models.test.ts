// The model registry through the service, as the gallery and the CLI use it: a real library on disk, the bundled
// MobileNet, an ONNX model of the zoo (10 classes, labels "class 0" … "class 9"), real photos and real engines.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress, ModelSummary } from '../../common/types';
import { onnx } from './engine/runtimes/onnx/graph-builder';
import { THUMBNAIL_LIMIT } from './scan/decode';
import { createCoreService } from './service';
import type { CoreService } from './service-types';
import { Store } from './store/store';

const samplesDir = fileURLToPath(new URL('../../resources/samples/', import.meta.url));
const zooResnet = fileURLToPath(new URL('./engine/__fixtures__/zoo/resnet', import.meta.url));
const RESNET_LAYER = '/layer4/layer4.0/relu_1/Relu_output_0';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-models-'));
const dataDir = path.join(tmp, 'data');
const photos = path.join(tmp, 'photos');
let service: CoreService;

beforeAll(async () => {
  for (const sample of ['008_hen', '281_tabby', '967_espresso']) cpSync(path.join(samplesDir, sample), path.join(photos, sample), { recursive: true });
  service = await createCoreService({ dataDir, mode: 'web', batchSize: 2 });
});
afterAll(async () => {
  await service?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Waits for a job's last progress event. */
async function finished(started: Promise<{ jobId: string; datasetId: number; runId: number }>) {
  let jobId = '';
  const ended = new Promise<JobProgress>((resolve) => {
    const stop = service.on('jobProgress', (p) => {
      if (p.jobId === jobId && p.state !== 'running') {
        stop();
        resolve(p);
      }
    });
  });
  const run = await started;
  jobId = run.jobId;
  const done = (await service.listJobs({})).find((j) => j.jobId === jobId && j.state !== 'running');
  return { ...run, last: done ?? (await ended) };
}

/** `photo` is a JPEG data URL of a thumbnail (see THUMBNAIL_LIMIT) of the one photo in `file` (or in the folder `file`). */
async function expectThumbnailOf(photo: string, file: string): Promise<void> {
  const [, base64] = /^data:image\/jpeg;base64,(.+)$/.exec(photo) ?? [];
  expect(base64, photo.slice(0, 40)).toBeDefined();
  const jpeg = await sharp(Buffer.from(base64, 'base64')).metadata();
  expect(jpeg.format).toBe('jpeg');
  expect(Math.max(jpeg.width, jpeg.height)).toBeLessThanOrEqual(THUMBNAIL_LIMIT);
  const source = statSync(file).isDirectory() ? path.join(file, readdirSync(file).sort()[0]) : file;
  const { width, height } = (await sharp(source).metadata()).autoOrient;
  expect(jpeg.width / jpeg.height).toBeCloseTo(width / height, 1);
}

const modelNamed = async (name: RegExp): Promise<ModelSummary> => (await service.listModels({})).find((m) => name.test(m.name))!;

describe('the model registry', () => {
  let zoo: ModelSummary;

  it('starts with the bundled MobileNet, active, its setup proposed from the folder', async () => {
    const [bundled, ...others] = await service.listModels({});
    expect(others).toEqual([]);
    expect(bundled).toMatchObject({
      format: 'tfjs-layers',
      inputSize: 224,
      classCount: 1000,
      active: true,
      runCount: 0,
      error: null,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      labelsPreview: ['tench', 'goldfish', 'great white shark', 'tiger shark', 'hammerhead'],
      setup: { preprocessing: 'mobilenet', resize: 'stretch', labelSource: 'imagenet', labelsFile: null, layer: 'conv_pw_13_relu' },
    });
    expect(bundled.proposed).toEqual(bundled.setup);
    expect(bundled.candidateLayers).toContainEqual({ name: 'conv_pw_13_relu', shape: [7, 7, 768] });
    expect((await service.getInfo({})).model).toMatchObject({ name: bundled.name, hash: bundled.hash, layer: 'conv_pw_13_relu' });
  });

  it('adds an ONNX model folder with the setup its sightline.json and labels file propose, once', async () => {
    zoo = await service.addModel({ path: zooResnet });
    expect(zoo).toMatchObject({
      name: 'zoo resnet (random weights)',
      path: zooResnet,
      format: 'onnx',
      inputSize: 224,
      classCount: 10,
      labelsPreview: ['class 0', 'class 1', 'class 2', 'class 3', 'class 4'],
      active: false,
      runCount: 0,
      error: null,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      setup: { preprocessing: 'torch', resize: 'stretch', labelSource: 'file', labelsFile: path.join(zooResnet, 'labels.txt'), layer: RESNET_LAYER },
    });
    expect(zoo.candidateLayers).toContainEqual(expect.objectContaining({ name: RESNET_LAYER, shape: [7, 7, 128] }));
    // The same bytes again, now as the model.onnx file: the same entry, at the place it was added from last.
    const again = await service.addModel({ path: path.join(zooResnet, 'model.onnx') });
    expect(again).toMatchObject({ id: zoo.id, hash: zoo.hash, path: path.join(zooResnet, 'model.onnx') });
    expect((await service.listModels({})).map((m) => m.id)).toHaveLength(2);
  });

  it('keeps the runs of two models on one dataset apart, each labelled by its own model', async () => {
    const mobilenet = await finished(service.importFolder({ path: photos }));
    const resnet = await finished(service.importFolder({ path: photos, modelId: zoo.id }));
    expect(mobilenet.last).toMatchObject({ state: 'done', failed: 0 });
    expect(resnet.last).toMatchObject({ state: 'done', failed: 0, done: mobilenet.last.total });
    expect(resnet.datasetId).toBe(mobilenet.datasetId);
    expect(resnet.runId).not.toBe(mobilenet.runId);

    const runs = await service.listRuns({ datasetId: resnet.datasetId });
    const bundled = await modelNamed(/MobileNet|mobilenet/);
    expect(runs.map((r) => [r.id, r.modelId, r.modelName, r.layer])).toEqual([
      [mobilenet.runId, bundled.id, bundled.name, 'conv_pw_13_relu'],
      [resnet.runId, zoo.id, zoo.name, RESNET_LAYER],
    ]);
    const byResnet = await service.listImages({ datasetId: resnet.datasetId, runId: resnet.runId });
    const byMobilenet = await service.listImages({ datasetId: resnet.datasetId, runId: mobilenet.runId });
    expect(byResnet.length).toBeGreaterThan(0);
    for (const image of byResnet) {
      expect(image.top.map((t) => t.label)).toEqual(image.top.map((t) => `class ${t.index}`));
      expect(image.top.every((t) => t.index < 10)).toBe(true);
      expect([image.heatmap?.h, image.heatmap?.w]).toEqual([7, 7]);
    }
    expect(byMobilenet.some((image) => image.top[0].index >= 10 && !/^class \d+$/.test(image.top[0].label))).toBe(true);
    // Maps on demand come from the run's own model.
    const [first] = byResnet;
    const explained = await service.explainImage({ imageId: first.id, runId: resnet.runId, method: 'GradCAM', classIndex: first.top[0].index });
    expect(explained.layer).toBe(RESNET_LAYER);
    expect(explained.top.slice(0, 3).map((t) => [t.index, t.label])).toEqual(first.top.map((t) => [t.index, t.label]));
    const stored = first.heatmap!;
    const largestDifference = Math.max(...explained.heatmap.values.map((value, i) => Math.abs(value - stored.values[i])));
    expect(largestDifference).toBeLessThan(1e-4 * stored.scale);
    expect((await modelNamed(/zoo resnet/)).runCount).toBe(1);
  });

  it('resumes the same run when the same folder is imported with the same model again', async () => {
    const before = (await service.listRuns({ datasetId: (await service.listDatasets({}))[0].id })).length;
    const again = await finished(service.importFolder({ path: photos, modelId: zoo.id }));
    expect(again.last).toMatchObject({ state: 'done', imagesPerSec: 0, scan: { added: 0, changed: 0, removed: 0 } });
    expect(again.last.done).toBe(again.last.total);
    expect(await service.listRuns({ datasetId: again.datasetId })).toHaveLength(before);
  });

  it('compares the runs of a model before and after fine-tuning, side by side', async () => {
    // "Fine-tuned": the same network with another classifier bias, so other bytes and the same classes.
    const tuned = path.join(tmp, 'resnet-tuned');
    cpSync(zooResnet, tuned, { recursive: true });
    const proto = onnx.ModelProto.decode(readFileSync(path.join(zooResnet, 'model.onnx')));
    const bias = proto.graph!.initializer!.find((t) => t.dims?.length === 1 && Number(t.dims[0]) === 10)!;
    const values = new Float32Array(new Uint8Array(bias.rawData!).slice().buffer);
    values[0] += 0.5;
    bias.rawData = new Uint8Array(values.buffer);
    writeFileSync(path.join(tuned, 'model.onnx'), onnx.ModelProto.encode(proto).finish());
    writeFileSync(path.join(tuned, 'sightline.json'), JSON.stringify({ name: 'zoo resnet tuned', preprocessing: 'torch' }));

    const after = await service.addModel({ path: tuned, activate: true });
    expect(after).toMatchObject({ name: 'zoo resnet tuned', classCount: 10, active: true });
    expect(after.hash).not.toBe(zoo.hash);
    expect((await service.getInfo({})).model).toMatchObject({ name: 'zoo resnet tuned', hash: after.hash });
    const run = await finished(service.importFolder({ path: photos }));
    const runs = await service.listRuns({ datasetId: run.datasetId });
    expect(runs.find((r) => r.id === run.runId)).toMatchObject({ modelId: after.id, modelName: 'zoo resnet tuned' });
    const before = runs.find((r) => r.modelId === zoo.id)!;
    const { compared, meanAgreement } = await service.compareRuns({ runId: run.runId, otherRunId: before.id });
    expect(compared).toBeGreaterThan(0);
    expect(meanAgreement).toBeGreaterThan(0.5);
    // Runs of models with other classes do not compare.
    const mobilenetRun = runs.find((r) => r.modelId !== zoo.id && r.modelId !== after.id)!;
    await expect(service.compareRuns({ runId: run.runId, otherRunId: mobilenetRun.id })).rejects.toThrow(/different classes \(10 and 1000\)/);
  });

  it('changes a setup, checks it against the model, and keeps it across a restart', async () => {
    const names = path.join(tmp, 'names.json');
    writeFileSync(names, JSON.stringify(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']));
    const changed = await service.setModelSetup({
      modelId: zoo.id,
      setup: { labelSource: 'file', labelsFile: names, resize: 'centre-crop', layer: '/layer3/layer3.0/relu_1/Relu_output_0' },
    });
    expect(changed.setup).toEqual({
      preprocessing: 'torch',
      resize: 'centre-crop',
      labelSource: 'file',
      labelsFile: names,
      layer: '/layer3/layer3.0/relu_1/Relu_output_0',
    });
    expect(changed.proposed).toEqual(zoo.setup);
    expect(changed.labelsPreview).toEqual(['zero', 'one', 'two', 'three', 'four']);
    // Adding the folder again keeps the setup chosen; its sightline.json only counts on the first add.
    expect((await service.addModel({ path: zooResnet })).setup).toEqual(changed.setup);

    const short = path.join(tmp, 'three.txt');
    writeFileSync(short, 'a\nb\nc\n');
    await expect(service.setModelSetup({ modelId: zoo.id, setup: { labelsFile: short } })).rejects.toThrow(/names 3 classes, but the model has 10 outputs/);
    await expect(service.setModelSetup({ modelId: zoo.id, setup: { labelSource: 'imagenet' } })).rejects.toThrow(/ImageNet's labels name 1000 classes/);
    await expect(service.setModelSetup({ modelId: zoo.id, setup: { layer: 'nope' } })).rejects.toThrow(/no layer "nope"/);

    await service.close();
    service = await createCoreService({ dataDir, mode: 'web', batchSize: 2 });
    const restarted = await modelNamed(/^zoo resnet \(random/);
    expect(restarted).toMatchObject({ id: zoo.id, setup: changed.setup, active: false, runCount: 1 });
    expect((await modelNamed(/tuned/)).active).toBe(true);

    // A changed resize mode makes a new run (at the new default layer) instead of adding to the one made before.
    const run = await finished(service.importFolder({ path: photos, modelId: zoo.id }));
    const info = (await service.listRuns({ datasetId: run.datasetId })).find((r) => r.id === run.runId)!;
    expect(info).toMatchObject({ modelId: zoo.id, layer: '/layer3/layer3.0/relu_1/Relu_output_0', options: { topK: 3, camTopK: 3, resize: 'centre-crop' } });
    const images = await service.listImages({ datasetId: run.datasetId, runId: run.runId });
    expect(images[0].heatmap).toMatchObject({ h: 14, w: 14 });
    expect(images.every((image) => ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].includes(image.top[0].label))).toBe(true);
  });

  it('previews a setup on one photo without storing anything', async () => {
    const runsBefore = (await modelNamed(/^zoo resnet \(random/)).runCount;
    const preview = await service.previewModel({ modelId: zoo.id, setup: { labelSource: 'numbered', layer: '/layer2/layer2.0/relu_1/Relu_output_0' } });
    expect(preview.imageId).toBeNull();
    expect(preview.layer).toBe('/layer2/layer2.0/relu_1/Relu_output_0');
    expect(preview.top).toHaveLength(5);
    expect(preview.top.map((t) => t.label)).toEqual(preview.top.map((t) => `class ${t.index}`));
    expect(preview.heatmap).toMatchObject({ h: 28, w: 28, classIndex: preview.top[0].index });
    expect(preview.photo).toMatch(/^data:image\/jpeg;base64,/);
    const photo = Buffer.from(preview.photo.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
    expect([...photo.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    // The sample photo is in no library, so the preview carries it: the samples' first photo, upright and small.
    await expectThumbnailOf(preview.photo, path.join(samplesDir, '001_goldfish'));
    const image = (await service.listImages({ datasetId: (await service.listDatasets({}))[0].id }))[0];
    const ofImage = await service.previewModel({ modelId: zoo.id, imageId: image.id });
    expect(ofImage.imageId).toBe(image.id);
    await expectThumbnailOf(ofImage.photo, path.join(photos, image.relPath));
    const after = await modelNamed(/^zoo resnet \(random/);
    expect(after.runCount).toBe(runsBefore);
    expect(after.setup.labelSource).toBe('file');
  });

  it('registers the model of a library made before the registry under its own id, keeping its runs', async () => {
    const bundled = (await service.listModels({})).find((m) => m.format === 'tfjs-layers')!;
    const olderDir = path.join(tmp, 'older');
    const older = new Store(path.join(olderDir, 'library.db'));
    const modelId = older.ensureModel({ hash: bundled.hash, name: 'old name', dir: '/gone', inputSize: 224, labels: ['x'] });
    const datasetId = older.ensureDataset(photos).id;
    const runId = older.ensureRun({ datasetId, modelId, method: 'GradCAM', layer: 'conv_pw_13_relu', options: { topK: 3, camTopK: 3 }, backend: 'wasm' });
    older.close();
    const upgraded = await createCoreService({ dataDir: olderDir, mode: 'web' });
    try {
      const [model] = await upgraded.listModels({});
      expect(model).toMatchObject({ id: modelId, hash: bundled.hash, name: bundled.name, runCount: 1, active: true, setup: bundled.setup });
      expect((await upgraded.listRuns({ datasetId })).map((r) => [r.id, r.modelName])).toEqual([[runId, bundled.name]]);
    } finally {
      await upgraded.close();
    }
  });

  it('says what is wrong with a path that is not a model', async () => {
    await expect(service.addModel({ path: path.join(tmp, 'nope') })).rejects.toThrow(/Cannot add the model at .*nope: there is no such file or folder/);
    await expect(service.addModel({ path: photos })).rejects.toThrow(/Cannot add the model at .*photos: /);
    await expect(service.addModel({ path: path.join(tmp, 'names.json') })).rejects.toThrow(/Cannot add the model at .*names\.json: /);
    await expect(service.setActiveModel({ modelId: 999 })).rejects.toThrow(/No model with id 999/);
  });
});
