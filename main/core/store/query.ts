// The gallery's queries: filter and sort a dataset's images and count each facet (over the columns of
// gallery-index.ts, kept current as the gallery writes), write verdicts for many images in one transaction, the
// expected-region box, and maps computed on demand.
import {
  CORRECTNESS,
  EMPTY_FILTER,
  hasConditions,
  SUGGESTED_SHARE,
  VERDICT_FILTERS,
  type Box,
  type Correctness,
  type IdWindow,
  type ImageFilter,
  type ImageSort,
  type QueryResult,
  type VerdictChange,
  type VerdictFilter,
} from '../../../common/query';
import { VERDICT_LABELS, type Heatmap, type Verdict } from '../../../common/types';
import { type Db, prepared } from './database';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../base/worker-entry';
import { GalleryColumns, LIVE_IMAGES, NONE, readColumns, withOrders, type ColumnData } from './gallery-index';
import type { SavedColumns } from './gallery-snapshot';
import type { DatasetCounts } from './datasets';
import { blobToHeatmap, heatmapToBlob } from './heatmap-blob';
import { setReview, setVerdict, verdictUnder } from './reviews';

/** Where a dataset's columns came from (LibraryQuery.source). */
export type ColumnSource = 'library' | 'worker' | 'snapshot';

export interface Window {
  offset: number;
  limit: number;
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

/** The smallest and largest id of a dataset's live images (bound: dataset id), two steps in the images_live index. */
export const ID_SPAN = `SELECT (SELECT MIN(id) FROM images WHERE dataset_id = @dataset AND removed_at IS NULL),
  (SELECT MAX(id) FROM images WHERE dataset_id = @dataset AND removed_at IS NULL)`;
/** Datasets of about this many images or more are read in a worker when the library opens (100,000: about a second). */
const PRELOAD_FROM = 20_000;

/** How long after a start the worker reads again the dataset the snapshot gave, to check it. */
const CHECK_AFTER_MS = 3000;

/** What the loaded columns were read from: PRAGMA data_version moves when another connection commits, total_changes() when this one writes. */
interface Stamp {
  dataVersion: number;
  changes: number;
}

export class LibraryQuery {
  #columns: GalleryColumns | null = null;
  #stamp: Stamp = { dataVersion: -1, changes: -1 };
  #loads = 0;
  /** The run's "suggested for review" score, read with the columns (it moves only with the run's metrics). */
  #threshold: number | null = null;

  /**
   * `preloadFrom`: datasets of about this many images or more are read in a worker, and saved at close (tests
   * lower it). `checkAfterMs`: how long after the start the worker reads again a dataset the snapshot gave.
   */
  constructor(
    private readonly db: Db,
    private readonly preloadFrom = PRELOAD_FROM,
    private readonly checkAfterMs = CHECK_AFTER_MS,
  ) {}

  /**
   * Closes the gallery's connection. Returns the columns worth saving for the next start (gallery-snapshot.ts): a
   * large dataset's, when they are current; the library saves them once its connections are closed.
   */
  close(): SavedColumns | null {
    const columns = this.#columns;
    const large = columns && columns.n >= this.preloadFrom && this.current(columns.datasetId, columns.runId);
    const keep = large ? { columns: columns.data(), threshold: this.#threshold } : null;
    this.#columns = null;
    void this.#preloading?.worker.terminate();
    this.db.close();
    return keep;
  }

  /** Where the columns in use came from: read here, by the worker, or from the snapshot saved at the last close. */
  get source(): ColumnSource | null {
    return this.#columns ? this.#source : null;
  }

  #source: ColumnSource = 'library';

  /**
   * Uses columns saved at the last close (readSnapshot checked that the library file has not changed since), and
   * reads the dataset again in the worker all the same: that read replaces them when it arrives, so that a write
   * that slipped in as the library closed is never kept. Call before any other query.
   */
  useSnapshot({ columns, threshold }: SavedColumns): void {
    this.db.transaction(() => this.adopt(columns, this.stampNow(), 'snapshot', threshold))();
    setTimeout(() => this.warm(columns.datasetId, columns.runId), 0).unref();
    // A few seconds later: the start's own work (the first page asked for) has the two cores meanwhile.
    this.#checking = new Promise<void>((resolve) => {
      setTimeout(() => {
        this.#checking = null;
        if (this.db.open) void this.preload(columns.datasetId, columns.runId);
        resolve();
      }, this.checkAfterMs).unref();
    });
  }

  /** The snapshot's check, until its read starts. */
  #checking: Promise<void> | null = null;

  /** How many queries read the dataset's images from the library (the others used the columns in memory as they were). */
  get loads(): number {
    return this.#loads;
  }

  /** The dataset's matching image ids in order (all of them, or a window), with the count of each facet value. */
  images(datasetId: number, runId: number | null, filter: ImageFilter, sort: ImageSort, window?: Window): QueryResult {
    return this.db.transaction(() => this.imagesNow(datasetId, runId, filter, sort, window))();
  }

  /**
   * The dataset list's counts of this dataset under this run, from the columns when they are current (a pass over
   * them, about 2 ms at a million photos); null otherwise.
   */
  countsIfLoaded(datasetId: number, runId: number | null): DatasetCounts | null {
    if (!this.current(datasetId, runId)) return null;
    const { n, pred, failed } = this.#columns!;
    let doneCount = 0;
    let errorCount = 0;
    for (let row = 0; row < n; row++) {
      if (pred[row] !== NONE) doneCount++;
      errorCount += failed[row];
    }
    return { imageCount: n, doneCount, errorCount };
  }

  /** A window of the ordered matches, without the facet counts. */
  ids(datasetId: number, runId: number | null, filter: ImageFilter, sort: ImageSort, window: Window): IdWindow {
    return this.db.transaction(() => {
      const columns = this.columns(datasetId, runId);
      const state = columns.state(filter, this.#threshold);
      return { ...windowOf(columns, columns.matches(state, sort), window), total: columns.n };
    })();
  }

  /**
   * Runs a write on the gallery's connection and applies its effect to the loaded columns, which then stay
   * current; if they were not current before it, the next query reads the library again anyway.
   */
  private afterWrite<T>(write: () => T, apply: (columns: GalleryColumns, result: T) => void): T {
    const before = this.totalChanges();
    const current = this.#columns !== null && this.#stamp.changes === before && this.#stamp.dataVersion === this.dataVersion();
    const result = write();
    if (current && this.#columns) {
      apply(this.#columns, result);
      this.#stamp = { ...this.#stamp, changes: this.totalChanges() };
    }
    return result;
  }

  /** A write on this connection that no gallery column shows (a saved view, a box, a map): the columns stay as they are. */
  writeUnseen<T>(write: () => T): T {
    return this.afterWrite(write, () => undefined);
  }

  /** Tags written on this connection (ImageTags): the columns read the tags again, not the whole dataset. */
  writeTags<T>(write: () => T): T {
    return this.afterWrite(write, (columns) => columns.loadTags());
  }

  /** The columns of this dataset and run, read again when the library changed in a way they do not know. */
  private columns(datasetId: number, runId: number | null): GalleryColumns {
    const chosen = this.#answerFrom;
    this.#answerFrom = null;
    if (chosen && chosen === this.#columns && chosen.datasetId === datasetId && chosen.runId === runId) return chosen;
    if (this.current(datasetId, runId)) return this.#columns!;
    this.#columns = null;
    // Small (large ones are read in the worker): the score orders are sorted now too, in a few milliseconds.
    return this.adopt(withOrders(readColumns(this.db, datasetId, runId)), this.stampNow(), 'library');
  }

  /** `threshold`: the run's suggestion score when known (saved with the columns), else read. */
  private adopt(data: ColumnData, stamp: Stamp, source: ColumnSource, threshold?: number | null): GalleryColumns {
    const columns = new GalleryColumns(this.db, data);
    this.#source = source;
    this.#threshold = threshold !== undefined ? threshold : data.runId === null ? null : this.suggestedThreshold(data.runId);
    this.#loads++;
    this.#columns = columns;
    this.#stamp = stamp;
    return columns;
  }

  #preloading: { key: string; done: Promise<boolean>; worker: Worker } | null = null;

  /**
   * Reads the dataset's columns in a worker thread, so that the main thread stays free while a large dataset
   * loads (the service starts it for the latest dataset). True when the columns it read became the ones in use;
   * false when the library changed meanwhile (the next query reads it again) or the read failed.
   */
  preload(datasetId: number, runId: number | null): Promise<boolean> {
    const key = JSON.stringify([datasetId, runId]);
    if (this.#preloading?.key === key) return this.#preloading.done;
    const stamp = this.stampNow();
    const worker = new Worker(workerEntry(import.meta.url, './gallery-worker.ts', './gallery-worker.js'), {
      workerData: { file: this.db.name, datasetId, runId },
    });
    const done = new Promise<boolean>((resolve) => {
      worker.once('message', (reply: { data?: ColumnData; error?: string }) => {
        const unchanged = this.db.open && this.dataVersion() === stamp.dataVersion && this.totalChanges() === stamp.changes;
        // A read replaces columns that are not current, or that came from the snapshot (checked by this read).
        const replace = !this.current(datasetId, runId) || this.#source === 'snapshot';
        if (reply.data && unchanged && replace) this.db.transaction(() => this.adopt(reply.data!, stamp, 'worker'))();
        // Read while the library changed (an import writing): the latest read there is, for ready() to answer from.
        if (reply.data && !unchanged && this.db.open && !this.current(datasetId, runId)) this.#outdated = reply.data;
        resolve(Boolean(reply.data) && unchanged);
      });
      worker.once('error', () => resolve(false));
      worker.once('exit', () => resolve(false));
    }).finally(() => {
      if (this.#preloading?.worker === worker) this.#preloading = null;
    });
    this.#preloading = { key, done, worker };
    return done;
  }

  /**
   * Preloads the dataset when it may hold PRELOAD_FROM images or more (told from its smallest and largest id
   * through the images_live index, without counting): a smaller one reads in well under a second on first use.
   */
  preloadLarge(datasetId: number, runId: number | null): Promise<boolean> {
    return this.mayBeLarge(datasetId) ? this.preload(datasetId, runId) : Promise.resolve(false);
  }

  private mayBeLarge(datasetId: number): boolean {
    const [low, high] = this.db.prepare(ID_SPAN).raw(true).get({ dataset: datasetId }) as [number | null, number | null];
    return low !== null && high !== null && high - low + 1 >= this.preloadFrom;
  }

  /**
   * Gets the dataset ready for the first page as the service starts: a large one is read in the worker; a small one
   * on this thread right after the start (tens of milliseconds, while the page loads), not when the page asks.
   */
  prepare(datasetId: number, runId: number | null): void {
    if (this.mayBeLarge(datasetId)) {
      void this.preload(datasetId, runId).then((used) => used && this.warm(datasetId, runId));
      return;
    }
    setTimeout(() => this.warm(datasetId, runId), 0).unref();
  }

  /**
   * Answers the first page's likely query once, in advance (every photo, by file name): its filter state is then
   * kept, and this thread's code for it compiled. At a million photos that first answer takes about 0.1 s.
   */
  warm(datasetId: number, runId: number | null): void {
    // Never a large dataset's read on this thread: only columns in use and current, or a small dataset's.
    if (!this.db.open || (this.#columns ? !this.current(datasetId, runId) : this.mayBeLarge(datasetId))) return;
    this.images(datasetId, runId, EMPTY_FILTER, { key: 'fileName', descending: false }, { offset: 0, limit: 1 });
  }

  /**
   * True while the dataset's columns under the run are not the ones in use and the worker reads them (a read is
   * started here for a dataset that may be large and is not being read): a query would wait for that read.
   */
  reading(datasetId: number, runId: number | null): boolean {
    if (!this.db.open || this.current(datasetId, runId)) return false;
    if (this.#preloading?.key !== JSON.stringify([datasetId, runId])) {
      if (this.#preloading || !this.mayBeLarge(datasetId)) return false;
      void this.preload(datasetId, runId);
    }
    return true;
  }

  /**
   * While the worker reads this dataset's columns (and they are not the ones in use): its image count alone, from
   * the images_live index (25–60 ms at a million photos), the results and failures not counted yet. Null otherwise.
   */
  pendingCounts(datasetId: number, runId: number | null): DatasetCounts | null {
    if (this.#preloading?.key !== JSON.stringify([datasetId, runId]) || !this.readInFlight()) return null;
    return { imageCount: this.liveCount(datasetId), doneCount: 0, errorCount: 0, countsPending: true };
  }

  #liveCount: { datasetId: number; stamp: string; count: number } | null = null;

  /** The dataset's live images, from the images_live index (25–60 ms at a million), kept while the library is unchanged: the early list and the early query both ask. */
  private liveCount(datasetId: number): number {
    const stamp = JSON.stringify(this.stampNow());
    if (this.#liveCount?.datasetId !== datasetId || this.#liveCount.stamp !== stamp) {
      this.#liveCount = { datasetId, stamp, count: this.db.prepare(LIVE_IMAGES).pluck().get(datasetId) as number };
    }
    return this.#liveCount.count;
  }

  /** True while the worker reads a dataset's columns that are not the ones in use. */
  readInFlight(): boolean {
    if (!this.#preloading || !this.db.open) return false;
    const [datasetId, runId] = JSON.parse(this.#preloading.key) as [number, number | null];
    return !this.current(datasetId, runId);
  }

  /**
   * The answer to a query that needs none of the columns (no filter, file-name order) from the library's
   * file-name index, while the columns are being read: the window's ids and the count (at a million photos about
   * 0.1 ms and 25–60 ms), the facets pending. Null for any other query, which waits for the read.
   */
  earlyAnswer(datasetId: number, runId: number | null, filter: ImageFilter, sort: ImageSort, window: Window): QueryResult | null {
    if (sort.key !== 'fileName' || hasConditions(filter)) return null;
    const started = performance.now();
    const direction = sort.descending ? 'DESC' : 'ASC';
    const ids = this.db
      .prepare(
        `SELECT id FROM images INDEXED BY images_by_file_name WHERE dataset_id = ? AND removed_at IS NULL
         ORDER BY dataset_id ${direction}, file_name COLLATE NOCASE ${direction}, rel_path ${direction} LIMIT ? OFFSET ?`,
      )
      .pluck()
      .all(datasetId, window.limit, window.offset) as number[];
    const count = this.liveCount(datasetId);
    const maxScale = runId === null ? 0 : ((this.db.prepare(MAX_SCALE).pluck().get(runId) as number | null) ?? 0);
    const facets = { predicted: [], truth: [], correctness: [], verdicts: [], suggested: 0, groups: [], tags: [], failed: 0, confidence: [] };
    return { ids, offset: window.offset, count, total: count, facets, suggestedThreshold: null, maxScale, elapsedMs: performance.now() - started, pending: true };
  }

  /** Settles at once when current columns are in use, else when the worker's read in progress (if any) is in use. */
  async loaded(): Promise<void> {
    const columns = this.#columns;
    if (!columns || !this.current(columns.datasetId, columns.runId)) await this.idle();
  }

  /** Settles when no read is in progress or due in the worker (its result, if any, is in use). */
  async idle(): Promise<void> {
    await this.#checking;
    while (this.#preloading) await this.#preloading.done;
  }

  /** Columns a worker read while the library changed under it; the newest such read, until ready() uses it. */
  #outdated: ColumnData | null = null;
  /** Columns ready() chose for the query that follows it, current or not. */
  #answerFrom: GalleryColumns | null = null;

  /**
   * Before a query: waits for a preload in progress, then has a large dataset that is not loaded (or outdated)
   * read in the worker, so that the main thread never reads a large dataset itself. While the library changes
   * faster than a read (an import writing results), the query that follows answers from the worker's latest read,
   * as it was when that read began, and the next query reads again: the gallery lags one read behind the import
   * instead of the main thread stalling for each refresh.
   */
  async ready(datasetId: number, runId: number | null): Promise<void> {
    this.#answerFrom = null;
    // Current columns answer at once, even while a read runs (the snapshot's check): a query never waits for it.
    if (this.current(datasetId, runId)) return;
    await this.#preloading?.done;
    if (this.current(datasetId, runId)) return;
    this.#outdated = null;
    await this.preloadLarge(datasetId, runId);
    const outdated = this.#outdated as ColumnData | null;
    this.#outdated = null;
    if (outdated && outdated.datasetId === datasetId && outdated.runId === runId && !this.current(datasetId, runId)) {
      // Never current (the stamp matches no state of the library), so the next query reads again.
      this.#answerFrom = this.db.transaction(() => this.adopt(outdated, { dataVersion: -1, changes: -1 }, 'worker'))();
    }
  }

  private current(datasetId: number, runId: number | null): boolean {
    const loaded = this.#columns;
    return (
      loaded?.datasetId === datasetId &&
      loaded.runId === runId &&
      this.#stamp.dataVersion === this.dataVersion() &&
      this.#stamp.changes === this.totalChanges()
    );
  }

  /** What the library is now, as this connection sees it. */
  private stampNow(): Stamp {
    return { dataVersion: this.dataVersion(), changes: this.totalChanges() };
  }

  private dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private totalChanges(): number {
    return this.db.prepare('SELECT total_changes()').pluck().get() as number;
  }

  private imagesNow(datasetId: number, runId: number | null, filter: ImageFilter, sort: ImageSort, window: Window | undefined): QueryResult {
    const started = performance.now();
    const columns = this.columns(datasetId, runId);
    const threshold = this.#threshold;
    const state = columns.state(filter, threshold);
    const matches = columns.matches(state, sort);
    const { ids, offset, count } = windowOf(columns, matches, window ?? { offset: 0, limit: matches.length });
    const c = state.counts;

    const labels = runId === null ? [] : this.runLabels(runId);
    const present = <V>(counts: Int32Array, value: (index: number) => V): { value: V; count: number }[] => {
      const list: { value: V; count: number }[] = [];
      counts.forEach((count, index) => count > 0 && list.push({ value: value(index), count }));
      return list;
    };
    const byCount = (a: { count: number; label: string }, b: { count: number; label: string }): number =>
      b.count - a.count || a.label.localeCompare(b.label);
    const predicted = withChosen(present(c.predicted, (index) => index), filter.predicted)
      .map(({ value, count }) => ({ value, label: labels[value] ?? `class ${value}`, count }))
      .sort(byCount);
    const truth = withChosen(present(c.truth, (index) => columns.truthNames[index]), filter.truth)
      .map(({ value, count }) => ({ value, label: value, count }))
      .sort(byCount);
    const tags = withChosen(present(c.tags, (index) => columns.tagNames[index]), filter.tags ?? [])
      .map(({ value, count }) => ({ value, label: value, count }))
      .sort(byCount);
    const groups = withChosen(present(c.groups, (index) => index), filter.groups ?? [])
      .map(({ value, count }) => ({ value, label: `Group ${value + 1}`, count }))
      .sort((a, b) => a.value - b.value);
    const maxScale = runId === null ? 0 : ((this.db.prepare(MAX_SCALE).pluck().get(runId) as number | null) ?? 0);

    return {
      ids,
      offset,
      count,
      total: columns.n,
      facets: {
        predicted,
        truth,
        correctness: CORRECTNESS.map((value, index) => ({ value, label: CORRECTNESS_LABELS[value], count: c.correctness[index] })),
        verdicts: (Object.keys(VERDICT_LABELS) as VerdictFilter[]).map((value) => ({
          value,
          label: VERDICT_LABELS[value],
          count: c.verdicts[VERDICT_FILTERS.indexOf(value)],
        })),
        suggested: c.suggested,
        groups,
        tags,
        failed: c.failed,
        confidence: Array.from(c.confidence),
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

  /**
   * Sets each image's verdict under its dataset's run (`runFor`: the run the person sees; null where the dataset has
   * none), keeping its note; returns the verdicts they showed there with what was stored behind them, which sent
   * back is an undo. Unknown ids are skipped.
   */
  setVerdicts(changes: readonly VerdictChange[], runFor: (datasetId: number) => number | null): VerdictChange[] {
    const runs = new Map<number, number | null>();
    const write = this.db.transaction(() => {
      const previous: VerdictChange[] = [];
      for (const { imageId, verdict, exact } of changes) {
        const datasetId = this.datasetOf(imageId);
        if (datasetId === null) continue;
        if (!runs.has(datasetId)) runs.set(datasetId, runFor(datasetId));
        const runId = runs.get(datasetId)!;
        const before = setVerdict(this.db, imageId, runId, verdict, exact);
        // What the image showed: the run's own verdict, else the photo's (VERDICT_UNDER_RUN).
        previous.push({ imageId, verdict: before.run ?? before.photo, exact: before });
      }
      return previous;
    });
    return this.afterWrite(write, (columns, previous) => this.patchShown(columns, previous));
  }

  /**
   * Sets an image's note, and its verdict under the run (null: the dataset has none) unless `verdict` is left out;
   * false when the image is unknown.
   */
  setReview(imageId: number, runId: number | null, verdict: Verdict | null | undefined, note: string): boolean {
    return this.afterWrite(
      () => setReview(this.db, imageId, runId, verdict, note),
      (columns, known) => known && verdict !== undefined && this.patchShown(columns, [{ imageId }]),
    );
  }

  /** The dataset an image belongs to; null for an unknown id. */
  datasetOf(imageId: number): number | null {
    return (prepared(this.db, 'SELECT dataset_id FROM images WHERE id = ?').get(imageId) as { dataset_id: number } | undefined)?.dataset_id ?? null;
  }

  /**
   * Patches the columns with the verdicts these images now show under the columns' run, which a write under another
   * run of the dataset leaves as they were, and a label error changes in every run.
   */
  private patchShown(columns: GalleryColumns, images: readonly { imageId: number }[]): void {
    columns.patchVerdicts(images.map(({ imageId }) => ({ imageId, verdict: verdictUnder(this.db, imageId, columns.runId) ?? null })));
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
    this.writeUnseen(() =>
      this.db
        .prepare(
          `INSERT INTO reviews (image_id, box_x, box_y, box_w, box_h) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (image_id) DO UPDATE SET box_x = excluded.box_x, box_y = excluded.box_y, box_w = excluded.box_w,
             box_h = excluded.box_h, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
        )
        .run(imageId, b?.x ?? null, b?.y ?? null, b?.w ?? null, b?.h ?? null),
    );
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
    this.writeUnseen(() =>
      this.db
        .prepare('INSERT OR REPLACE INTO heatmaps (run_id, image_id, class_index, h, w, scale, "values") VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(runId, imageId, map.classIndex, map.h, map.w, map.scale, heatmapToBlob(Float32Array.from(map.values))),
    );
  }

  private runLabels(runId: number): string[] {
    const labels = this.db.prepare('SELECT m.labels FROM runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?').pluck().get(runId) as
      | string
      | undefined;
    return labels ? (JSON.parse(labels) as string[]) : [];
  }
}

/** Facet rows plus the chosen values that no image has any more, so they stay visible (and removable). */
function withChosen<V extends string | number>(rows: { value: V; count: number }[], chosen: readonly V[]): { value: V; count: number }[] {
  const present = new Set(rows.map((r) => r.value));
  return [...rows, ...chosen.filter((v) => !present.has(v)).map((value) => ({ value, count: 0 }))];
}

/** The window of the ordered matches as image ids. */
function windowOf(columns: GalleryColumns, matches: Int32Array, window: Window): { ids: number[]; offset: number; count: number } {
  const rows = matches.subarray(window.offset, window.offset + window.limit);
  return { ids: Array.from(rows, (row) => columns.ids[row]), offset: window.offset, count: matches.length };
}

function clampBox(box: Box): Box {
  const x = Math.min(Math.max(box.x, 0), 1);
  const y = Math.min(Math.max(box.y, 0), 1);
  return { x, y, w: Math.min(box.w, 1 - x), h: Math.min(box.h, 1 - y) };
}
