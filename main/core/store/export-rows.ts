// The rows of the CSV report, streamed from SQLite one at a time (`.iterate()`), so that exporting
// 100,000 images keeps memory flat: one query joins the image, its top-3, the review, the metrics and the run.
import type { ImageMetrics } from '../../../common/types';
import type { Db } from './database';
import { HAS_CLASS, labelInRun, truthOfRun } from './image-truth';
import { toMetrics, type MetricsDbRow } from './metrics-table';
import { runVerdictJoin, VERDICT_UNDER_RUN } from './reviews';

/** One image of the report, flat, with class labels resolved. */
export interface ExportRow {
  relPath: string;
  /** The ground truth as the run's model names it (labelInRun); without a run, the label the image keeps. */
  trueLabel: string | null;
  /** The class of the ground truth under the run's model; null without a run or where the model has none. */
  trueIndex: number | null;
  status: 'pending' | 'done' | 'error';
  error: string | null;
  /** Up to three classes, in rank order. */
  top: { label: string; prob: number; index: number }[];
  verdict: string | null;
  note: string;
  /** By name, sorted. */
  tags: string[];
  box: { x: number; y: number; w: number; h: number } | null;
  duplicateOf: string | null;
  metrics: ImageMetrics | null;
  run: { id: number; modelHash: string; method: string; layer: string } | null;
}

const SQL = `SELECT i.rel_path, i.true_label, t.true_index, ${HAS_CLASS} AS has_class, i.status, i.error, ${VERDICT_UNDER_RUN} AS verdict, r.note,
    r.box_x, r.box_y, r.box_w, r.box_h,
    (SELECT json_group_array(name) FROM (SELECT t.name FROM image_tags it JOIN tags t ON t.id = it.tag_id
       WHERE it.image_id = i.id ORDER BY t.name COLLATE NOCASE)) AS tags,
    (SELECT j.rel_path FROM images j WHERE j.dataset_id = i.dataset_id AND j.content_hash = i.content_hash
       AND j.id < i.id AND j.removed_at IS NULL ORDER BY j.id LIMIT 1) AS duplicate_of,
    p0.class_index AS c0, p0.prob AS p0, p1.class_index AS c1, p1.prob AS p1, p2.class_index AS c2, p2.prob AS p2,
    m.class_index AS m_class, m.border_mass, m.entropy, m.gini, m.peak_x, m.peak_y, m.area_half_max, m.pointing_hit,
    m.energy_in_box, m.deletion_auc, m.insertion_auc, m.blur_drop, m.agreement, m.agreement_run_id, m.cluster, m.suspicion
  FROM images i
  LEFT JOIN reviews r ON r.image_id = i.id
  ${runVerdictJoin('@run')}
  ${truthOfRun('@run')}
  LEFT JOIN predictions p0 ON p0.run_id = @run AND p0.image_id = i.id AND p0.rank = 0
  LEFT JOIN predictions p1 ON p1.run_id = @run AND p1.image_id = i.id AND p1.rank = 1
  LEFT JOIN predictions p2 ON p2.run_id = @run AND p2.image_id = i.id AND p2.rank = 2
  LEFT JOIN metrics m ON m.run_id = @run AND m.image_id = i.id
  WHERE i.dataset_id = @dataset AND i.removed_at IS NULL`;

/** One joined row: the image, its review, its top-3 and its top-1 map's metrics. */
interface Raw extends Omit<MetricsDbRow, 'image_id' | 'class_index'> {
  rel_path: string;
  true_label: string | null;
  true_index: number | null;
  has_class: number | null;
  status: 'pending' | 'done' | 'error';
  error: string | null;
  verdict: string | null;
  note: string | null;
  tags: string;
  box_x: number | null;
  box_y: number | null;
  box_w: number | null;
  box_h: number | null;
  duplicate_of: string | null;
  c0: number | null;
  p0: number | null;
  c1: number | null;
  p1: number | null;
  c2: number | null;
  p2: number | null;
  m_class: number | null;
}

/**
 * The dataset's live images in relative-path order with this run's results (none when runId is null);
 * `onlyIds` restricts them to a filtered selection (e.g. the gallery's current filter).
 */
export function* iterateExportRows(db: Db, datasetId: number, runId: number | null, onlyIds: readonly number[] | null): Generator<ExportRow> {
  const run = runId === null
    ? null
    : (db.prepare('SELECT r.id, m.hash, m.labels, r.method, r.layer FROM runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?').get(runId) as
        { id: number; hash: string; labels: string; method: string; layer: string } | undefined) ?? null;
  const labels = run ? (JSON.parse(run.labels) as string[]) : [];
  const sql = `${SQL}${onlyIds ? ' AND i.id IN (SELECT value FROM json_each(@ids))' : ''} ORDER BY i.rel_path`;
  const params = { run: runId ?? 0, dataset: datasetId, ...(onlyIds ? { ids: JSON.stringify(onlyIds) } : {}) };
  for (const raw of db.prepare(sql).iterate(params) as IterableIterator<Raw>) {
    const top: ExportRow['top'] = [];
    for (const [c, p] of [[raw.c0, raw.p0], [raw.c1, raw.p1], [raw.c2, raw.p2]] as const) {
      if (c !== null && p !== null) top.push({ index: c, prob: p, label: labels[c] ?? `class ${c}` });
    }
    yield {
      relPath: raw.rel_path,
      trueLabel: run ? labelInRun(labels, raw.true_index, raw.true_label, raw.has_class === 1) : raw.true_label,
      trueIndex: raw.true_index,
      // As in the gallery: done means this run has the prediction; an error is the file's latest failure.
      status: top.length > 0 ? 'done' : raw.status === 'error' ? 'error' : 'pending',
      error: raw.error,
      top,
      verdict: raw.verdict,
      note: raw.note ?? '',
      tags: JSON.parse(raw.tags) as string[],
      box: raw.box_x === null || raw.box_y === null || raw.box_w === null || raw.box_h === null ? null : { x: raw.box_x, y: raw.box_y, w: raw.box_w, h: raw.box_h },
      duplicateOf: raw.duplicate_of,
      metrics: raw.m_class === null ? null : toMetrics({ ...raw, class_index: raw.m_class }),
      run: run && { id: run.id, modelHash: run.hash, method: run.method, layer: run.layer },
    };
  }
}
