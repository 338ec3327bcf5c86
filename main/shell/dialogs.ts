// What the native "Add a model" dialog offers, and what it hands back: a model is a folder (model.onnx or a TF.js
// model.json with its weights, sightline.json and labels beside it) or a single .onnx, .h5 or .keras file. And the
// Setup view's dialog for a labels file.
import path from 'node:path';
import type { OpenDialogOptions } from 'electron';

const MODEL_EXTENSIONS = ['onnx', 'h5', 'keras', 'json'];
/** Files that stand for their folder: the folder is the model, with its setup and labels. */
const FOLDER_MODEL_FILES = new Set(['model.onnx', 'model.json']);

/**
 * Windows' and Linux's dialogs pick files or folders, never both (asked for both they show a folder picker), so
 * there a model folder is chosen by its model file; macOS's dialog takes either.
 */
export function modelDialogOptions(platform: NodeJS.Platform): OpenDialogOptions {
  return {
    title: 'Add a model',
    buttonLabel: 'Add model',
    filters: [{ name: 'Models (model.onnx, model.json, .onnx, .h5, .keras)', extensions: MODEL_EXTENSIONS }],
    properties: platform === 'darwin' ? ['openFile', 'openDirectory'] : ['openFile'],
  };
}

/** A labels file: a JSON list or mapping, or one name per line (see readLabelsFile). */
export function labelsDialogOptions(): OpenDialogOptions {
  return {
    title: 'Choose a labels file',
    buttonLabel: 'Use these labels',
    filters: [{ name: 'Labels (JSON list or one name per line)', extensions: ['json', 'txt'] }],
    properties: ['openFile'],
  };
}

/** The path to add for what was picked: a folder's own model file means the folder. */
export function modelPathOf(picked: string): string {
  return FOLDER_MODEL_FILES.has(path.basename(picked).toLowerCase()) ? path.dirname(picked) : picked;
}
