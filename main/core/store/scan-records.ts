// What the scans recorded of a dataset's files (path, size, mtime, hash, whether removed), and which of them a run
// still has to process.
import type { KnownFile, ScanEntry } from '../base/scan-diff';
import { prepared, type Db } from './database';
import { truthWriter } from './image-truth';

export interface PendingImage {
  id: number;
  relPath: string;
}

export class ScanRecords {
  constructor(private readonly db: Db) {}

  /** Every file earlier scans recorded for the dataset, by relative path. */
  knownFiles(datasetId: number): Map<string, KnownFile> {
    const rows = this.db
      .prepare('SELECT id, rel_path, size, mtime_ms, content_hash, removed_at FROM images WHERE dataset_id = ?')
      .all(datasetId) as { id: number; rel_path: string; size: number; mtime_ms: number; content_hash: string | null; removed_at: string | null }[];
    return new Map(
      rows.map((r) => [r.rel_path, { id: r.id, size: r.size, mtimeMs: r.mtime_ms, contentHash: r.content_hash, removed: r.removed_at !== null }]),
    );
  }

  /**
   * Records a rescan in one transaction. A changed file loses its results, thumbnail and hash so that it is
   * processed again; a removed file is hidden but keeps its results and review, and comes back if the file
   * does. A new file gets the label its folder names; a known one keeps the label and level it has (another
   * model that finds no class there, or another folder, changes nothing another run shows), else takes this
   * scan's. `modelId` is the model whose classes the entries' indices are: each file's index is recorded for it
   * (without a model, none is).
   */
  apply(datasetId: number, entries: readonly ScanEntry[], removedIds: readonly number[], modelId: number | null): void {
    const insert = this.db.prepare('INSERT INTO images (dataset_id, rel_path, size, mtime_ms, true_label, true_level) VALUES (?, ?, ?, ?, ?, ?)');
    // SET reads the row as it was: the level is taken only where the label is.
    const keep = this.db.prepare(
      `UPDATE images SET size = ?, mtime_ms = ?, true_level = IIF(true_label IS NULL, ?, true_level), true_label = COALESCE(true_label, ?),
         removed_at = NULL WHERE id = ?`,
    );
    const writeTruth = truthWriter(this.db);
    const reset = this.db.prepare(
      `UPDATE images SET content_hash = NULL, width = NULL, height = NULL, status = 'pending', error = NULL WHERE id = ?`,
    );
    const dropPredictions = this.db.prepare('DELETE FROM predictions WHERE image_id = ?');
    const dropHeatmaps = this.db.prepare('DELETE FROM heatmaps WHERE image_id = ?');
    const dropThumbnail = this.db.prepare('DELETE FROM thumbnails WHERE image_id = ?');
    const dropMetrics = this.db.prepare('DELETE FROM metrics WHERE image_id = ?');
    const remove = this.db.prepare(
      "UPDATE images SET removed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? AND removed_at IS NULL",
    );
    this.db.transaction(() => {
      for (const e of entries) {
        const trueLevel = e.trueLevel ?? null;
        const imageId = e.kind === 'added' ? Number(insert.run(datasetId, e.relPath, e.size, e.mtimeMs, e.trueLabel, trueLevel).lastInsertRowid) : e.id;
        if (modelId !== null) writeTruth(imageId, modelId, e.trueIndex);
        if (e.kind === 'added') continue;
        keep.run(e.size, e.mtimeMs, trueLevel, e.trueLabel, e.id);
        if (e.kind === 'changed') {
          reset.run(e.id);
          dropPredictions.run(e.id);
          dropHeatmaps.run(e.id);
          dropThumbnail.run(e.id);
          dropMetrics.run(e.id);
        }
      }
      for (const id of removedIds) remove.run(id);
    })();
  }

  /** An image of the dataset with these bytes that already has this run's results, if any. */
  twinWithResults(datasetId: number, runId: number, contentHash: string): number | null {
    const row = prepared(
      this.db,
      `SELECT i.id FROM images i JOIN predictions p ON p.image_id = i.id AND p.run_id = ? AND p.rank = 0
         WHERE i.dataset_id = ? AND i.content_hash = ? LIMIT 1`,
    ).get(runId, datasetId, contentHash) as { id: number } | undefined;
    return row?.id ?? null;
  }

  /** Images of the dataset that have no result in this run yet (errors are retried). */
  pendingImages(datasetId: number, runId: number): PendingImage[] {
    return this.db
      .prepare(
        `SELECT i.id, i.rel_path AS relPath FROM images i
         WHERE i.dataset_id = ? AND i.removed_at IS NULL AND NOT EXISTS
           (SELECT 1 FROM predictions p WHERE p.run_id = ? AND p.image_id = i.id AND p.rank = 0)
         ORDER BY i.rel_path`,
      )
      .all(datasetId, runId) as PendingImage[];
  }

  /** How many of the dataset's files are there now (not removed). */
  countLive(datasetId: number): number {
    const count = this.db.prepare('SELECT COUNT(*) AS n FROM images WHERE dataset_id = ? AND removed_at IS NULL');
    return (count.get(datasetId) as { n: number }).n;
  }
}
