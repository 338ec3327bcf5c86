// The gallery's image rows: each image with its review (its verdict under the run) and one run's results (predictions, top-1 map, ground truth
// under the run's model, duplicate), and where its file lives.
import path from 'node:path';
import type { Heatmap, ImageRow, ImageStatus, Verdict } from '../../../common/types';
import type { Db } from './database';
import { blobToHeatmap } from './heatmap-blob';
import { labelInRun } from './image-truth';
import type { Runs } from './runs';

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
  /** 1 where some model has a class for the image (its true_label is a class name, not free text). */
  has_class: number;
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

const IMAGE_COLUMNS = `i.id, i.dataset_id, i.rel_path, i.width, i.height, i.true_label, i.true_level, i.status, i.error,
  r.verdict, r.note,
  (SELECT MIN(j.id) FROM images j WHERE j.dataset_id = i.dataset_id AND j.content_hash = i.content_hash
     AND j.id < i.id AND j.removed_at IS NULL) AS duplicate_of,
  EXISTS (SELECT 1 FROM image_truth x WHERE x.image_id = i.id) AS has_class`;

/** The map of each image's top-1 class. */
const TOP1_HEATMAPS = `SELECT h.image_id, h.class_index, h.h, h.w, h.scale, h."values" FROM heatmaps h
  JOIN predictions p ON p.run_id = h.run_id AND p.image_id = h.image_id AND p.rank = 0 AND p.class_index = h.class_index
  JOIN images i ON i.id = h.image_id`;

/** The ground-truth class of each image under the run's model (image_truth). */
const TRUTH_OF_RUN = `SELECT t.image_id, t.true_index FROM image_truth t
  JOIN runs r ON r.model_id = t.model_id
  JOIN images i ON i.id = t.image_id`;

export class ImageRows {
  constructor(
    private readonly db: Db,
    private readonly runs: Runs,
  ) {}

  /** Every image of the dataset, with this run's results (none when null). */
  list(datasetId: number, runId: number | null): ImageRow[] {
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
  get(imageId: number, runId?: number | null): ImageRow | null {
    const row = this.db
      .prepare(`SELECT ${IMAGE_COLUMNS} FROM images i LEFT JOIN reviews r ON r.image_id = i.id WHERE i.id = ?`)
      .get(imageId) as ImageDbRow | undefined;
    if (!row) return null;
    const run = runId ?? this.runs.latestId(row.dataset_id);
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

  /**
   * The images as get() gives each (in the order asked, unknown ids left out), read with one statement per table
   * instead of seven per image: the gallery's pages of rows (60 rows: a few ms instead of 20–50).
   */
  getMany(imageIds: readonly number[], runId?: number | null): ImageRow[] {
    const rows = this.db
      .prepare(`SELECT ${IMAGE_COLUMNS} FROM images i LEFT JOIN reviews r ON r.image_id = i.id WHERE i.id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(imageIds)) as ImageDbRow[];
    const latest = new Map<number, number | null>();
    const runOf = (row: ImageDbRow): number | null => {
      if (runId !== undefined && runId !== null) return runId;
      if (!latest.has(row.dataset_id)) latest.set(row.dataset_id, this.runs.latestId(row.dataset_id));
      return latest.get(row.dataset_id)!;
    };
    const found = new Map<number, ImageRow>();
    for (const [run, group] of groupBy(rows, runOf)) {
      if (run === null) {
        for (const row of group) found.set(row.id, toImageRow(row, null, [], undefined));
        continue;
      }
      const ids = JSON.stringify(group.map((row) => row.id));
      const inGroup = '(SELECT value FROM json_each(?))';
      const predictions = this.db
        .prepare(`SELECT image_id, class_index, prob FROM predictions WHERE run_id = ? AND image_id IN ${inGroup} ORDER BY image_id, rank`)
        .all(run, ids) as PredictionDbRow[];
      const heatmaps = this.db.prepare(`${TOP1_HEATMAPS} WHERE h.run_id = ? AND h.image_id IN ${inGroup}`).all(run, ids) as HeatmapDbRow[];
      const all = this.db
        .prepare(
          `SELECT h.image_id, h.class_index, h.h, h.w, h.scale, h."values" FROM heatmaps h
           JOIN predictions p ON p.run_id = h.run_id AND p.image_id = h.image_id AND p.class_index = h.class_index
           WHERE h.run_id = ? AND h.image_id IN ${inGroup} ORDER BY h.image_id, p.rank`,
        )
        .all(run, ids) as HeatmapDbRow[];
      const truth = this.db.prepare(`${TRUTH_OF_RUN} WHERE r.id = ? AND i.id IN ${inGroup}`).all(run, ids) as TruthDbRow[];
      const suspicion = new Map(
        this.db.prepare(`SELECT image_id, suspicion FROM metrics WHERE run_id = ? AND image_id IN ${inGroup}`).raw(true).all(run, ids) as [number, number][],
      );
      const maps = groupBy(all, (h) => h.image_id);
      for (const row of this.assemble(group, truth, predictions, heatmaps, run)) {
        found.set(row.id, { ...row, heatmaps: (maps.get(row.id) ?? []).map(toHeatmap), suspicion: suspicion.get(row.id) ?? null });
      }
    }
    return imageIds.flatMap((id) => found.get(id) ?? []);
  }

  /** Where an image's file lives, for an id the database knows; null otherwise. */
  file(imageId: number): string | null {
    const row = this.db
      .prepare('SELECT d.root_path AS rootPath, i.rel_path AS relPath FROM images i JOIN datasets d ON d.id = i.dataset_id WHERE i.id = ?')
      .get(imageId) as { rootPath: string; relPath: string } | undefined;
    return row ? path.join(row.rootPath, row.relPath) : null;
  }

  private assemble(
    rows: ImageDbRow[],
    truth: TruthDbRow[],
    predictions: PredictionDbRow[],
    heatmaps: HeatmapDbRow[],
    runId: number,
  ): ImageRow[] {
    const labels = this.runs.labels(runId);
    // The run's own verdict, else the photo's (a label error), as VERDICT_UNDER_RUN says; the other runs' are listed
    // beside it, for a person comparing models.
    const runVerdicts = new Map<number, Verdict>();
    const otherRuns = new Map<number, { runId: number; verdict: Verdict }[]>();
    const verdicts = this.db
      .prepare('SELECT image_id, run_id, verdict FROM run_verdicts WHERE image_id IN (SELECT value FROM json_each(?)) ORDER BY image_id, run_id')
      .raw(true)
      .all(JSON.stringify(rows.map((row) => row.id))) as [number, number, Verdict][];
    for (const [imageId, run, verdict] of verdicts) {
      if (run === runId) runVerdicts.set(imageId, verdict);
      else otherRuns.set(imageId, [...(otherRuns.get(imageId) ?? []), { runId: run, verdict }]);
    }
    const byImage = groupBy(predictions, (p) => p.image_id);
    const heatmapByImage = new Map(heatmaps.map((h) => [h.image_id, h]));
    const truthByImage = new Map(truth.map((t) => [t.image_id, t.true_index]));
    return rows.map((row) => ({
      ...toImageRow(
        { ...row, verdict: runVerdicts.get(row.id) ?? row.verdict },
        truthByImage.get(row.id) ?? null,
        (byImage.get(row.id) ?? []).map((p) => ({ index: p.class_index, label: labels[p.class_index] ?? `class ${p.class_index}`, prob: p.prob })),
        heatmapByImage.get(row.id),
        labels,
      ),
      otherRuns: otherRuns.get(row.id) ?? [],
      photoVerdict: row.verdict,
    }));
  }
}

/**
 * `trueIndex`: the image's class under the run's model, null without a run or where the model has none; `labels`: the
 * run model's class names, which name the truth as they name the predictions (none without a run: the image's label).
 */
function toImageRow(
  row: ImageDbRow,
  trueIndex: number | null,
  top: ImageRow['top'],
  heatmap: HeatmapDbRow | undefined,
  labels: readonly string[] | null = null,
): ImageRow {
  const trueLabel = labels ? labelInRun(labels, trueIndex, row.true_label, row.has_class === 1) : row.true_label;
  return {
    id: row.id,
    datasetId: row.dataset_id,
    relPath: row.rel_path,
    fileName: path.basename(row.rel_path),
    width: row.width,
    height: row.height,
    trueLabel,
    trueIndex,
    trueLevel: trueLabel === null ? null : row.true_level,
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
