// A model's setup on its own: what is proposed for which folder, labels files in each accepted form, and the
// changes that are refused with the reason.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelSetup } from '../../../common/types';
import type { ModelInfo } from '../engine/types';
import { changeSetup, LABELS_FILE_MAX_BYTES, proposeSetup, readLabelsFile, resolveLayer } from './setup';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-setup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const file = (name: string, text: string | Buffer) => {
  const target = path.join(tmp, name);
  writeFileSync(target, text);
  return target;
};

const info = (classes: number): ModelInfo => ({
  name: 'm',
  hash: 'h',
  inputSize: 224,
  preprocessing: 'torch',
  resizeMode: 'letterbox',
  labels: Array.from({ length: classes }, (_, i) => `class ${i}`),
  layer: 'b',
  layerShape: [7, 7, 8],
  candidateLayers: [
    { name: 'a', shape: [14, 14, 4] },
    { name: 'b', shape: [7, 7, 8] },
  ],
});

describe('proposeSetup', () => {
  it("takes the folder's labels file, else ImageNet's names for 1000 classes, else numbered classes", () => {
    const labels = file('proposed.txt', 'x\ny\n');
    expect(proposeSetup(info(2), labels)).toEqual({ preprocessing: 'torch', resize: 'letterbox', labelSource: 'file', labelsFile: labels, layer: 'b' });
    expect(proposeSetup(info(1000), null).labelSource).toBe('imagenet');
    expect(proposeSetup(info(10), null)).toMatchObject({ labelSource: 'numbered', labelsFile: null });
  });
});

describe('readLabelsFile', () => {
  it('reads a JSON list of names or of { name }, and a text file of one name per line (blank lines and CRLF ignored)', () => {
    expect(readLabelsFile(file('names.json', '["cat", "dog"]'), 2)).toEqual(['cat', 'dog']);
    expect(readLabelsFile(file('objects.json', '[{"name": "cat", "id": 3}, {"name": "dog"}]'), 2)).toEqual(['cat', 'dog']);
    expect(readLabelsFile(file('list.labels', ' ["cat","dog"]'), 2)).toEqual(['cat', 'dog']);
    expect(readLabelsFile(file('lines.txt', 'cat\r\n\r\n dog \r\n'), 2)).toEqual(['cat', 'dog']);
  });

  it('reads a JSON mapping as PyTorch code dumps one: idx_to_class, or ImageFolder’s class_to_idx', () => {
    expect(readLabelsFile(file('idx_to_class.json', '{"1": "dog", "0": "cat"}'), 2)).toEqual(['cat', 'dog']);
    expect(readLabelsFile(file('class_to_idx.json', '{"dog": 1, "cat": 0}'), 2)).toEqual(['cat', 'dog']);
  });

  it('says what is wrong: missing, too large, not JSON, not a list, or another number of classes', () => {
    expect(() => readLabelsFile(path.join(tmp, 'absent.txt'), 2)).toThrow(/absent\.txt does not exist/);
    expect(() => readLabelsFile(tmp, 2)).toThrow(/is not a file/);
    expect(() => readLabelsFile(file('huge.txt', Buffer.alloc(LABELS_FILE_MAX_BYTES + 1, 97)), 1)).toThrow(/is \d+ bytes; a list of class names is at most/);
    expect(() => readLabelsFile(file('broken.json', '["cat",'), 2)).toThrow(/broken\.json is not valid JSON/);
    expect(() => readLabelsFile(file('object.json', '{"cat": "feline"}'), 2)).toThrow(/must hold an array of class names, or a mapping of each class index to its name/);
    expect(() => readLabelsFile(file('gap.json', '{"0": "cat", "2": "dog"}'), 2)).toThrow(/maps its classes to the indices 0, 2; they must be 0 to 1, each once/);
    expect(() => readLabelsFile(file('numbers.json', '[1, 2]'), 2)).toThrow(/every label must be a text or an object with a "name"/);
    expect(() => readLabelsFile(file('three.txt', 'a\nb\nc'), 2)).toThrow(/names 3 classes, but the model has 2 outputs/);
  });
});

describe('resolveLayer', () => {
  const model = { candidateLayers: [{ name: 'block4', shape: [14, 14, 256] as [number, number, number] }, { name: 'block5', shape: [7, 7, 512] as [number, number, number] }], setup: { layer: 'block5' } };

  it('takes the layer asked for, else the model default, and names the layers there are when it has no such layer', () => {
    expect(resolveLayer(model, 'block4')).toBe('block4');
    expect(resolveLayer(model)).toBe('block5');
    expect(() => resolveLayer(model, 'fc1')).toThrow('The model has no layer "fc1" with a spatial output; one of: block4, block5');
    expect(() => resolveLayer({ ...model, setup: { layer: 'gone' } })).toThrow(/no layer "gone"/);
  });
});

describe('changeSetup', () => {
  const setup: ModelSetup = { preprocessing: 'torch', resize: 'stretch', labelSource: 'numbered', labelsFile: null, layer: 'b' };
  const model = { candidateLayers: info(2).candidateLayers, classCount: 2 };

  it('changes only the fields given, with the labels file made absolute', () => {
    const labels = file('two.txt', 'cat\ndog\n');
    const relative = path.relative(process.cwd(), labels);
    expect(changeSetup(setup, { labelSource: 'file', labelsFile: relative, layer: 'a' }, model)).toEqual({
      ...setup,
      labelSource: 'file',
      labelsFile: labels,
      layer: 'a',
    });
    expect(changeSetup(setup, { resize: 'centre-crop' }, model)).toEqual({ ...setup, resize: 'centre-crop' });
  });

  it('refuses a layer the model lacks, a file source without a file, and ImageNet for another number of classes', () => {
    expect(() => changeSetup(setup, { layer: 'c' }, model)).toThrow(/no layer "c" with a spatial output; one of: a, b/);
    expect(() => changeSetup(setup, { labelSource: 'file' }, model)).toThrow(/A labels file is needed/);
    expect(() => changeSetup(setup, { labelSource: 'imagenet' }, model)).toThrow(/ImageNet's labels name 1000 classes, but the model has 2 outputs/);
  });
});
