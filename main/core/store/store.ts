// The typed face of the library database: every query the service and the jobs need.
import path from 'node:path';
import type { CamMethod, DatasetSummary, Heatmap, ImageRow, ImageStatus, JobState, RunInfo, Verdict } from '../../../common/types';
import type { EngineHeatmap } from '../base/engine-heatmap';
import type { KnownFile, ScanEntry } from '../base/scan-diff';
import { openDatabase, prepared, type Db } from './database';
import { blobToHeatmap, heatmapToBlob } from './heatmap-blob';
import { MetricsTable } from './metrics-table';
import { ShardTable } from './shard-table';
import { ModelsTable } from './models-table';
import { iterateExportRows, type ExportRow } from './export-rows';
import { truthWriter } from './image-truth';

export interface DatasetRecord {
  id: number;
  name: string;
  rootPath: string;
}

export interface ModelRecord {
  hash: string;
  name: string;
  dir: string;
  inputSize: number;
  /** Display names, indexed by class. */
  labels: string[];
}

export interface RunKey {
  datasetId: number;
  modelId: number;
  method: string;
  layer: string;
  /** Method options; part of the run's identity, so it must serialise deterministically. */
  options: Record<string, unknown>;
  backend: string;
}

export interface PendingImage {
  id: number;
  relPath: string;
}

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

interface ImageDbRow {
  id: number;
  dataset_id: number;
  rel_path: string;
  width: number | null;
  height: number | null;
  true_label: string | null;
  true_level: number | null;
  status: ImageStatus;
  error: string | null;
  verdict: Verdict | null;
  note: string | null;
  duplicate_of: number | null;
}

interface TruthDbRow {
  image_id: number;
  true_index: number;
}

interface PredictionDbRow {
  image_id: number;
  class_index: number;
  prob: number;
}

interface HeatmapDbRow {
  image_id: number;
  class_index: number;
  h: number;
  w: number;
  scale: number;
  values: Buffer;
}

interface RunDbRow {
  id: number;
  dataset_id: number;
  model_id: number;
  model_name: string;
  model_hash: string;
  method: CamMethod;
  layer: string;
  backend: string;
  state: JobState;
  created_at: string;
  options: string;
}

const IMAGE_COLUMNS = `i.id, i.dataset_id, i.rel_path, i.width, i.height, i.true_label, i.true_level, i.status, i.error,
  r.verdict, r.note,
  (SELECT MIN(j.id) FROM images j WHERE j.dataset_id = i.dataset_id AND j.content_hash = i.content_hash
     AND j.id < i.id AND j.removed_at IS NULL) AS duplicate_of`;

const RUN_SELECT = `SELECT r.id, r.dataset_id, r.model_id, m.name AS model_name, m.hash AS model_hash, r.method, r.layer, r.backend,
  r.state, r.created_at, r.options FROM runs r JOIN models m ON m.id = r.model_id`;

export class Store {
  private readonly db: Db;
  /** Attention metrics and suspicion per run and image. */
  readonly metrics: MetricsTable;
  /** The shard of a run this library computes, when it is one (issue 16). */
  readonly shards: ShardTable;
  /** The model registry (issue 13). */
  readonly models: ModelsTable;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.metrics = new MetricsTable(this.db);
    this.shards = new ShardTable(this.db);
    this.models = new ModelsTable(this.db);
  }

  close(): void {
    this.db.close();
  }

  ensureDataset(rootPath: string): DatasetRecord {
    this.db
      .prepare('INSERT INTO datasets (root_path, name) VALUES (?, ?) ON CONFLICT (root_path) DO NOTHING')
      .run(rootPath, path.basename(rootPath) || rootPath);
    return this.db
      .prepare('SELECT id, name, root_path AS rootPath FROM datasets WHERE root_path = ?')
      .get(rootPath) as DatasetRecord;
  }

  renameDataset(id: number, name: string): void {
    this.db.prepare('UPDATE datasets SET name = ? WHERE id = ?').run(name, id);
  }

  /** Deletes the dataset's rows; its images, runs, results, reviews and tags go with them (ON DELETE CASCADE). */
  removeDataset(id: number): boolean {
    return this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id).changes > 0;
  }

  getDataset(id: number): DatasetRecord | null {
    const row = this.db.prepare('SELECT id, name, root_path AS rootPath FROM datasets WHERE id = ?').get(id);
    return (row as DatasetRecord | undefined) ?? null;
  }

  listDatasets(): DatasetSummary[] {
    return this.db
      .prepare(
        `WITH latest AS (SELECT dataset_id, MAX(id) AS run_id FROM runs GROUP BY dataset_id)
         SELECT d.id, d.name, d.root_path AS rootPath, d.created_at AS createdAt,
           (SELECT COUNT(*) FROM images i WHERE i.dataset_id = d.id AND i.removed_at IS NULL) AS imageCount,
           (SELECT COUNT(*) FROM predictions p JOIN images i ON i.id = p.image_id
              WHERE p.run_id = latest.run_id AND p.rank = 0 AND i.removed_at IS NULL) AS doneCount,
           (SELECT COUNT(*) FROM images i
              WHERE i.dataset_id = d.id AND i.status = 'error' AND i.removed_at IS NULL) AS errorCount,
           latest.run_id AS runId
         FROM datasets d LEFT JOIN latest ON latest.dataset_id = d.id
         ORDER BY d.id`,
      )
      .all() as DatasetSummary[];
  }

  ensureModel(model: ModelRecord): number {
    this.db
      .prepare(
        `INSERT INTO models (hash, name, dir, input_size, labels) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO UPDATE SET name = excluded.name, dir = excluded.dir`,
      )
      .run(model.hash, model.name, model.dir, model.inputSize, JSON.stringify(model.labels));
    return (this.db.prepare('SELECT id FROM models WHERE hash = ?').get(model.hash) as { id: number }).id;
  }

  /** The run for this dataset × model × method × layer × options, created on first use. */
  ensureRun(key: RunKey): number {
    const options = JSON.stringify(key.options);
    this.db
      .prepare(
        `INSERT INTO runs (dataset_id, model_id, method, layer, options, backend, state) VALUES (?, ?, ?, ?, ?, ?, 'queued')
         ON CONFLICT (dataset_id, model_id, method, layer, options) DO UPDATE SET backend = excluded.backend`,
      )
      .run(key.datasetId, key.modelId, key.method, key.layer, options, key.backend);
    const row = this.db
      .prepare('SELECT id FROM runs WHERE dataset_id = ? AND model_id = ? AND method = ? AND layer = ? AND options = ?')
      .get(key.datasetId, key.modelId, key.method, key.layer, options) as { id: number };
    return row.id;
  }

  /**
   * Runs left 'queued' or 'running' by a process that is gone (killed, crashed). Runs owned by a live
   * process (another app sharing the data folder, or this one) are left alone. The results they wrote
   * stay, and importing the folder again resumes them.
   */
  markInterruptedRuns(): void {
    const open = this.db.prepare("SELECT id, owner_pid FROM runs WHERE state IN ('queued', 'running')").all() as {
      id: number;
      owner_pid: number | null;
    }[];
    const mark = this.db.prepare("UPDATE runs SET state = 'cancelled' WHERE id = ?");
    for (const run of open) if (run.owner_pid === null || !processAlive(run.owner_pid)) mark.run(run.id);
  }

  /** Records the run's state; a running run is owned by this process. */
  setRunState(runId: number, state: JobState): void {
    this.db.prepare('UPDATE runs SET state = ?, owner_pid = ? WHERE id = ?').run(state, state === 'running' ? process.pid : null, runId);
  }

  getRun(runId: number): RunInfo | null {
    const row = this.db.prepare(`${RUN_SELECT} WHERE r.id = ?`).get(runId) as RunDbRow | undefined;
    return row ? toRunInfo(row) : null;
  }

  listRuns(datasetId: number): RunInfo[] {
    const rows = this.db.prepare(`${RUN_SELECT} WHERE r.dataset_id = ? ORDER BY r.id`).all(datasetId) as RunDbRow[];
    return rows.map(toRunInfo);
  }

  latestRunId(datasetId: number): number | null {
    const row = this.db.prepare('SELECT MAX(id) AS id FROM runs WHERE dataset_id = ?').get(datasetId) as { id: number | null };
    return row.id;
  }

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
  applyScan(datasetId: number, entries: readonly ScanEntry[], removedIds: readonly number[], modelId: number | null = null): void {
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

  countImages(datasetId: number): number {
    const count = this.db.prepare('SELECT COUNT(*) AS n FROM images WHERE dataset_id = ? AND removed_at IS NULL');
    return (count.get(datasetId) as { n: number }).n;
  }

  /** Writes one mini-batch of results in a single transaction; analysis/image-metrics.ts adds their metrics. */
  writeResults(runId: number, results: readonly ImageResult[]): void {
    const markDone = prepared(
      this.db,
      "UPDATE images SET content_hash = ?, width = ?, height = ?, status = 'done', error = NULL WHERE id = ?",
    );
    const markError = prepared(this.db, "UPDATE images SET content_hash = ?, status = 'error', error = ? WHERE id = ?");
    const dropPredictions = prepared(this.db, 'DELETE FROM predictions WHERE run_id = ? AND image_id = ?');
    const dropHeatmaps = prepared(this.db, 'DELETE FROM heatmaps WHERE run_id = ? AND image_id = ?');
    const insertPrediction = prepared(
      this.db,
      'INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (?, ?, ?, ?, ?)',
    );
    const insertHeatmap = prepared(
      this.db,
      'INSERT INTO heatmaps (run_id, image_id, class_index, h, w, scale, "values") VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const putThumbnail = prepared(this.db, 'INSERT OR REPLACE INTO thumbnails (image_id, jpeg) VALUES (?, ?)');
    const copyImage = prepared(
      this.db,
      `UPDATE images SET content_hash = ?, status = 'done', error = NULL,
         width = (SELECT width FROM images WHERE id = ?), height = (SELECT height FROM images WHERE id = ?) WHERE id = ?`,
    );
    const copyPredictions = prepared(
      this.db,
      `INSERT INTO predictions (run_id, image_id, rank, class_index, prob)
       SELECT run_id, ?, rank, class_index, prob FROM predictions WHERE run_id = ? AND image_id = ?`,
    );
    const copyHeatmaps = prepared(
      this.db,
      `INSERT INTO heatmaps (run_id, image_id, class_index, h, w, scale, "values")
       SELECT run_id, ?, class_index, h, w, scale, "values" FROM heatmaps WHERE run_id = ? AND image_id = ?`,
    );
    const copyThumbnail = prepared(
      this.db,
      'INSERT OR REPLACE INTO thumbnails (image_id, jpeg) SELECT ?, jpeg FROM thumbnails WHERE image_id = ?',
    );
    this.db.transaction(() => {
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

  /** Every image of the dataset, with this run's results (default: the latest run). */
  listImages(datasetId: number, runId: number | null = this.latestRunId(datasetId)): ImageRow[] {
    const rows = this.db
      .prepare(
        `SELECT ${IMAGE_COLUMNS} FROM images i LEFT JOIN reviews r ON r.image_id = i.id
         WHERE i.dataset_id = ? AND i.removed_at IS NULL ORDER BY i.rel_path`,
      )
      .all(datasetId) as ImageDbRow[];
    if (runId === null) return rows.map((row) => toImageRow(row, null, [], undefined));
    const predictions = this.db
      .prepare(
        `SELECT p.image_id, p.class_index, p.prob FROM predictions p JOIN images i ON i.id = p.image_id
         WHERE p.run_id = ? AND i.dataset_id = ? ORDER BY p.image_id, p.rank`,
      )
      .all(runId, datasetId) as PredictionDbRow[];
    const heatmaps = this.db
      .prepare(`${TOP1_HEATMAPS} WHERE h.run_id = ? AND i.dataset_id = ?`)
      .all(runId, datasetId) as HeatmapDbRow[];
    const truth = this.db
      .prepare(`${TRUTH_OF_RUN} WHERE r.id = ? AND i.dataset_id = ?`)
      .all(runId, datasetId) as TruthDbRow[];
    return this.assemble(rows, truth, predictions, heatmaps, runId);
  }

  /**
   * One image with this run's results (default: the dataset's latest run), including `heatmaps`: the map
   * of every class that has one, in rank order. Null for an unknown id.
   */
  getImage(imageId: number, runId?: number | null): ImageRow | null {
    const row = this.db
      .prepare(`SELECT ${IMAGE_COLUMNS} FROM images i LEFT JOIN reviews r ON r.image_id = i.id WHERE i.id = ?`)
      .get(imageId) as ImageDbRow | undefined;
    if (!row) return null;
    const run = runId ?? this.latestRunId(row.dataset_id);
    if (run === null) return toImageRow(row, null, [], undefined);
    const predictions = this.db
      .prepare('SELECT image_id, class_index, prob FROM predictions WHERE run_id = ? AND image_id = ? ORDER BY rank')
      .all(run, imageId) as PredictionDbRow[];
    const heatmaps = this.db
      .prepare(`${TOP1_HEATMAPS} WHERE h.run_id = ? AND h.image_id = ?`)
      .all(run, imageId) as HeatmapDbRow[];
    const all = this.db
      .prepare(
        `SELECT h.image_id, h.class_index, h.h, h.w, h.scale, h."values" FROM heatmaps h
         JOIN predictions p ON p.run_id = h.run_id AND p.image_id = h.image_id AND p.class_index = h.class_index
         WHERE h.run_id = ? AND h.image_id = ? ORDER BY p.rank`,
      )
      .all(run, imageId) as HeatmapDbRow[];
    const truth = this.db.prepare(`${TRUTH_OF_RUN} WHERE r.id = ? AND i.id = ?`).all(run, imageId) as TruthDbRow[];
    const suspicion = this.db.prepare('SELECT suspicion FROM metrics WHERE run_id = ? AND image_id = ?').pluck().get(run, imageId) as
      | number
      | undefined;
    return { ...this.assemble([row], truth, predictions, heatmaps, run)[0], heatmaps: all.map(toHeatmap), suspicion: suspicion ?? null };
  }

  /** Sets an image's verdict and note; false when the image is unknown. */
  setReview(imageId: number, verdict: Verdict | null, note: string): boolean {
    const known = this.db.prepare('SELECT 1 FROM images WHERE id = ?').get(imageId);
    if (!known) return false;
    this.db
      .prepare(
        `INSERT INTO reviews (image_id, verdict, note) VALUES (?, ?, ?)
         ON CONFLICT (image_id) DO UPDATE SET verdict = excluded.verdict, note = excluded.note,
           updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(imageId, verdict, note);
    return true;
  }

  sqliteVersion(): string {
    return this.db.prepare('SELECT sqlite_version()').pluck().get() as string;
  }

  /** The report's rows, streamed from SQLite in relative-path order; `onlyIds` keeps a filtered selection. */
  exportRows(datasetId: number, runId: number | null, onlyIds: readonly number[] | null = null): Generator<ExportRow> {
    return iterateExportRows(this.db, datasetId, runId, onlyIds);
  }

  thumbnail(imageId: number): Buffer | null {
    const row = this.db.prepare('SELECT jpeg FROM thumbnails WHERE image_id = ?').get(imageId) as { jpeg: Buffer } | undefined;
    return row?.jpeg ?? null;
  }

  /** Where an image's file lives, for an id the database knows; null otherwise. */
  imageFile(imageId: number): string | null {
    const row = this.db
      .prepare('SELECT d.root_path AS rootPath, i.rel_path AS relPath FROM images i JOIN datasets d ON d.id = i.dataset_id WHERE i.id = ?')
      .get(imageId) as { rootPath: string; relPath: string } | undefined;
    return row ? path.join(row.rootPath, row.relPath) : null;
  }

  private runLabels(runId: number): string[] {
    const row = this.db
      .prepare('SELECT m.labels FROM runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?')
      .get(runId) as { labels: string } | undefined;
    return row ? (JSON.parse(row.labels) as string[]) : [];
  }

  private assemble(
    rows: ImageDbRow[],
    truth: TruthDbRow[],
    predictions: PredictionDbRow[],
    heatmaps: HeatmapDbRow[],
    runId: number,
  ): ImageRow[] {
    const labels = this.runLabels(runId);
    const byImage = groupBy(predictions, (p) => p.image_id);
    const heatmapByImage = new Map(heatmaps.map((h) => [h.image_id, h]));
    const truthByImage = new Map(truth.map((t) => [t.image_id, t.true_index]));
    return rows.map((row) =>
      toImageRow(
        row,
        truthByImage.get(row.id) ?? null,
        (byImage.get(row.id) ?? []).map((p) => ({ index: p.class_index, label: labels[p.class_index] ?? `class ${p.class_index}`, prob: p.prob })),
        heatmapByImage.get(row.id),
      ),
    );
  }
}

/** The map of each image's top-1 class. */
const TOP1_HEATMAPS = `SELECT h.image_id, h.class_index, h.h, h.w, h.scale, h."values" FROM heatmaps h
  JOIN predictions p ON p.run_id = h.run_id AND p.image_id = h.image_id AND p.rank = 0 AND p.class_index = h.class_index
  JOIN images i ON i.id = h.image_id`;

/** The ground-truth class of each image under the run's model (image_truth). */
const TRUTH_OF_RUN = `SELECT t.image_id, t.true_index FROM image_truth t
  JOIN runs r ON r.model_id = t.model_id
  JOIN images i ON i.id = t.image_id`;

/** `trueIndex`: the image's class under the run's model, null without a run or where the model has none. */
function toImageRow(row: ImageDbRow, trueIndex: number | null, top: ImageRow['top'], heatmap: HeatmapDbRow | undefined): ImageRow {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    relPath: row.rel_path,
    fileName: path.basename(row.rel_path),
    width: row.width,
    height: row.height,
    trueLabel: row.true_label,
    trueIndex,
    trueLevel: row.true_level,
    // Done means this run has the image's prediction; an error is the file's latest failure, whichever run hit it.
    status: top.length > 0 ? 'done' : row.status === 'error' ? 'error' : 'pending',
    error: row.error,
    top,
    correct: trueIndex === null || top.length === 0 ? null : top[0].index === trueIndex,
    heatmap: heatmap ? toHeatmap(heatmap) : null,
    verdict: row.verdict,
    note: row.note ?? '',
    duplicateOf: row.duplicate_of,
  };
}

function toHeatmap(row: HeatmapDbRow): Heatmap {
  return { h: row.h, w: row.w, values: Array.from(blobToHeatmap(row.values)), scale: row.scale, classIndex: row.class_index };
}

function toRunInfo(row: RunDbRow): RunInfo {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    modelId: row.model_id,
    modelName: row.model_name,
    modelHash: row.model_hash,
    method: row.method,
    layer: row.layer,
    backend: row.backend,
    state: row.state,
    createdAt: row.created_at,
    options: JSON.parse(row.options) as Record<string, unknown>,
  };
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Whether a process with this id exists (EPERM: it exists but belongs to another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
