// The folder browser on real folders: counts, limits, hidden entries, models, `~` and every user mistake.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../common/errors';
import { browse } from './browse';
import { LABELS_FILE_MAX_BYTES } from './models/setup';

const home = mkdtempSync(path.join(os.tmpdir(), 'sightline-browse-'));

function file(relPath: string, content: string | Buffer = 'x'): void {
  mkdirSync(path.dirname(path.join(home, relPath)), { recursive: true });
  writeFileSync(path.join(home, relPath), content);
}

beforeAll(() => {
  file('photos/a.jpg');
  file('photos/B.PNG');
  file('photos/notes.txt');
  file('photos/2024/c.webp');
  file('photos/.thumbs/d.jpg');
  file('photos/.e.jpg');
  file('empty/readme.md');
  file('.hidden/x.jpg');
  file('big/' + 'f'.repeat(3) + '/1.jpg');
  for (let i = 0; i < 50; i++) file(`big/many/${i}.jpg`);
  file('models/resnet/model.onnx');
  file('models/tfjs-layers/model.json', '{"modelTopology":{"class_name":"Model","config":{}},"format":"layers-model"}');
  file('models/tfjs-graph/model.json', '{"format":"graph-model","generatedBy":"2.9","modelTopology":{"node":[]}}');
  file('models/old-graph/model.json', '{"modelTopology":{"node":[{"name":"x"}]}}');
  file('models/vgg.h5');
  file('models/net.keras');
  file('models/labels.txt');
  file('models/plain/readme.md');
  file('labels/names.txt', 'cat\ndog\n');
  file('labels/classes.JSON', '["cat", "dog"]');
  file('labels/.hidden.txt', 'cat\ndog\n');
  file('labels/huge.txt', Buffer.alloc(LABELS_FILE_MAX_BYTES + 1, 'a'));
  file('labels/photo.jpg');
  file('labels/model.onnx');
  file('labels/more/labels.json', '[]');
  file('labels/.cache/labels.txt', 'x');
  symlinkSync(path.join(home, 'photos'), path.join(home, 'linked'));
  file('a-file.jpg');
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('browse', () => {
  it('lists the home folder by default: subfolders with their photo count, hidden ones and files left out', async () => {
    const result = await browse({}, { home });
    expect(result).toMatchObject({ path: home, parent: path.dirname(home), home, recent: [] });
    expect(result.entries.map((e) => [e.name, e.kind, e.photoCount, e.photoCountCapped ?? false])).toEqual([
      ['big', 'folder', 51, false],
      ['empty', 'folder', 0, false],
      ['labels', 'folder', 1, false],
      ['linked', 'folder', 3, false],
      ['models', 'folder', 0, false],
      ['photos', 'folder', 3, false],
    ]);
    expect(result.entries.find((e) => e.name === 'photos')?.path).toBe(path.join(home, 'photos'));
  });

  it('expands ~ and ~/… to the home folder, and stops counting at the file limit or the time limit', async () => {
    expect((await browse({ path: '~' }, { home })).path).toBe(home);
    const big = await browse({ path: '~/big' }, { home, fileLimit: 10 });
    expect(big.path).toBe(path.join(home, 'big'));
    expect(big.entries.find((e) => e.name === 'many')).toMatchObject({ photoCount: 10, photoCountCapped: true });
    const late = await browse({ path: '~' }, { home, timeLimitMs: -1 });
    expect(late.entries.every((e) => e.photoCountCapped === true && e.photoCount === 0)).toBe(true);
  });

  it('marks model folders (ONNX, TF.js graph or layers) and model files when asked for models', async () => {
    const { entries } = await browse({ path: path.join(home, 'models'), show: 'models' }, { home });
    expect(entries.map((e) => [e.name, e.kind, e.model ?? null])).toEqual([
      ['net.keras', 'file', 'keras-v3'],
      ['old-graph', 'folder', 'tfjs-graph'],
      ['plain', 'folder', null],
      ['resnet', 'folder', 'onnx'],
      ['tfjs-graph', 'folder', 'tfjs-graph'],
      ['tfjs-layers', 'folder', 'tfjs-layers'],
      ['vgg.h5', 'file', 'keras-h5'],
    ]);
    expect(entries.some((e) => e.photoCount !== undefined)).toBe(false);
  });

  it('lists folders and the .json and .txt files small enough to be labels when asked for labels files', async () => {
    const { entries } = await browse({ path: path.join(home, 'labels'), show: 'labels' }, { home });
    expect(entries).toEqual([
      { name: 'classes.JSON', path: path.join(home, 'labels', 'classes.JSON'), kind: 'file', bytes: 14 },
      { name: 'more', path: path.join(home, 'labels', 'more'), kind: 'folder' },
      { name: 'names.txt', path: path.join(home, 'labels', 'names.txt'), kind: 'file', bytes: 8 },
    ]);
    // Model files are no labels, and a labels file is no model.
    const inModels = (await browse({ path: path.join(home, 'models'), show: 'labels' }, { home })).entries;
    expect(inModels.filter((e) => e.kind === 'file').map((e) => e.name)).toEqual(['labels.txt']);
    expect((await browse({ path: path.join(home, 'labels'), show: 'models' }, { home })).entries.map((e) => e.name)).toEqual(['model.onnx', 'more']);
  });

  it('keeps the recent folders that still exist, newest first, once each', async () => {
    const gone = path.join(home, 'gone');
    const { recent } = await browse({}, { home, recent: [path.join(home, 'photos'), gone, path.join(home, 'big'), path.join(home, 'photos')] });
    expect(recent).toEqual([path.join(home, 'photos'), path.join(home, 'big')]);
  });

  it('has no parent at the file system root', async () => {
    expect((await browse({ path: path.parse(home).root }, { home, timeLimitMs: 0 })).parent).toBeNull();
  });

  it('answers each user mistake with a UserError that says what is wrong', async () => {
    const mistake = async (request: Parameters<typeof browse>[0]) => {
      const error = await browse(request, { home }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(UserError);
      return { status: (error as UserError).status, message: (error as UserError).message };
    };
    expect(await mistake({ path: path.join(home, 'nope') })).toEqual({ status: 404, message: `There is no folder ${path.join(home, 'nope')}` });
    expect(await mistake({ path: '~/a-file.jpg' })).toEqual({ status: 400, message: `${path.join(home, 'a-file.jpg')} is a file, not a folder` });
    expect(await mistake({ path: 'photos' })).toMatchObject({ status: 400, message: expect.stringMatching(/^photos is a relative path: give a full path/) });
    expect(await mistake({ path: '~/a-file.jpg/below' })).toMatchObject({ status: 404 });
  });
});
