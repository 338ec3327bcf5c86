// The datasets: one row per imported folder, keyed by its path, with the counts the dataset list shows.
import path from 'node:path';
import type { DatasetSummary } from '../../../common/types';
import type { Db } from './database';

export interface DatasetRecord {
  id: number;
  name: string;
  rootPath: string;
}

/** What the dataset list counts of each dataset. */
export type DatasetCounts = Pick<DatasetSummary, 'imageCount' | 'doneCount' | 'errorCount' | 'countsPending'>;

/** A dataset as listed, without its counts and labels. */
export type DatasetListing = Pick<DatasetSummary, 'id' | 'name' | 'rootPath' | 'createdAt' | 'runId'>;

/** The dataset's counts (bound: dataset, run; a null run has no results). */
export const DATASET_COUNTS = `SELECT
  (SELECT COUNT(*) FROM images i WHERE i.dataset_id = @dataset AND i.removed_at IS NULL) AS imageCount,
  (SELECT COUNT(*) FROM predictions p JOIN images i ON i.id = p.image_id
     WHERE p.run_id = @run AND p.rank = 0 AND i.removed_at IS NULL) AS doneCount,
  (SELECT COUNT(*) FROM images i WHERE i.dataset_id = @dataset AND i.status = 'error' AND i.removed_at IS NULL) AS errorCount`;

export class Datasets {
  constructor(private readonly db: Db) {}

  /** The dataset of this folder, created on first use and named after it. */
  ensure(rootPath: string): DatasetRecord {
    this.db
      .prepare('INSERT INTO datasets (root_path, name) VALUES (?, ?) ON CONFLICT (root_path) DO NOTHING')
      .run(rootPath, path.basename(rootPath) || rootPath);
    return this.db
      .prepare('SELECT id, name, root_path AS rootPath FROM datasets WHERE root_path = ?')
      .get(rootPath) as DatasetRecord;
  }

  rename(id: number, name: string): void {
    this.db.prepare('UPDATE datasets SET name = ? WHERE id = ?').run(name, id);
  }

  /** Deletes the dataset's rows; its images, runs, results, reviews and tags go with them (ON DELETE CASCADE). */
  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id).changes > 0;
  }

  get(id: number): DatasetRecord | null {
    const row = this.db.prepare('SELECT id, name, root_path AS rootPath FROM datasets WHERE id = ?').get(id);
    return (row as DatasetRecord | undefined) ?? null;
  }

  /**
   * Every dataset with its latest run and counts. `known` gives a dataset's counts without SQL when it can (the
   * gallery's columns in memory): at a million photos the three counts take 0.5–4 s.
   */
  list(known: (datasetId: number, runId: number | null) => DatasetCounts | null = () => null): DatasetSummary[] {
    return this.records().map((row) => ({ ...row, ...(known(row.id, row.runId) ?? this.counts(row.id, row.runId)) }) as DatasetSummary);
  }

  /** Every dataset with its latest run, without the counts. */
  records(): DatasetListing[] {
    return this.db
      .prepare(
        `WITH latest AS (SELECT dataset_id, MAX(id) AS run_id FROM runs GROUP BY dataset_id)
         SELECT d.id, d.name, d.root_path AS rootPath, d.created_at AS createdAt, latest.run_id AS runId
         FROM datasets d LEFT JOIN latest ON latest.dataset_id = d.id
         ORDER BY d.id`,
      )
      .all() as DatasetListing[];
  }

  /** The dataset's live images, those with a top-1 result of the run, and those whose import failed. */
  counts(datasetId: number, runId: number | null): DatasetCounts {
    return this.db.prepare(DATASET_COUNTS).get({ dataset: datasetId, run: runId }) as DatasetCounts;
  }
}
