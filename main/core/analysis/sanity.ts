// Model-randomisation sanity check (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018, sec. 3.1):
// randomise the weights of the model's top layers, recompute maps for a sample of images and compare them with
// the trained model's maps. A faithful explanation depends on the weights, so the maps should change a lot;
// if they barely change, the maps show the input's structure rather than what the model learned.
// randomize-model.ts makes the randomised copy for each model format.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readAnyModelFolder } from '../engine/model-folder';
import { rankCorrelation, type MapGrid } from './metrics';
import { randomizeModel } from './randomize-model';

/** Above this mean rank correlation with the trained model's maps, the run gets a warning. */
export const SANITY_WARN_SIMILARITY = 0.5;

/**
 * Writes to `outDir` a copy of the model at `modelPath` (a folder or a model file, in any format the engine
 * reads) whose `topLayers` last weight-bearing layers have their weights permuted, with the same settings and
 * labels. Returns the names of the layers (TF.js) or nodes (graph model, ONNX) that were randomised.
 */
export async function writeRandomizedModel(modelPath: string, outDir: string, topLayers: number, seed = 7): Promise<string[]> {
  const folder = readAnyModelFolder(modelPath);
  const { files, layers } = randomizeModel(folder, topLayers, seed);
  await mkdir(outDir, { recursive: true });
  for (const file of files) await writeFile(path.join(outDir, file.name), file.bytes);
  // The labels go along as labels.json, whatever file they came from.
  const settings = { ...folder.settings, name: folder.name };
  delete settings.labels;
  await writeFile(path.join(outDir, 'sightline.json'), JSON.stringify(settings));
  if (folder.labels) await writeFile(path.join(outDir, 'labels.json'), JSON.stringify(folder.labels));
  return layers;
}

export interface SanityResult {
  randomizedLayers: string[];
  /** Mean Spearman rank correlation between trained and randomised maps (1 = unchanged). */
  similarity: number;
  warning: string | null;
}

export function summarizeSanity(trained: MapGrid[], randomized: MapGrid[], layers: string[]): SanityResult {
  const similarity = trained.reduce((sum, map, i) => sum + rankCorrelation(map, randomized[i]), 0) / Math.max(1, trained.length);
  return {
    randomizedLayers: layers,
    similarity,
    warning:
      similarity > SANITY_WARN_SIMILARITY
        ? `The maps barely change when the top layers (${layers.join(', ')}) are randomised (rank correlation ${similarity.toFixed(2)}): they may show image structure rather than what the model learned.`
        : null,
  };
}
