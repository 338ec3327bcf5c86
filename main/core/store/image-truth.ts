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
