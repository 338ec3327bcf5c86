import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelDialogOptions, modelPathOf } from './dialogs';

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
