// A model's setup (common ModelSetup): what Sightline proposes when the model is added, how a change from the UI
// is checked, and the class names a setup gives.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CallInput } from '../../../common/contract';
import { UserError } from '../../../common/errors';
import type { CandidateLayer, ModelSetup } from '../../../common/types';
import { classList, labelName } from '../engine/model-folder';
import type { ModelInfo } from '../engine/types';

export type SetupChange = CallInput<'setModelSetup'>['setup'];

/** A labels file larger than this is not a list of class names. */
export const LABELS_FILE_MAX_BYTES = 4 * 1024 * 1024;
const IMAGENET_CLASSES = 1000;
/** The files a model folder's labels are read from when its sightline.json names none (as model-folder.ts). */
const FOLDER_LABEL_FILES = ['labels.json', 'labels.txt'];

/** The labels file the folder's sightline.json names, else labels.json or labels.txt when there is one. */
export function folderLabelsFile(dir: string, named: string | undefined): string | null {
  const found = (named ? [named] : FOLDER_LABEL_FILES).map((name) => path.join(dir, name)).find((file) => existsSync(file));
  return found ?? null;
}

/**
 * What Sightline proposes for a model the engine opened with its folder's settings alone: those settings (from
 * sightline.json, else the engine's detection), the folder's labels file, else ImageNet's names for 1000 classes,
 * else "class N", and the engine's default layer.
 */
export function proposeSetup(model: ModelInfo, labelsFile: string | null): ModelSetup {
  const labelSource = labelsFile ? 'file' : model.labels.length === IMAGENET_CLASSES ? 'imagenet' : 'numbered';
  return { preprocessing: model.preprocessing, resize: model.resizeMode, labelSource, labelsFile, layer: model.layer };
}

/** `setup` with `change` applied, after checking it fits the model. */
export function changeSetup(setup: ModelSetup, change: SetupChange, model: { candidateLayers: CandidateLayer[]; classCount: number }): ModelSetup {
  const next: ModelSetup = {
    ...setup,
    ...Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)),
  };
  if (next.labelsFile !== null) next.labelsFile = path.resolve(next.labelsFile);
  resolveLayer({ candidateLayers: model.candidateLayers, setup: next });
  if (next.labelSource === 'file' && next.labelsFile === null) throw new UserError('A labels file is needed when the labels come from a file');
  if (next.labelSource === 'imagenet' && model.classCount !== IMAGENET_CLASSES) {
    throw new UserError(`ImageNet's labels name 1000 classes, but the model has ${model.classCount} outputs`);
  }
  // Checked now, so that a wrong file is refused when it is chosen, not at the next run.
  setupLabels(next, model.classCount, null);
  return next;
}

/** The layer a run or a map uses: the one asked for, else the model's default, after checking that the model has it. */
export function resolveLayer(model: { candidateLayers: readonly CandidateLayer[]; setup: Pick<ModelSetup, 'layer'> }, requested?: string): string {
  const chosen = requested ?? model.setup.layer;
  if (!model.candidateLayers.some((layer) => layer.name === chosen)) {
    const names = model.candidateLayers.map((layer) => layer.name).join(', ');
    throw new UserError(`The model has no layer "${chosen}" with a spatial output; one of: ${names}`);
  }
  return chosen;
}

/** The class names under `setup`, one per model output; `imagenetFile` may be null where ImageNet's are not asked for. */
export function setupLabels(setup: ModelSetup, classCount: number, imagenetFile: string | null): string[] {
  switch (setup.labelSource) {
    case 'file':
      return readLabelsFile(setup.labelsFile ?? '', classCount);
    case 'imagenet': {
      if (imagenetFile === null) return [];
      return (JSON.parse(readFileSync(imagenetFile, 'utf8')) as unknown[]).map((entry) => labelName(entry, imagenetFile));
    }
    case 'numbered':
      return Array.from({ length: classCount }, (_, index) => `class ${index}`);
  }
}

/** A JSON list (of names, or of objects with a "name"), else one name per line; exactly `classCount` of them. */
export function readLabelsFile(file: string, classCount: number): string[] {
  const info = existsSync(file) ? statSync(file) : null;
  if (!info) throw new UserError(`The labels file ${file} does not exist`);
  if (!info.isFile()) throw new UserError(`The labels file ${file} is not a file`);
  if (info.size > LABELS_FILE_MAX_BYTES) {
    throw new UserError(`The labels file ${file} is ${info.size} bytes; a list of class names is at most ${LABELS_FILE_MAX_BYTES}`);
  }
  const text = readFileSync(file, 'utf8');
  const labels = looksLikeJson(file, text) ? jsonLabels(file, text) : text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  if (labels.length !== classCount) throw new UserError(`The labels file ${file} names ${labels.length} classes, but the model has ${classCount} outputs`);
  return labels;
}

function looksLikeJson(file: string, text: string): boolean {
  return file.toLowerCase().endsWith('.json') || text.trimStart().startsWith('[');
}

function jsonLabels(file: string, text: string): string[] {
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (error) {
    throw new UserError(`The labels file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return classList(entries, `The labels file ${file}`).map((entry) => labelName(entry, `The labels file ${file}`));
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}
