// A run's results per image (status, size, predictions, maps, thumbnail), written one mini-batch at a time.
import type { EngineHeatmap } from '../base/engine-heatmap';
import { prepared, type Db } from './database';
import { heatmapToBlob } from './heatmap-blob';

export type ImageResult =
  | {
      imageId: number;
      ok: true;
      contentHash: string;
      width: number;
      height: number;
      thumbnail: Buffer;
      top: { index: number; prob: number }[];
      heatmaps: EngineHeatmap[];
    }
  /** Same bytes as `twinId`, which already has this run's results: they are copied, not recomputed. */
  | { imageId: number; ok: true; contentHash: string; twinId: number }
  | { imageId: number; ok: false; error: string; contentHash: string | null };

/** Writes one mini-batch of results in a single transaction; analysis/image-metrics.ts adds their metrics. */
export function writeResults(db: Db, runId: number, results: readonly ImageResult[]): void {
  const markDone = prepared(db, "UPDATE images SET content_hash = ?, width = ?, height = ?, status = 'done', error = NULL WHERE id = ?");
  const markError = prepared(db, "UPDATE images SET content_hash = ?, status = 'error', error = ? WHERE id = ?");
  const dropPredictions = prepared(db, 'DELETE FROM predictions WHERE run_id = ? AND image_id = ?');
  const dropHeatmaps = prepared(db, 'DELETE FROM heatmaps WHERE run_id = ? AND image_id = ?');
  const insertPrediction = prepared(db, 'INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (?, ?, ?, ?, ?)');
  const insertHeatmap = prepared(
    db,
    'INSERT INTO heatmaps (run_id, image_id, class_index, h, w, scale, "values") VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const putThumbnail = prepared(db, 'INSERT OR REPLACE INTO thumbnails (image_id, jpeg) VALUES (?, ?)');
  const copyImage = prepared(
    db,
    `UPDATE images SET content_hash = ?, status = 'done', error = NULL,
       width = (SELECT width FROM images WHERE id = ?), height = (SELECT height FROM images WHERE id = ?) WHERE id = ?`,
  );
  const copyPredictions = prepared(
    db,
    `INSERT INTO predictions (run_id, image_id, rank, class_index, prob)
     SELECT run_id, ?, rank, class_index, prob FROM predictions WHERE run_id = ? AND image_id = ?`,
  );
  const copyHeatmaps = prepared(
    db,
    `INSERT INTO heatmaps (run_id, image_id, class_index, h, w, scale, "values")
     SELECT run_id, ?, class_index, h, w, scale, "values" FROM heatmaps WHERE run_id = ? AND image_id = ?`,
  );
  const copyThumbnail = prepared(db, 'INSERT OR REPLACE INTO thumbnails (image_id, jpeg) SELECT ?, jpeg FROM thumbnails WHERE image_id = ?');
  db.transaction(() => {
    for (const r of results) {
      dropPredictions.run(runId, r.imageId);
      dropHeatmaps.run(runId, r.imageId);
      if (!r.ok) {
        markError.run(r.contentHash, r.error, r.imageId);
      } else if ('twinId' in r) {
        copyImage.run(r.contentHash, r.twinId, r.twinId, r.imageId);
        copyPredictions.run(r.imageId, runId, r.twinId);
        copyHeatmaps.run(r.imageId, runId, r.twinId);
        copyThumbnail.run(r.imageId, r.twinId);
      } else {
        markDone.run(r.contentHash, r.width, r.height, r.imageId);
        putThumbnail.run(r.imageId, r.thumbnail);
        r.top.forEach((t, rank) => insertPrediction.run(runId, r.imageId, rank, t.index, t.prob));
        for (const h of r.heatmaps) {
          insertHeatmap.run(runId, r.imageId, h.classIndex, h.h, h.w, h.scale, heatmapToBlob(h.values));
        }
      }
    }
  })();
}
