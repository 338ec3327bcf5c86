// Model folders are read safely: every file inside the folder (no `../x`, no absolute path, no symlink out),
// regular files only (a FIFO or /dev/zero never blocks a read), sizes checked before reading, input sizes
// bounded, ONNX weights inside the file; and a model may be named by its folder or by its .onnx file.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backends';
import { loadGraphRuntime } from './runtimes/tfjs-graph/runtime';
import { writeGraphModelFolder } from './runtimes/tfjs-graph/test-support/graph-model-writer';
import { LocalEngine } from './local-engine';
import { loadModel } from './model';
import {
  MAX_INPUT_SIZE,
  MAX_MODEL_BYTES,
  MAX_MODEL_JSON_BYTES,
  MAX_SETTINGS_BYTES,
  MIN_INPUT_SIZE,
  readAnyModelFolder,
  readModelFolder,
} from './model-folder';
import { onnx } from './runtimes/onnx/graph-builder';
import { SHARD_NAME, saveModelFolder } from './test-support/model-files';

const zooResnet = fileURLToPath(new URL('./__fixtures__/zoo/resnet', import.meta.url));
const resnetBytes = readFileSync(path.join(zooResnet, 'model.onnx'));
const posix = process.platform !== 'win32';

let root: string;
let count = 0;
const fresh = (name: string) => {
  const dir = path.join(root, `${name}-${count++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** A TF.js layers folder: 16² input, 3 classes. */
async function layersFolder(inputSize = 16): Promise<string> {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [inputSize, inputSize, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'features' }));
  model.add(tfl.layers.globalAveragePooling2d({}));
  model.add(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'scores' }));
  const dir = fresh('layers');
  await saveModelFolder(model, dir);
  model.dispose();
  return dir;
}

/** model.json's manifest pointing at `shardPath` instead of the shard beside it. */
function pointShardAt(dir: string, shardPath: string): void {
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  json.weightsManifest[0].paths = [shardPath];
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
}

/** The zoo's resnet with `edit` applied to its decoded protobuf. */
function editedResnet(edit: (model: ReturnType<typeof onnx.ModelProto.decode>) => void): Uint8Array {
  const model = onnx.ModelProto.decode(resnetBytes);
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

function onnxFolder(bytes: Uint8Array, fileName = 'model.onnx'): string {
  const dir = fresh('onnx');
  writeFileSync(path.join(dir, fileName), bytes);
  return dir;
}

const mkfifo = (file: string) => execFileSync('mkfifo', [file]);

beforeAll(async () => {
  await selectBackend('cpu');
  root = mkdtempSync(path.join(os.tmpdir(), 'sightline-model-folder-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('every file is read from inside the model folder', () => {
  it('refuses a weight shard named ../x or by an absolute path', async () => {
    const dir = await layersFolder();
    copyFileSync(path.join(dir, SHARD_NAME), path.join(root, 'outside.bin'));
    pointShardAt(dir, '../outside.bin');
    expect(() => readModelFolder(dir)).toThrow(`Weight shard ../outside.bin named in model.json's weightsManifest is outside the model folder ${dir}`);
    pointShardAt(dir, path.join(root, 'outside.bin'));
    expect(() => readModelFolder(dir)).toThrow(/Weight shard .*outside.bin named in model.json's weightsManifest is outside the model folder/);
  });

  it.runIf(posix)('refuses a symlink that leads out of the folder, and follows one that stays inside', async () => {
    const dir = await layersFolder();
    copyFileSync(path.join(dir, SHARD_NAME), path.join(root, 'elsewhere.bin'));
    symlinkSync(path.join(root, 'elsewhere.bin'), path.join(dir, 'linked.bin'));
    pointShardAt(dir, 'linked.bin');
    expect(() => readModelFolder(dir)).toThrow(
      `Weight shard linked.bin named in model.json's weightsManifest is a link to ${path.join(root, 'elsewhere.bin')}, outside the model folder ${dir}`,
    );
    mkdirSync(path.join(dir, 'weights'));
    copyFileSync(path.join(root, 'elsewhere.bin'), path.join(dir, 'weights', 'real.bin'));
    symlinkSync(path.join('weights', 'real.bin'), path.join(dir, 'inside.bin'));
    pointShardAt(dir, 'inside.bin');
    expect(readModelFolder(dir).artifacts.weightData).toBeInstanceOf(ArrayBuffer);
  });

  it.runIf(posix)('refuses labels and settings outside the folder: ../x in sightline.json, links out', async () => {
    const dir = await layersFolder();
    writeFileSync(path.join(root, 'stolen.txt'), 'a\nb\nc\n');
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ labels: '../stolen.txt' }));
    expect(() => readModelFolder(dir)).toThrow(`sightline.json in ${dir} names labels file ../stolen.txt, which is outside the model folder ${dir}`);
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ labels: '/etc/hostname' }));
    expect(() => readModelFolder(dir)).toThrow(/names labels file \/etc\/hostname, which is outside the model folder/);
    rmSync(path.join(dir, 'sightline.json'));
    symlinkSync(path.join(root, 'stolen.txt'), path.join(dir, 'labels.txt'));
    expect(() => readModelFolder(dir)).toThrow(`labels.txt in ${dir} is a link to ${path.join(root, 'stolen.txt')}, outside the model folder`);
    rmSync(path.join(dir, 'labels.txt'));
    writeFileSync(path.join(root, 'settings.json'), '{}');
    symlinkSync(path.join(root, 'settings.json'), path.join(dir, 'sightline.json'));
    expect(() => readModelFolder(dir)).toThrow(`sightline.json in ${dir} is a link to ${path.join(root, 'settings.json')}, outside the model folder`);
  });

  it.runIf(posix)('refuses model.onnx linked from elsewhere, and reads a folder that is itself a link', () => {
    const dir = fresh('onnx-link');
    writeFileSync(path.join(root, 'shared.onnx'), resnetBytes);
    symlinkSync(path.join(root, 'shared.onnx'), path.join(dir, 'model.onnx'));
    expect(() => readAnyModelFolder(dir)).toThrow(`model.onnx in ${dir} is a link to ${path.join(root, 'shared.onnx')}, outside the model folder ${dir}`);
    const linkedFolder = path.join(root, 'linked-resnet');
    symlinkSync(onnxFolder(resnetBytes), linkedFolder);
    expect(readAnyModelFolder(linkedFolder)).toMatchObject({ format: 'onnx', dir: linkedFolder, name: 'linked-resnet' });
  });
});

describe('only regular files are read, without ever blocking', () => {
  it.runIf(posix)('refuses a FIFO as model.onnx, shard, labels or sightline.json, and as the model file itself', async () => {
    const onnxDir = fresh('fifo');
    mkfifo(path.join(onnxDir, 'model.onnx'));
    expect(() => readAnyModelFolder(onnxDir)).toThrow(`model.onnx in ${onnxDir} is a FIFO (named pipe), not a regular file`);
    expect(() => readAnyModelFolder(path.join(onnxDir, 'model.onnx'))).toThrow(/model.onnx in .* is a FIFO \(named pipe\), not a regular file/);

    const dir = await layersFolder();
    rmSync(path.join(dir, SHARD_NAME));
    mkfifo(path.join(dir, SHARD_NAME));
    expect(() => readModelFolder(dir)).toThrow(`Weight shard ${SHARD_NAME} named in model.json's weightsManifest is a FIFO (named pipe), not a regular file`);
    const labelled = await layersFolder();
    mkfifo(path.join(labelled, 'labels.txt'));
    expect(() => readModelFolder(labelled)).toThrow(`labels.txt in ${labelled} is a FIFO (named pipe), not a regular file`);
    const configured = await layersFolder();
    mkfifo(path.join(configured, 'sightline.json'));
    expect(() => readModelFolder(configured)).toThrow(`sightline.json in ${configured} is a FIFO (named pipe), not a regular file`);
  });

  it.runIf(posix)('refuses /dev/zero behind a symlink', async () => {
    const dir = await layersFolder();
    rmSync(path.join(dir, SHARD_NAME));
    symlinkSync('/dev/zero', path.join(dir, SHARD_NAME));
    expect(() => readModelFolder(dir)).toThrow(/is a link to \/dev\/zero, outside the model folder/);
  });

  it('refuses a folder named model.onnx or model.json', () => {
    const dir = fresh('folder-named');
    mkdirSync(path.join(dir, 'model.onnx'));
    expect(() => readAnyModelFolder(dir)).toThrow(`model.onnx in ${dir} is a folder, not a regular file`);
    const other = fresh('folder-named');
    mkdirSync(path.join(other, 'model.json'));
    expect(() => readAnyModelFolder(other)).toThrow(`model.json in ${other} is a folder, not a regular file`);
  });
});

describe('sizes are checked before a byte is read', () => {
  // Sparse files: as big as their size says, without the bytes on disk; reading one would take seconds.
  it('refuses a model.onnx over the model limit', () => {
    const dir = fresh('huge');
    writeFileSync(path.join(dir, 'model.onnx'), '');
    truncateSync(path.join(dir, 'model.onnx'), MAX_MODEL_BYTES + 1);
    expect(() => readAnyModelFolder(dir)).toThrow(`model.onnx in ${dir} is 2 GiB (${MAX_MODEL_BYTES + 1} bytes); Sightline reads at most 2 GiB (${MAX_MODEL_BYTES} bytes)`);
  });

  it('refuses weight shards that are too big together, before reading any of them', async () => {
    const dir = await layersFolder();
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    json.weightsManifest[0].paths = ['a.bin', 'b.bin'];
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    for (const shard of ['a.bin', 'b.bin']) {
      writeFileSync(path.join(dir, shard), '');
      truncateSync(path.join(dir, shard), 1.5 * 1024 ** 3);
    }
    expect(() => readModelFolder(dir)).toThrow(`The weight shards in ${dir} are 3 GiB together; Sightline reads models up to 2 GiB`);
  });

  it('refuses a model.json, sightline.json or labels file over its limit', async () => {
    const dir = await layersFolder();
    truncateSync(path.join(dir, 'model.json'), MAX_MODEL_JSON_BYTES + 1);
    expect(() => readModelFolder(dir)).toThrow(`model.json in ${dir} is 32 MiB (${MAX_MODEL_JSON_BYTES + 1} bytes); Sightline reads at most 32 MiB`);
    const configured = await layersFolder();
    writeFileSync(path.join(configured, 'sightline.json'), '{}');
    truncateSync(path.join(configured, 'sightline.json'), MAX_SETTINGS_BYTES + 1);
    expect(() => readModelFolder(configured)).toThrow(`sightline.json in ${configured} is 4 MiB (${MAX_SETTINGS_BYTES + 1} bytes); Sightline reads at most 4 MiB`);
    const labelled = await layersFolder();
    writeFileSync(path.join(labelled, 'names.txt'), 'cat\n');
    truncateSync(path.join(labelled, 'names.txt'), 5 * 1024 ** 2);
    writeFileSync(path.join(labelled, 'sightline.json'), JSON.stringify({ labels: 'names.txt' }));
    expect(() => readModelFolder(labelled)).toThrow(`sightline.json in ${labelled} names labels file names.txt, which is 5 MiB (${5 * 1024 ** 2} bytes); Sightline reads at most 4 MiB`);
  });
});

describe('input sizes are bounded', () => {
  it(`refuses an inputSize in sightline.json outside ${MIN_INPUT_SIZE}‥${MAX_INPUT_SIZE}`, async () => {
    const dir = await layersFolder();
    for (const inputSize of [4, 4096, 22.5, '224']) {
      writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ inputSize }));
      expect(() => readModelFolder(dir)).toThrow(`sightline.json in ${dir}: "inputSize" ${JSON.stringify(inputSize)} does not fit`);
    }
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ inputSize: 4096 }));
    expect(() => readModelFolder(dir)).toThrow(/Sightline feeds square images from 8 to 2048 pixels on a side, not 4096/);
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ inputSize: MAX_INPUT_SIZE }));
    expect(readModelFolder(dir).settings.inputSize).toBe(MAX_INPUT_SIZE);
  });

  it('refuses a channels-last ONNX model whose fixed input is too large, naming its sides', () => {
    const dir = onnxFolder(
      editedResnet((model) => {
        const dims = model.graph!.input![0].type!.tensorType!.shape!.dim!;
        [dims[1].dimValue, dims[2].dimValue, dims[3].dimValue] = [4096, 4096, 3];
      }),
    );
    expect(() => readAnyModelFolder(dir)).toThrow(
      `model.onnx in ${dir} is not a usable ONNX model: its input input takes 4096 × 4096 images; Sightline feeds square images from 8 to 2048 pixels on a side, not 4096`,
    );
  });

  it('refuses an ONNX model whose fixed input is too small or too large', () => {
    for (const side of [4, 4096]) {
      const dir = onnxFolder(
        editedResnet((model) => {
          const dims = model.graph!.input![0].type!.tensorType!.shape!.dim!;
          dims[2].dimValue = side;
          dims[3].dimValue = side;
        }),
      );
      expect(() => readAnyModelFolder(dir)).toThrow(
        `model.onnx in ${dir} is not a usable ONNX model: its input input takes ${side} × ${side} images; Sightline feeds square images from 8 to 2048 pixels on a side, not ${side}`,
      );
    }
  });

  it('refuses a TF.js layers or graph model whose fixed input is too small', async () => {
    const dir = await layersFolder(6);
    await expect(loadModel(dir)).rejects.toThrow(`The model in ${dir} takes [any, 6, 6, 3] images; Sightline feeds square images from 8 to 2048 pixels on a side, not 6`);
    const model = await tfl.loadLayersModel({ load: async () => readModelFolder(dir).artifacts });
    const graphDir = path.join(root, 'graph-6');
    writeGraphModelFolder(model, graphDir);
    model.dispose();
    await expect(loadGraphRuntime(readModelFolder(graphDir))).rejects.toThrow(
      `The graph model in ${graphDir} takes 6 × 6 images; Sightline feeds square images from 8 to 2048 pixels on a side, not 6`,
    );
  });
});

describe('ONNX weights in external data files', () => {
  it('are refused with how to export the weights inside the file', () => {
    const dir = onnxFolder(
      editedResnet((model) => {
        for (const tensor of model.graph!.initializer!.slice(0, 5)) {
          tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
          tensor.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: '../weights.bin' })];
          tensor.rawData = new Uint8Array(0);
        }
      }),
    );
    const names = onnx.ModelProto.decode(resnetBytes).graph!.initializer!.slice(0, 3).map((tensor) => tensor.name);
    expect(() => readAnyModelFolder(dir)).toThrow(
      `model.onnx in ${dir} is not a usable ONNX model: it keeps the weights of ${names.join(', ')} and 2 more in external data files ` +
        `(data_location EXTERNAL), and Sightline reads weights only from inside the .onnx file: export it again with ` +
        `torch.onnx.export(..., external_data=False), or save it with onnx.save(model, path, save_as_external_data=False)`,
    );
  });
});

describe('a model named by its file', () => {
  it('reads model.onnx given as a file with its folder’s settings and labels', () => {
    const folder = readAnyModelFolder(path.join(zooResnet, 'model.onnx'));
    expect(folder).toMatchObject({ format: 'onnx', dir: zooResnet, name: 'zoo resnet (random weights)', settings: { inputSize: 224 } });
    expect(folder.labels).toHaveLength(10);
  });

  it('reads labels.json as PyTorch dumps a class mapping: idx_to_class or ImageFolder’s class_to_idx', () => {
    const names = Array.from({ length: 10 }, (_, i) => `kind ${i}`);
    const dir = onnxFolder(resnetBytes);
    const order = [3, 0, 9, 1, 8, 2, 7, 4, 6, 5]; // JSON objects need not list the classes in order
    writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(Object.fromEntries(order.map((i) => [String(i), names[i]]))));
    expect(readAnyModelFolder(dir).labels).toEqual(names);
    writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(Object.fromEntries(order.map((i) => [names[i], i]))));
    expect(readAnyModelFolder(dir).labels).toEqual(names);
    writeFileSync(path.join(dir, 'labels.json'), JSON.stringify({ 0: 'cat', 2: 'dog' }));
    expect(() => readAnyModelFolder(dir)).toThrow(`labels.json in ${dir} maps its classes to the indices 0, 2; they must be 0 to 1, each once`);
    writeFileSync(path.join(dir, 'labels.json'), JSON.stringify({ cat: 'feline' }));
    expect(() => readAnyModelFolder(dir)).toThrow(`labels.json in ${dir} must hold an array of class names, or a mapping of each class index to its name`);
  });

  it('names any other .onnx file after itself, and an engine runs it', async () => {
    const dir = onnxFolder(resnetBytes, 'My Resnet.onnx');
    writeFileSync(path.join(dir, 'labels.txt'), Array.from({ length: 10 }, (_, i) => `kind ${i}`).join('\n'));
    const file = path.join(dir, 'My Resnet.onnx');
    expect(readAnyModelFolder(file)).toMatchObject({ format: 'onnx', name: 'My Resnet', file });
    const engine = await LocalEngine.create({ modelDir: file, backend: 'cpu', onnxCacheDir: path.join(root, 'onnx-cache') });
    try {
      expect(engine.model).toMatchObject({ name: 'My Resnet', inputSize: 224, labels: expect.arrayContaining(['kind 0', 'kind 9']) });
    } finally {
      await engine.dispose();
    }
  });

  it('refuses a file of a kind it does not read, and loadModel refuses an ONNX file', async () => {
    const dir = fresh('other');
    writeFileSync(path.join(dir, 'weights.pt'), 'not read');
    expect(() => readAnyModelFolder(path.join(dir, 'weights.pt'))).toThrow(`${path.join(dir, 'weights.pt')} is not a model file Sightline reads: choose an .onnx`);
    await expect(loadModel(path.join(zooResnet, 'model.onnx'))).rejects.toThrow(
      `${path.join(zooResnet, 'model.onnx')} is an ONNX model; loadModel reads TF.js layers models`,
    );
  });

  it('says a missing path does not exist', () => {
    expect(() => readAnyModelFolder(path.join(root, 'nothing.onnx'))).toThrow(/Model folder .*nothing.onnx does not exist/);
  });
});
