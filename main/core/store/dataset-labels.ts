// A dataset's ground-truth setting (DatasetLabelSource) and where its images' labels came from. Changing the
// setting relabels the images in the library; predictions, maps and reviews stay as they are.
import type { DatasetLabelSource, LabelLevel } from '../../../common/types';
import type { GroundTruth } from '../base/scan-diff';
import type { Db } from './database';

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

  /** Stores the setting and relabels every image of the dataset (removed ones too, should they come back) in one transaction. */
  apply(datasetId: number, source: DatasetLabelSource, truthFor: (relPath: string) => GroundTruth): void {
    const images = this.db.prepare('SELECT id, rel_path AS relPath FROM images WHERE dataset_id = ?').all(datasetId) as { id: number; relPath: string }[];
    const setSource = this.db.prepare('UPDATE datasets SET label_source = ? WHERE id = ?');
    const relabel = this.db.prepare('UPDATE images SET true_label = ?, true_index = ?, true_level = ? WHERE id = ?');
    this.db.transaction(() => {
      setSource.run(serialiseLabelSource(source), datasetId);
      for (const image of images) {
        const truth = truthFor(image.relPath);
        relabel.run(truth.trueLabel, truth.trueIndex, truth.trueLevel, image.id);
      }
    })();
  }
}
