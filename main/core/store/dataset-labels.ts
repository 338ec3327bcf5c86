// A dataset's ground-truth setting (DatasetLabelSource) and where its images' labels came from. Changing the
// setting relabels the images in the library, with each model's class for each image; predictions, maps and
// reviews stay as they are.
import type { DatasetLabelSource, LabelLevel } from '../../../common/types';
import type { ModelTruth } from '../base/scan-diff';
import type { Db } from './database';
import { truthWriter } from './image-truth';

export function serialiseLabelSource(source: DatasetLabelSource): string {
  return typeof source === 'string' ? source : JSON.stringify({ level: source.level });
}

export function parseLabelSource(stored: string): DatasetLabelSource {
  if (stored === 'none') return 'none';
  try {
    const level = stored.startsWith('{') ? (JSON.parse(stored) as { level?: unknown }).level : null;
    if (typeof level === 'number' && Number.isInteger(level) && level >= 1) return { level };
  } catch {
    // Not written by serialiseLabelSource: the default.
  }
  return 'auto';
}

export class DatasetLabels {
  constructor(private readonly db: Db) {}

  source(datasetId: number): DatasetLabelSource {
    const stored = this.db.prepare('SELECT label_source FROM datasets WHERE id = ?').pluck().get(datasetId) as string | undefined;
    return parseLabelSource(stored ?? 'auto');
  }

  /** The folder levels that labelled the dataset's live images, shallowest first, each with one folder's name. */
  levels(datasetId: number): LabelLevel[] {
    const rows = this.db
      .prepare(
        `SELECT true_level AS level, COUNT(*) AS count, MIN(rel_path) AS relPath FROM images
         WHERE dataset_id = ? AND removed_at IS NULL AND true_level IS NOT NULL GROUP BY true_level ORDER BY true_level`,
      )
      .all(datasetId) as { level: number; count: number; relPath: string }[];
    return rows.map(({ level, count, relPath }) => ({ level, count, example: relPath.split('/')[level - 1] ?? '' }));
  }

  /** The models with runs on the dataset, the one of its first run first. */
  modelsWithRuns(datasetId: number): number[] {
    return this.db
      .prepare('SELECT model_id FROM runs WHERE dataset_id = ? GROUP BY model_id ORDER BY MIN(id)')
      .pluck()
      .all(datasetId) as number[];
  }

  /**
   * Stores the setting and relabels every image of the dataset (removed ones too, should they come back) in one
   * transaction: each model gets its class for each image, and the image's label and level are the first model's
   * that finds one (as a scan leaves them: the first label found stays).
   */
  apply(datasetId: number, source: DatasetLabelSource, models: readonly ModelTruth[]): void {
    const images = this.db.prepare('SELECT id, rel_path AS relPath FROM images WHERE dataset_id = ?').all(datasetId) as { id: number; relPath: string }[];
    const setSource = this.db.prepare('UPDATE datasets SET label_source = ? WHERE id = ?');
    const relabel = this.db.prepare('UPDATE images SET true_label = ?, true_level = ? WHERE id = ?');
    const writeTruth = truthWriter(this.db);
    this.db.transaction(() => {
      setSource.run(serialiseLabelSource(source), datasetId);
      for (const image of images) {
        const truths = models.map(({ modelId, truthFor }) => ({ modelId, ...truthFor(image.relPath) }));
        const labelled = truths.find((truth) => truth.trueLabel !== null);
        relabel.run(labelled?.trueLabel ?? null, labelled?.trueLevel ?? null, image.id);
        for (const truth of truths) writeTruth(image.id, truth.modelId, truth.trueIndex);
      }
    })();
  }
}
