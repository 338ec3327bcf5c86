// The gallery's queries: filter and sort a dataset's images in SQLite and count each facet, write
// verdicts for many images in one transaction, the expected-region box, and maps computed on demand.
import type {
  Box,
  Correctness,
  FacetCount,
  IdWindow,
  ImageFilter,
  ImageSort,
  QueryResult,
  VerdictChange,
} from '../../../common/query';
import { VERDICT_LABELS, type Heatmap } from '../../../common/types';
import type { Db } from './database';
import { CONFIDENCE_BINS, SUGGESTED_SHARE } from '../../../common/query';
import { blobToHeatmap, heatmapToBlob } from './heatmap-blob';
import { fillRows, HITS_TABLE, ROWS_TABLE } from './gallery-fill';

export type Facet = 'predicted' | 'truth' | 'correctness' | 'verdicts' | 'suggested' | 'groups' | 'tags' | 'failed' | 'confidence' | 'other';

export interface Window {
  offset: number;
  limit: number;
}

interface Condition {
  facet: Facet;
  sql: string;
  params: unknown[];
}

/** The run's largest map value, the dataset-wide colour scale (bound: the run id). */
export const MAX_SCALE = 'SELECT MAX(scale) FROM heatmaps WHERE run_id = ?';
/** The run's images with a suspicion score, and the score at a rank from the top (bound: run id, rank). */
export const SCORED_IMAGES = 'SELECT COUNT(*) FROM metrics WHERE run_id = ?';
export const SUSPICION_AT_RANK = 'SELECT suspicion FROM metrics INDEXED BY metrics_by_suspicion WHERE run_id = ? ORDER BY suspicion DESC LIMIT 1 OFFSET ?';

const CORRECTNESS_LABELS: Record<Correctness, string> = {
  correct: 'Correct',
  incorrect: 'Misclassified',
  unknown: 'No ground truth',
  unanalysed: 'Not analysed',
};

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** The images that have any of `count` tags (bound by name), read from the image_tags_by_tag index. */
export const taggedImagesSql = (count: number): string =>
  `SELECT it.image_id FROM tags t JOIN image_tags it ON it.tag_id = t.id WHERE t.name IN (${placeholders(count)})`;

function conditions(filter: ImageFilter): Condition[] {
  const list: Condition[] = [];
  if (filter.predicted.length > 0) {
    list.push({ facet: 'predicted', sql: `pred IN (${placeholders(filter.predicted.length)})`, params: filter.predicted });
  }
  if (filter.truth.length > 0) {
    list.push({ facet: 'truth', sql: `truth IN (${placeholders(filter.truth.length)})`, params: filter.truth });
  }
  if (filter.correctness.length > 0) {
    list.push({ facet: 'correctness', sql: `correctness IN (${placeholders(filter.correctness.length)})`, params: filter.correctness });
  }
  if (filter.verdicts.length > 0) {
    list.push({ facet: 'verdicts', sql: `verdict IN (${placeholders(filter.verdicts.length)})`, params: filter.verdicts });
  }
  if (filter.suggested) list.push({ facet: 'suggested', sql: 'suggested = 1', params: [] });
  if (filter.groups?.length) {
    list.push({ facet: 'groups', sql: `grp IN (${placeholders(filter.groups.length)})`, params: filter.groups });
  }
  if (filter.tags?.length) {
    list.push({ facet: 'tags', sql: `image_id IN (${taggedImagesSql(filter.tags.length)})`, params: filter.tags });
  }
  if (filter.failed) list.push({ facet: 'failed', sql: 'failed = 1', params: [] });
  if (filter.minConfidence > 0 || filter.maxConfidence < 1) {
    list.push({ facet: 'confidence', sql: 'prob BETWEEN ? AND ?', params: [filter.minConfidence, filter.maxConfidence] });
  }
  const search = filter.search.trim();
  if (search) {
    // Exactly the LIKE of old, also after a FILL that kept only the trigram index's hits (a superset of its matches).
    list.push({ facet: 'other', sql: `rel_path LIKE ? ESCAPE '\\'`, params: [`%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`] });
  }
  return list;
}

interface Statement {
  sql: string;
  params: unknown[];
}

function where(list: readonly Condition[]): Statement {
  return { sql: list.length ? ` WHERE ${list.map((c) => c.sql).join(' AND ')}` : '', params: list.flatMap((c) => c.params) };
}

/** The filtered image ids of the filled table, in the sort's order. */
export function listSql(filter: ImageFilter, sort: ImageSort): Statement {
  const filtered = where(conditions(filter));
  return { sql: `SELECT image_id FROM gallery_rows_v3${filtered.sql} ${orderBy(sort)}`, params: filtered.params };
}

/** How many rows of the filled table match the filter. */
export function countSql(filter: ImageFilter): Statement {
  const filtered = where(conditions(filter));
  return { sql: `SELECT COUNT(*) FROM gallery_rows_v3${filtered.sql}`, params: filtered.params };
}

/** Counts by `column` of the filled table with every condition applied except the facet's own. */
export function facetCountSql(filter: ImageFilter, facet: Facet, column: string): Statement {
  const others = where(conditions(filter).filter((c) => c.facet !== facet));
  return { sql: `SELECT ${column} AS value, COUNT(*) AS count FROM gallery_rows_v3${others.sql} GROUP BY 1`, params: others.params };
}

/** Counts by tag of the filled table's images that match every condition but the tag filter. */
export function tagCountSql(filter: ImageFilter): Statement {
  const others = where(conditions(filter).filter((c) => c.facet !== 'tags'));
  return {
    sql: `SELECT t.name AS value, COUNT(*) AS count FROM image_tags it JOIN tags t ON t.id = it.tag_id
         WHERE it.image_id IN (SELECT image_id FROM gallery_rows_v3${others.sql}) GROUP BY t.id`,
    params: others.params,
  };
}

/** pos is the file-name order; images without a prediction (or without metrics) come last by confidence (suspicion) either way. */
function orderBy(sort: ImageSort): string {
  const dir = sort.descending ? 'DESC' : 'ASC';
  if (sort.key === 'confidence') return `ORDER BY prob IS NULL, prob ${dir}, pos`;
  if (sort.key === 'suspicion') return `ORDER BY suspicion IS NULL, suspicion ${dir}, pos`;
  return `ORDER BY pos ${dir}`;
}

export class LibraryQuery {
  constructor(private readonly db: Db) {
    db.pragma('temp_store = MEMORY');
    db.exec(ROWS_TABLE);
    db.exec(HITS_TABLE);
  }

  close(): void {
    this.db.close();
  }

  #fills = 0;
  /** How many queries copied the library into the temporary table (the others reused it as it was). */
  get fills(): number {
    return this.#fills;
  }

  /** The dataset's image ids that match the filter, in order, with the count of each facet value. */
  images(datasetId: number, runId: number | null, filter: ImageFilter, sort: ImageSort, window?: Window): QueryResult {
    return this.db.transaction(() => this.imagesNow(datasetId, runId, filter, sort, window))();
  }

  /** A window of the ordered matches, without the facet counts. */
  ids(datasetId: number, runId: number | null, filter: ImageFilter, sort: ImageSort, window: Window): IdWindow {
    return this.db.transaction(() => {
      const threshold = runId === null ? null : this.suggestedThreshold(runId);
      const { total, filled } = fillRows(this.db, { datasetId, runId, threshold, search: filter.search });
      if (filled) this.#fills++;
      return { ...this.window(filter, sort, window), total };
    })();
  }

  private window(filter: ImageFilter, sort: ImageSort, window: Window | undefined): { ids: number[]; offset: number; count: number } {
    const list = listSql(filter, sort);
    if (!window) {
      const ids = this.db.prepare(list.sql).pluck().all(...list.params) as number[];
      return { ids, offset: 0, count: ids.length };
    }
    const ids = this.db.prepare(`${list.sql} LIMIT ? OFFSET ?`).pluck().all(...list.params, window.limit, window.offset) as number[];
    const counted = countSql(filter);
    const count = this.db.prepare(counted.sql).pluck().get(...counted.params) as number;
    return { ids, offset: window.offset, count };
  }

  private imagesNow(datasetId: number, runId: number | null, filter: ImageFilter, sort: ImageSort, window: Window | undefined): QueryResult {
    const started = performance.now();
    const threshold = runId === null ? null : this.suggestedThreshold(runId);
    const { total, filled } = fillRows(this.db, { datasetId, runId, threshold, search: filter.search });
    if (filled) this.#fills++;
    const { ids, offset, count } = this.window(filter, sort, window);

    /** Counts by `column` with every condition applied except the facet's own. */
    const countBy = (facet: Facet, column: string): { value: string | number | null; count: number }[] => {
      const counts = facetCountSql(filter, facet, column);
      return this.db.prepare(counts.sql).all(...counts.params) as { value: string | number | null; count: number }[];
    };

    const labels = runId === null ? [] : this.runLabels(runId);
    const predicted = withChosen(
      countBy('predicted', 'pred').filter((r) => r.value !== null),
      filter.predicted,
    ).map(({ value, count }) => ({ value: Number(value), label: labels[Number(value)] ?? `class ${value}`, count }));
    const truth = withChosen(
      countBy('truth', 'truth').filter((r) => r.value !== null),
      filter.truth,
    ).map(({ value, count }) => ({ value: String(value), label: String(value), count }));
    const fixed = <V extends string>(facet: Facet, column: string, values: Record<V, string>): FacetCount<V>[] => {
      const counts = new Map(countBy(facet, column).map((r) => [r.value, r.count]));
      return (Object.keys(values) as V[]).map((value) => ({ value, label: values[value], count: counts.get(value) ?? 0 }));
    };

    const tagQuery = tagCountSql(filter);
    const tagCounts = this.db.prepare(tagQuery.sql).all(...tagQuery.params) as { value: string; count: number }[];
    const tags = withChosen(tagCounts, filter.tags ?? [])
      .map(({ value, count }) => ({ value: String(value), label: String(value), count }))
      .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));

    const maxScale = runId === null ? 0 : ((this.db.prepare(MAX_SCALE).pluck().get(runId) as number | null) ?? 0);

    return {
      ids,
      offset,
      count,
      total,
      facets: {
        predicted: predicted.sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
        truth: truth.sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
        correctness: fixed('correctness', 'correctness', CORRECTNESS_LABELS),
        verdicts: fixed('verdicts', 'verdict', VERDICT_LABELS),
        suggested: countBy('suggested', 'suggested').find((r) => r.value === 1)?.count ?? 0,
        groups: withChosen(
          countBy('groups', 'grp').filter((r) => r.value !== null),
          filter.groups ?? [],
        )
          .map(({ value, count }) => ({ value: Number(value), label: `Group ${Number(value) + 1}`, count }))
          .sort((a, b) => a.value - b.value),
        tags,
        failed: countBy('failed', 'failed').find((r) => r.value === 1)?.count ?? 0,
        confidence: histogram(countBy('confidence', `MIN(CAST(prob * ${CONFIDENCE_BINS} AS INTEGER), ${CONFIDENCE_BINS - 1})`)),
      },
      suggestedThreshold: threshold,
      maxScale,
      elapsedMs: performance.now() - started,
    };
  }

  /** The suspicion of the run's image at the SUGGESTED_SHARE rank (read from the metrics_by_suspicion index); null without scores. */
  private suggestedThreshold(runId: number): number | null {
    const scored = this.db.prepare(SCORED_IMAGES).pluck().get(runId) as number;
    if (scored === 0) return null;
    const offset = Math.max(0, Math.ceil(scored * SUGGESTED_SHARE) - 1);
    return this.db.prepare(SUSPICION_AT_RANK).pluck().get(runId, offset) as number;
  }

  /** Sets each image's verdict, keeping its note; returns the verdicts they had, for an undo. Unknown ids are skipped. */
  setVerdicts(changes: readonly VerdictChange[]): VerdictChange[] {
    const known = this.db.prepare('SELECT i.id, r.verdict FROM images i LEFT JOIN reviews r ON r.image_id = i.id WHERE i.id = ?');
    const upsert = this.db.prepare(
      `INSERT INTO reviews (image_id, verdict) VALUES (?, ?)
       ON CONFLICT (image_id) DO UPDATE SET verdict = excluded.verdict, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    );
    return this.db.transaction(() => {
      const previous: VerdictChange[] = [];
      for (const change of changes) {
        const row = known.get(change.imageId) as { id: number; verdict: VerdictChange['verdict'] } | undefined;
        if (!row) continue;
        previous.push({ imageId: row.id, verdict: row.verdict });
        upsert.run(change.imageId, change.verdict);
      }
      return previous;
    })();
  }

  expectedBox(imageId: number): Box | null {
    const row = this.db.prepare('SELECT box_x AS x, box_y AS y, box_w AS w, box_h AS h FROM reviews WHERE image_id = ?').get(imageId) as
      | { x: number | null; y: number | null; w: number | null; h: number | null }
      | undefined;
    if (!row || row.x === null || row.y === null || row.w === null || row.h === null) return null;
    return { x: row.x, y: row.y, w: row.w, h: row.h };
  }

  /** Sets or clears the box, clamped to the image; false for an unknown image. */
  setExpectedBox(imageId: number, box: Box | null): boolean {
    if (!this.db.prepare('SELECT 1 FROM images WHERE id = ?').get(imageId)) return false;
    const b = box && clampBox(box);
    this.db
      .prepare(
        `INSERT INTO reviews (image_id, box_x, box_y, box_w, box_h) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (image_id) DO UPDATE SET box_x = excluded.box_x, box_y = excluded.box_y, box_w = excluded.box_w,
           box_h = excluded.box_h, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(imageId, b?.x ?? null, b?.y ?? null, b?.w ?? null, b?.h ?? null);
    return true;
  }

  /** A stored map of this run, image and class, if the import or an earlier request made one. */
  heatmap(runId: number, imageId: number, classIndex: number): Heatmap | null {
    const row = this.db
      .prepare('SELECT h, w, scale, "values" FROM heatmaps WHERE run_id = ? AND image_id = ? AND class_index = ?')
      .get(runId, imageId, classIndex) as { h: number; w: number; scale: number; values: Buffer } | undefined;
    return row ? { h: row.h, w: row.w, scale: row.scale, values: Array.from(blobToHeatmap(row.values)), classIndex } : null;
  }

  saveHeatmap(runId: number, imageId: number, map: Heatmap): void {
    this.db
      .prepare('INSERT OR REPLACE INTO heatmaps (run_id, image_id, class_index, h, w, scale, "values") VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(runId, imageId, map.classIndex, map.h, map.w, map.scale, heatmapToBlob(Float32Array.from(map.values)));
  }

  private runLabels(runId: number): string[] {
    const labels = this.db.prepare('SELECT m.labels FROM runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?').pluck().get(runId) as
      | string
      | undefined;
    return labels ? (JSON.parse(labels) as string[]) : [];
  }
}

/** Facet rows plus the chosen values that no image has any more, so they stay visible (and removable). */
function withChosen<V extends string | number>(rows: { value: string | number | null; count: number }[], chosen: readonly V[]) {
  const present = new Set(rows.map((r) => r.value));
  return [...rows, ...chosen.filter((v) => !present.has(v)).map((value) => ({ value, count: 0 }))];
}

/** Bin counts by bin index (rows without a prediction have a null bin and are left out) as a dense list. */
function histogram(rows: { value: string | number | null; count: number }[]): number[] {
  const bins = new Array<number>(CONFIDENCE_BINS).fill(0);
  for (const { value, count } of rows) if (value !== null) bins[Number(value)] = count;
  return bins;
}

function clampBox(box: Box): Box {
  const x = Math.min(Math.max(box.x, 0), 1);
  const y = Math.min(Math.max(box.y, 0), 1);
  return { x, y, w: Math.min(box.w, 1 - x), h: Math.min(box.h, 1 - y) };
}
