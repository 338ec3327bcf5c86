import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipcChannel } from '../../common/calls';
import { labelsDialogOptions, modelDialogOptions, modelPathOf } from './dialogs';
import { bindIpc } from './ipc';

describe('the native model dialog', () => {
  it('picks files and folders on macOS, files elsewhere (a folder by its model file)', () => {
    expect(modelDialogOptions('darwin').properties).toEqual(['openFile', 'openDirectory']);
    for (const platform of ['linux', 'win32'] as const) expect(modelDialogOptions(platform).properties).toEqual(['openFile']);
    expect(modelDialogOptions('linux').filters?.[0].extensions).toEqual(['onnx', 'h5', 'keras', 'json']);
  });

  it("adds a folder's model.onnx or model.json as the folder, any other file as itself", () => {
    const zoo = path.join('/models', 'zoo', 'resnet');
    expect(modelPathOf(path.join(zoo, 'model.onnx'))).toBe(zoo);
    expect(modelPathOf(path.join('/models', 'mobilenet', 'Model.JSON'))).toBe(path.join('/models', 'mobilenet'));
    expect(modelPathOf('/models/finetuned.onnx')).toBe('/models/finetuned.onnx');
    expect(modelPathOf('/models/vgg16.h5')).toBe('/models/vgg16.h5');
    expect(modelPathOf('/models/resnet')).toBe('/models/resnet');
  });
});

describe('the native labels dialog', () => {
  it('picks one .json or .txt file', () => {
    const options = labelsDialogOptions();
    expect(options.properties).toEqual(['openFile']);
    expect(options.filters?.map((f) => f.extensions)).toEqual([['json', 'txt']]);
  });
});

describe('the native pickers over IPC', () => {
  // Stand-ins for Electron's ipcMain and event objects (its binary is not installed here), as in security.test.ts.
  const handlers = new Map<string, (event: unknown) => Promise<unknown>>();
  const opened: string[] = [];
  bindIpc({ handle: (channel: string, handler: never) => void handlers.set(channel, handler) } as never, {} as never, {
    pickFolder: async () => (opened.push('folder'), '/photos'),
    pickModel: async () => (opened.push('model'), '/models/resnet'),
    pickLabelsFile: async () => (opened.push('labels'), '/models/names.txt'),
  });
  const trusted = { senderFrame: { url: 'sightline-app://bundle/index.html', parent: null }, sender: {} };
  const foreign = { senderFrame: { url: 'https://evil.example/', parent: null }, sender: {} };

  it("opens a dialog only for the app's main frame", async () => {
    const pickModel = handlers.get(ipcChannel('pickModel'))!;
    await expect(pickModel(foreign)).rejects.toThrow(/Refused pickModel: the sender is not the app's main frame/);
    await expect(handlers.get(ipcChannel('pickFolder'))!(foreign)).rejects.toThrow(/Refused pickFolder/);
    await expect(handlers.get(ipcChannel('pickLabelsFile'))!(foreign)).rejects.toThrow(/Refused pickLabelsFile/);
    expect(opened).toEqual([]);
    await expect(pickModel(trusted)).resolves.toBe('/models/resnet');
    await expect(handlers.get(ipcChannel('pickFolder'))!(trusted)).resolves.toBe('/photos');
    await expect(handlers.get(ipcChannel('pickLabelsFile'))!(trusted)).resolves.toBe('/models/names.txt');
    expect(opened).toEqual(['model', 'folder', 'labels']);
  });
});
