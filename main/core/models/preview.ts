// One photo through a model under a setup not yet saved: what the setup dialog shows before it is stored.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { CallOutputs } from '../../../common/contract';
import { UserError } from '../../../common/errors';
import type { CamMethod, ModelSetup } from '../../../common/types';
import type { Engine } from '../engine/types';
import { decodeImage } from '../scan/decode';
import { displayName } from '../scan/labels';
import { walkImages } from '../scan/walk';
import type { Store } from '../store/store';

const TOP_CLASSES = 5;

export type ModelPreview = CallOutputs['previewModel'];

/** The photo a preview uses: the image asked for, else the samples folder's first photo (its id when imported). */
export async function previewPhoto(store: Store, imageId: number | undefined, samplesDir: string): Promise<{ file: string; imageId: number | null }> {
  if (imageId !== undefined) {
    const file = store.imageFile(imageId);
    if (!file) throw new UserError(`No image with id ${imageId}`, 404);
    return { file, imageId };
  }
  const root = await realpath(samplesDir).catch(() => samplesDir);
  const [first] = await walkImages(root);
  if (!first) throw new Error(`No photo in ${samplesDir} to preview the model on`);
  const file = path.join(root, first.relPath);
  const imported = store.datasetRecords().find((dataset) => dataset.rootPath === root);
  const known = imported ? store.listImages(imported.id, null).find((image) => image.relPath === first.relPath) : undefined;
  return { file, imageId: known?.id ?? null };
}

/**
 * The top classes and the top class's map at the setup's layer, from an engine started with that setup, and the
 * photo's thumbnail (made by the same decode) for the view to show it when the library has no copy.
 */
export async function previewOn(engine: Engine, file: string, setup: ModelSetup, method: CamMethod): Promise<Omit<ModelPreview, 'imageId'>> {
  const decoded = await decodeImage(file, engine.model.inputSize, setup.resize);
  const [result] = await engine.explain({ pixels: decoded.pixels, count: 1, topK: TOP_CLASSES, camTopK: 1, method, layer: setup.layer });
  const [map] = result.heatmaps;
  const { labels } = engine.model;
  return {
    photo: `data:image/jpeg;base64,${decoded.thumbnail.toString('base64')}`,
    top: result.top.map((score) => ({ index: score.index, prob: score.prob, label: displayName(labels[score.index] ?? `class ${score.index}`) })),
    heatmap: { h: map.h, w: map.w, scale: map.scale, values: Array.from(map.values), classIndex: map.classIndex },
    layer: setup.layer,
  };
}
