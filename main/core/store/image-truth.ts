// The class index of an image's ground truth under one model (image_truth): a folder names a class of one model
// and maybe none (or another) of the next, so each model keeps its own; a run reads its model's.
import type { Db } from './database';

/** Records the image's class under the model; null removes it (the model has no class for the folder). */
export type WriteTruth = (imageId: number, modelId: number, trueIndex: number | null) => void;

export function truthWriter(db: Db): WriteTruth {
  const put = db.prepare('INSERT OR REPLACE INTO image_truth (image_id, model_id, true_index) VALUES (?, ?, ?)');
  const drop = db.prepare('DELETE FROM image_truth WHERE image_id = ? AND model_id = ?');
  return (imageId, modelId, trueIndex) => {
    if (trueIndex === null) drop.run(imageId, modelId);
    else put.run(imageId, modelId, trueIndex);
  };
}

/** The join that gives `i.id`'s class index under the model of the run bound as `runParam`: `t.true_index`. */
export const truthOfRun = (runParam: string): string =>
  `LEFT JOIN image_truth t ON t.image_id = i.id AND t.model_id = (SELECT model_id FROM runs WHERE id = ${runParam})`;

/**
 * Whether some model has a class for `i.id` (an image_truth row): then `i.true_label`, the first label found, is a
 * model's class name, not the folder's own text. Computed only where the run's model has no class (`t.true_index`).
 */
export const HAS_CLASS = 'CASE WHEN t.true_index IS NULL THEN EXISTS (SELECT 1 FROM image_truth x WHERE x.image_id = i.id) END';

/**
 * The label of an image's ground truth in a run whose model has these class names (its stored names, the ones its
 * predictions show): the model's name for the image's class under it; else the image's own label where no model has a
 * class for it (free text: a folder's name under a setting that reads a folder level); else none, since the label
 * the image keeps is then another model's class name, which this run does not judge it by.
 */
export function labelInRun(labels: readonly string[], trueIndex: number | null, imageLabel: string | null, hasClass: boolean): string | null {
  if (trueIndex !== null) return labels[trueIndex] ?? `class ${trueIndex}`;
  return hasClass ? null : imageLabel;
}
