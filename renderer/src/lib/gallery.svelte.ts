// The gallery's state: the library, the current dataset and run, the query and its rows, selection and
// focus, reviews, the open photo and the queue, the running job. Components read it and call its methods;
// only this class and the smaller state classes it owns talk to the Api.
import type { Api, MenuCommand } from '../../../common/contract';
import { MAX_INLINE_ROWS } from '../../../common/query-values';
import type { AppInfo, DatasetLabelSource, DatasetSummary, ImageRow, JobProgress, RunInfo, Verdict } from '../../../common/types';
import { DetailState } from './detail.svelte';
import { Exports, type ExportRequest } from './exports.svelte';
import { errorMessage } from './format';
import { firstScreenTiles } from './grid-scroll';
import type { IdList } from './id-list.svelte';
import { ImageQuery } from './image-query.svelte';
import { OverlaySettings } from './overlay-settings.svelte';
import { TILE_SIZES, type Preferences, type TileSize } from './preferences';
import { Review } from './review.svelte';
import { RowCache } from './row-cache.svelte';
import { runLabel } from './run-label';
import { SavedViewList } from './saved-views.svelte';
import { Selection } from './selection.svelte';
import { Tagging } from './tags.svelte';

/** While a job runs, the query and loaded rows are re-read at most this often so results appear as they come. */
const REFRESH_MS = 1000;
/** After a verdict, the counts are brought up to date once the person pauses. */
const RECOUNT_MS = 400;
/** The model loads in the background after the service starts; ask again this often until it names its backend. */
const BACKEND_POLL_MS = 2000;
const BACKEND_POLLS = 30;
/** In the queue, a verdict shows for this long before the next photo comes. */
const QUEUE_ADVANCE_MS = 150;
/** The queue looks for the next photo without a verdict this many rows at a time. */
const QUEUE_PAGE = 60;

const isActive = (job: JobProgress): boolean => job.state === 'queued' || job.state === 'running';

export class Gallery {
  info = $state.raw<AppInfo | null>(null);
  datasets = $state.raw<DatasetSummary[]>([]);
  datasetId = $state<number | null>(null);
  runs = $state.raw<RunInfo[]>([]);
  runId = $state<number | null>(null);
  job = $state.raw<JobProgress | null>(null);
  /** Jobs started from the Models view's "Run on this dataset" (not by an import), by id. */
  readonly #fromModels = new Set<string>();
  openId = $state<number | null>(null);
  /** Where in the filtered list the open photo was opened (the list is read a page at a time, so its index is kept). */
  #openedAt = $state(-1);
  /** Walking the filtered list one photo at a time, moving on after each verdict. */
  queue = $state(false);
  queueDone = $state(false);
  shortcutsOpen = $state(false);
  error = $state<string | null>(null);
  /** A short word on what just happened out of sight (an undo in another run); it goes after a few seconds. */
  notice = $state<string | null>(null);
  ready = $state(false);
  busy = $state(false);
  tileSize = $state<TileSize>('medium');

  readonly overlay: OverlaySettings;
  readonly query: ImageQuery;
  readonly rows: RowCache;
  readonly selection = new Selection();
  readonly review: Review;
  readonly detail: DetailState;
  readonly tagging: Tagging;
  readonly views: SavedViewList;
  readonly exports: Exports;

  readonly dataset = $derived(this.datasets.find((d) => d.id === this.datasetId) ?? null);
  readonly run = $derived(this.runs.find((r) => r.id === this.runId) ?? null);
  /**
   * The open photo's index in the filtered list: where it was opened, while the list still has it there; else
   * where a loaded page has it now (the list was read again); else -1, it is no longer in the list.
   */
  readonly openIndex = $derived.by((): number => {
    if (this.openId === null) return -1;
    const at = this.ids.at(this.#openedAt);
    if (at === this.openId) return this.#openedAt;
    const found = this.ids.indexOf(this.openId);
    if (found >= 0) return found;
    // Its page is on its way: it stays where it was opened until the page says otherwise.
    return at === undefined && this.#openedAt < this.ids.length ? this.#openedAt : -1;
  });
  readonly jobActive = $derived(this.job !== null && isActive(this.job));
  /** What a verdict key applies to: the selection, else the open photo, else the focused tile. */
  readonly targets = $derived.by((): number[] => {
    if (this.openId !== null) return [this.openId];
    if (this.selection.selected.size > 0) return [...this.selection.selected];
    const focused = this.ids.at(this.selection.focus);
    return focused === undefined ? [] : [focused];
  });

  readonly #api: Api;
  readonly #preferredDataset: number | null;
  /**
   * The run chosen in the picker per dataset (by dataset id), kept with the preferences; a dataset without one
   * shows its latest run, so a run made later shows then.
   */
  #chosenRuns = $state.raw<Record<string, number>>({});
  #refreshTimer: ReturnType<typeof setTimeout> | null = null;
  #recountTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(api: Api, prefs: Preferences) {
    this.#api = api;
    this.#preferredDataset = prefs.datasetId;
    this.#chosenRuns = prefs.runs;
    this.tileSize = prefs.tileSize;
    const onError = (error: unknown): void => void (this.error = errorMessage(error));
    this.overlay = new OverlaySettings(prefs.overlay);
    this.rows = new RowCache(api, onError);
    // The rows of the first screen come with each query's answer: the tiles draw without asking for them.
    this.query = new ImageQuery(api, onError, prefs.filter, prefs.sort, (rows, runId) => this.rows.seed(rows, runId));
    // An early list (the library still reading a dataset's columns) is listed again once the query has counted.
    this.query.onCounted = () => {
      if (this.datasets.some((d) => d.countsPending)) void this.#attempt(async () => (this.datasets = await this.#api.listDatasets({})));
    };
    // As many rows as this window's first screen shows at this tile size (36 in 1440 × 900 with medium tiles, at most 200).
    this.query.firstRows = () => firstScreenTiles(window.innerWidth, window.innerHeight, TILE_SIZES[this.tileSize], MAX_INLINE_ROWS);
    this.review = new Review(api, this.rows, (message) => (this.error = message), () => this.#recountSoon());
    this.detail = new DetailState(api);
    this.tagging = new Tagging(api, this.rows, (message) => (this.error = message), () => this.#recountSoon());
    this.views = new SavedViewList(api, this.query, this.overlay, (message) => (this.error = message));
    this.exports = new Exports(api);
  }

  /** The filtered, sorted list of image ids, read a page at a time. */
  get ids(): IdList {
    return this.query.ids;
  }

  /** How many photos the filters let through. */
  get count(): number {
    return this.query.count;
  }

  get opened(): ImageRow | null {
    return this.openId === null ? null : this.rows.get(this.openId);
  }

  get preferences(): Preferences {
    return {
      datasetId: this.datasetId,
      runs: this.#chosenRuns,
      filter: this.query.filter,
      sort: this.query.sort,
      overlay: this.overlay.prefs,
      tileSize: this.tileSize,
    };
  }

  mediaUrl(kind: 'thumb' | 'image', imageId: number): string {
    return this.#api.mediaUrl(kind, imageId);
  }

  get canPickFolder(): boolean {
    return typeof this.#api.pickFolder === 'function';
  }

  /** Desktop only: a dropped folder has a path there; a browser never tells the page. */
  get canDropFolders(): boolean {
    return typeof this.#api.pathForDroppedFile === 'function';
  }

  get canReveal(): boolean {
    return typeof this.#api.revealImage === 'function';
  }

  /** Loads the library and follows job progress and the desktop menu; returns the unsubscribe function. */
  async start(): Promise<() => void> {
    const offProgress = this.#api.on('jobProgress', (progress) => this.#onProgress(progress));
    const offMenu = this.#api.onMenuCommand?.((command) => void this.#onMenuCommand(command));
    await this.#attempt(async () => {
      // The header shows the model and the engine as soon as they are known: the dataset list can take seconds (a
      // large library opened without its saved columns is read first).
      const info = this.#api.getInfo({}).then((answer) => (this.info = answer));
      const [, datasets, jobs] = await Promise.all([info, this.#api.listDatasets({ early: true }), this.#api.listJobs({})]);
      this.datasets = datasets;
      this.job = jobs.find(isActive) ?? null;
      const remembered = datasets.some((d) => d.id === this.#preferredDataset) ? this.#preferredDataset : null;
      const latest = datasets.reduce<number | null>((max, d) => (max === null || d.id > max ? d.id : max), null);
      const first = this.job?.datasetId ?? remembered ?? latest;
      // A job running shows its own run; else the run last chosen there.
      if (first !== null) await this.selectDataset(first, this.job?.datasetId === first ? this.job.runId : undefined);
    });
    this.ready = true;
    void this.#awaitBackend();
    return () => {
      offProgress();
      offMenu?.();
      if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
      void this.review.flushNote();
    };
  }

  /** Opens a dataset on `runId`, else on the run last chosen there if it still exists, else on its latest run. */
  async selectDataset(datasetId: number, runId?: number): Promise<void> {
    await this.review.flushNote();
    this.datasetId = datasetId;
    this.review.useDataset(datasetId);
    this.queueDone = false;
    this.closeNow();
    this.selection.clear();
    this.selection.focus = 0;
    this.tagging.close();
    void this.views.load(datasetId);
    await this.#attempt(async () => {
      // The dataset list names its latest run: the query need not wait for the list of runs unless another is wanted.
      const listed = this.datasets.find((d) => d.id === datasetId);
      const runs = this.#api.listRuns({ datasetId });
      const wanted = runId ?? this.#chosenRuns[datasetId];
      if (listed && (wanted === undefined || wanted === listed.runId)) {
        await Promise.all([this.selectRun(listed.runId), runs.then((r) => (this.runs = r))]);
      } else {
        this.runs = await runs;
        const exists = wanted !== undefined && this.runs.some((r) => r.id === wanted);
        await this.selectRun(exists ? wanted : (this.runs.at(-1)?.id ?? null));
      }
      if (runId !== undefined && this.runId === runId) this.#rememberRun(runId);
    });
  }

  /** The run picker's choice: shown, and remembered for the dataset (until the latest run is chosen again). */
  async chooseRun(runId: number): Promise<void> {
    this.#rememberRun(runId);
    await this.selectRun(runId);
  }

  #rememberRun(runId: number): void {
    const datasetId = this.datasetId;
    if (datasetId === null) return;
    const { [datasetId]: _previous, ...others } = this.#chosenRuns;
    this.#chosenRuns = runId === this.runs.at(-1)?.id ? others : { ...others, [datasetId]: runId };
  }

  async selectRun(runId: number | null): Promise<void> {
    // A note typed in the open photo is saved before its row goes with the run's rows.
    await this.review.flushNote();
    this.runId = runId;
    this.rows.reset(runId);
    await this.query.target(this.datasetId, runId);
  }

  async importFolder(path: string): Promise<void> {
    const folder = path.trim();
    if (!folder) {
      this.error = 'Type the full path of a folder of photos (for example /home/you/Pictures/cats), or choose one.';
      return;
    }
    this.busy = true;
    try {
      await this.#follow(await this.#api.importFolder({ path: folder }));
      this.error = null;
    } catch (error) {
      this.error = `Could not import ${folder}: ${errorMessage(error)}`;
    }
    this.busy = false;
  }

  async importDropped(file: File): Promise<void> {
    const folder = this.#api.pathForDroppedFile?.(file);
    if (folder) await this.importFolder(folder);
    else this.error = 'A browser does not tell the page where a dropped folder is. Type its path in the field instead.';
  }

  async pickAndImport(): Promise<void> {
    if (!this.#api.pickFolder) return;
    const folder = await this.#api.pickFolder();
    if (folder) await this.importFolder(folder);
  }

  /** A new run of a model on the open dataset (the Models view's "Run on this dataset"); it shows once it starts. */
  async startRun(modelId: number): Promise<void> {
    const datasetId = this.datasetId;
    if (datasetId === null) return;
    await this.#attempt(async () => {
      const started = await this.#api.startRun({ datasetId, modelId });
      this.#fromModels.add(started.jobId);
      await this.#follow(started);
    });
  }

  /**
   * What the status bar says of a job. The library says a cancelled one resumes when the folder is imported again,
   * which holds for the model imports use; a run started from the Models view (or of another model) resumes
   * from there instead, so the bar says that.
   */
  jobMessage(job: JobProgress, importModelId: number | null): string | null {
    if (job.state !== 'cancelled' || !job.message?.startsWith('Cancelled;')) return job.message;
    const runModel = this.runs.find((r) => r.id === job.runId)?.modelId;
    const otherModel = runModel !== undefined && importModelId !== null && runModel !== importModelId;
    if (!this.#fromModels.has(job.jobId) && !otherModel) return job.message;
    const model = this.runs.find((r) => r.id === job.runId)?.modelName;
    return `Cancelled; choose “Run on this dataset”${model ? ` for ${model}` : ''} in Models again to resume where this stopped`;
  }

  async cancelJob(): Promise<void> {
    const job = this.job;
    if (job) await this.#attempt(() => this.#api.cancelJob({ jobId: job.jobId }));
  }

  /** Pauses the running job (it keeps its place) or resumes it; the progress event that follows confirms it. */
  async togglePause(): Promise<void> {
    const job = this.job;
    if (!job) return;
    await this.#attempt(async () => {
      const changed = job.paused
        ? (await this.#api.resumeJob({ jobId: job.jobId })).resumed
        : (await this.#api.pauseJob({ jobId: job.jobId })).paused;
      if (changed && this.job?.jobId === job.jobId) this.job = { ...this.job, paused: !job.paused, etaSec: null };
    });
  }

  /** Where the open dataset's ground truth comes from; its photos are relabelled without running the model again. */
  async setLabels(source: DatasetLabelSource): Promise<void> {
    const datasetId = this.datasetId;
    if (datasetId === null) return;
    this.busy = true;
    await this.#attempt(async () => {
      const summary = await this.#api.setDatasetLabels({ datasetId, source });
      this.datasets = this.datasets.map((d) => (d.id === summary.id ? summary : d));
      this.rows.reset(this.runId);
      await this.query.refresh();
    });
    this.busy = false;
  }

  async renameDataset(name: string): Promise<void> {
    const datasetId = this.datasetId;
    if (datasetId === null) return;
    await this.#attempt(async () => {
      const summary = await this.#api.renameDataset({ datasetId, name });
      this.datasets = this.datasets.map((d) => (d.id === summary.id ? summary : d));
    });
  }

  /** Forgets the open dataset (never its photos) and opens the newest one left, if any. */
  async removeDataset(): Promise<void> {
    const datasetId = this.datasetId;
    if (datasetId === null) return;
    await this.#attempt(async () => {
      await this.#api.removeDataset({ datasetId });
      this.datasets = await this.#api.listDatasets({});
      const next = this.datasets.reduce<number | null>((max, d) => (max === null || d.id > max ? d.id : max), null);
      if (next !== null) await this.selectDataset(next);
      else {
        this.closeNow();
        this.datasetId = null;
        this.runs = [];
        await this.selectRun(null);
      }
    });
  }

  /** Groups each predicted class's maps by where they look (stored per image), then shows the groups. */
  async clusterRun(): Promise<void> {
    const runId = this.runId;
    if (runId === null) return;
    await this.#attempt(async () => {
      await this.#api.clusterRun({ runId });
      await this.query.refresh();
    });
  }

  /** Hides a finished job's summary. */
  dismissJob(): void {
    if (!this.jobActive) this.job = null;
  }

  dismissError(): void {
    this.error = null;
  }

  async reveal(imageId: number): Promise<void> {
    const reveal = this.#api.revealImage;
    if (reveal) await this.#attempt(() => reveal(imageId));
  }

  /** The image's full path, for "copy path"; the web host does not hand out paths, so this is the relative one there. */
  pathOf(image: ImageRow): string {
    const root = this.dataset?.rootPath;
    return root ? `${root.replace(/[\\/]+$/, '')}/${image.relPath}` : image.relPath;
  }

  // --- Opening, stepping, the queue -------------------------------------------------------------

  /** Opens the photo; `index` is where it is in the filtered list, when the caller knows. */
  open(imageId: number, index = this.ids.indexOf(imageId)): void {
    this.openId = imageId;
    this.#openedAt = index;
    this.review.saveState = 'idle';
    if (index >= 0) this.selection.focus = index;
    void this.rows.load([imageId]).then(() => {
      const row = this.rows.peek(imageId);
      if (row && this.openId === imageId) this.detail.open(row, this.run);
    });
  }

  openFocused(): Promise<void> {
    return this.openAt(this.selection.focus);
  }

  /** Opens the photo at this index of the filtered list (the one its tile shows), once its page is read if it is not loaded. */
  openAt(index: number): Promise<void> {
    const shown = this.ids.at(index);
    if (shown !== undefined) {
      this.open(shown, index);
      return Promise.resolve();
    }
    return this.#idAt(index).then((id) => {
      if (id !== undefined) this.open(id, index);
    });
  }

  async close(): Promise<void> {
    await this.review.flushNote();
    this.closeNow();
    this.selection.keyboardMoves++;
    void this.query.refresh();
  }

  closeNow(): void {
    this.openId = null;
    this.queue = false;
    this.detail.close();
  }

  /** Moves the open photo by `delta` within the filtered list, reading the neighbouring page when it is not loaded. */
  async step(delta: number): Promise<void> {
    const from = this.openId;
    const index = this.openIndex + delta;
    if (this.openIndex < 0 || index < 0 || index >= this.ids.length) return;
    const next = await this.#idAt(index);
    if (next === undefined || this.openId !== from) return;
    await this.review.flushNote();
    this.open(next, index);
  }

  /** Starts the queue at the focused photo (or the first); it walks only the photos without a verdict. */
  async startQueue(): Promise<void> {
    if (this.ids.length === 0) return;
    this.queueDone = false;
    const first = await this.#unreviewedFrom(this.selection.focus < this.ids.length ? this.selection.focus : 0);
    if (first === undefined) return;
    if (first === null) this.queueDone = true;
    else {
      this.open(first.id, first.index);
      this.queue = true;
    }
  }

  /** The id at this index of the filtered list as the grid shows it, else once its page is read; undefined if that fails. */
  async #idAt(index: number): Promise<number | undefined> {
    return this.ids.at(index) ?? (await this.ids.load(index, index + 1).catch(() => []))[0];
  }

  /**
   * The first photo from `index` on in the filtered list that has no verdict, reading ids and rows a page at a
   * time; null when there is none, undefined when the ids could not be read (the error shows).
   */
  async #unreviewedFrom(index: number): Promise<{ id: number; index: number } | null | undefined> {
    const ids = this.ids;
    for (let start = index; start < ids.length; start += QUEUE_PAGE) {
      const page = await ids.load(start, start + QUEUE_PAGE).catch(() => null);
      if (page === null) return undefined;
      await this.rows.load(page);
      const found = page.findIndex((id) => (this.rows.peek(id)?.verdict ?? null) === null);
      if (found >= 0) return { id: page[found], index: start + found };
    }
    return null;
  }

  async #advanceQueue(from: number): Promise<void> {
    const next = await this.#unreviewedFrom((this.openId === from ? this.openIndex : this.ids.indexOf(from)) + 1);
    if (this.openId !== from || !this.queue || next === undefined) return;
    if (next === null) {
      this.queueDone = true;
      await this.close();
    } else {
      await this.review.flushNote();
      this.open(next.id, next.index);
    }
  }

  // --- Verdicts -----------------------------------------------------------------------------------

  async setVerdict(verdict: Verdict, ids: readonly number[] = this.targets): Promise<void> {
    const queued = this.queue && this.openId !== null ? this.openId : null;
    const done = this.review.setVerdict(ids, verdict);
    if (queued !== null) {
      setTimeout(() => {
        if (this.openId === queued && this.queue) void this.#advanceQueue(queued);
      }, QUEUE_ADVANCE_MS);
    }
    await done;
  }

  /**
   * Undoes the open dataset's latest change, of verdicts or of tags. A verdict change made in a run not shown is
   * undone there, out of sight: a notice says what was undone and where.
   */
  async undo(): Promise<void> {
    // A verdict whose save is on its way gets its undo entry when the library answers: u pressed right after it
    // undoes it then, not the change before it.
    await this.review.settled();
    if (this.tagging.isLatest(this.datasetId, this.review.history.length)) return this.tagging.undo(this.datasetId);
    const last = this.review.history.at(-1);
    if (last && last.runId !== this.runId) {
      const run = this.runs.find((r) => r.id === last.runId);
      const where = run ? `run ${runLabel(run)}` : last.runId === null ? 'the latest run' : `run #${last.runId}`;
      const count = last.changes.length;
      this.notice = `Undone in ${where}: the verdict of ${count} photo${count === 1 ? '' : 's'}`;
    }
    await this.review.undo();
  }

  get canUndo(): boolean {
    return this.review.history.length > 0 || this.tagging.canUndo(this.datasetId);
  }

  /** Opens the tag box for what a key applies to (the selection, the open photo or the focused one). */
  openTagBox(): void {
    this.tagging.open(this.targets);
  }

  async changeTags(add: string[], remove: string[]): Promise<void> {
    const targets = this.tagging.targets;
    if (targets) await this.tagging.change(this.datasetId, targets, add, remove, this.review.history.length);
  }

  // --- Export and events ---------------------------------------------------------------------------

  /** Saves the current dataset's review as CSV (the whole dataset), and says where it went. */
  async exportCsv(): Promise<void> {
    if (!(await this.export({ scope: 'all', format: 'csv' })) && this.exports.error) this.error = this.exports.error;
  }

  /** Saves an export of the dataset, the current view or the flagged photos; false when it was not saved. */
  async export(choice: Pick<ExportRequest, 'scope' | 'format' | 'dir'>): Promise<boolean> {
    const dataset = this.dataset;
    if (!dataset) return false;
    await this.review.flushNote();
    return this.exports.run({ ...choice, datasetId: dataset.id, runId: this.runId, view: this.query.filter });
  }

  /** Shows a job that has just started (from the UI or the desktop menu) and its dataset. */
  async #follow(started: { jobId: string; datasetId: number; runId?: number }): Promise<void> {
    // The model has loaded by now, so the info names the backend in use.
    const [info, datasets, jobs] = await Promise.all([this.#api.getInfo({}), this.#api.listDatasets({}), this.#api.listJobs({})]);
    this.info = info;
    this.datasets = datasets;
    // A job with nothing left to do (an import resumed) can end while these calls are answered: its end, come
    // as an event meanwhile, is newer than the listing's snapshot.
    const ended = this.job?.jobId === started.jobId && !isActive(this.job);
    if (!ended) this.job = jobs.find((j) => j.jobId === started.jobId) ?? this.job;
    // The job's run shows (a new run is the dataset's latest; an import resumed may be an older one).
    await this.selectDataset(started.datasetId, started.runId);
  }

  async #onMenuCommand(command: MenuCommand): Promise<void> {
    switch (command.kind) {
      case 'imported':
        return this.#attempt(() => this.#follow(command));
      case 'openDataset':
        return this.#attempt(async () => {
          this.datasets = await this.#api.listDatasets({});
          await this.selectDataset(command.datasetId);
        });
      case 'exportCsv':
        return this.exportCsv();
      case 'toggleOverlay':
        return this.overlay.toggle();
      case 'showShortcuts':
        this.shortcutsOpen = true;
    }
  }

  #onProgress(progress: JobProgress): void {
    if (this.job && this.job.jobId !== progress.jobId && isActive(this.job) && !isActive(progress)) return;
    this.job = progress;
    if (isActive(progress)) {
      if (progress.datasetId === this.datasetId) this.#scheduleRefresh();
      return;
    }
    void this.#attempt(async () => {
      const [info, datasets] = await Promise.all([this.#api.getInfo({}), this.#api.listDatasets({})]);
      this.info = info;
      this.datasets = datasets;
      if (progress.datasetId === this.datasetId) {
        this.runs = await this.#api.listRuns({ datasetId: progress.datasetId });
        if (this.runId === null || this.runId === progress.runId) this.runId = progress.runId;
        await this.#refreshResults();
      }
    });
  }

  async #refreshResults(): Promise<void> {
    await this.rows.reload(this.review.keepLocal);
    await this.query.refresh();
    this.selection.clamp(this.ids.length);
  }

  #recountSoon(): void {
    if (this.#recountTimer) clearTimeout(this.#recountTimer);
    this.#recountTimer = setTimeout(() => {
      // While a photo is open the list stays as it is, so the queue and the arrows walk a stable list.
      if (this.openId === null) void this.query.refresh().then(() => this.selection.clamp(this.ids.length));
    }, RECOUNT_MS);
  }

  async #awaitBackend(): Promise<void> {
    for (let poll = 0; poll < BACKEND_POLLS && this.info && !this.info.backend; poll++) {
      await new Promise((resolve) => setTimeout(resolve, BACKEND_POLL_MS));
      this.info = await this.#api.getInfo({}).catch(() => this.info);
    }
  }

  #scheduleRefresh(): void {
    if (this.#refreshTimer) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      void this.#attempt(async () => {
        if (this.runId === null && this.job) {
          this.runs = await this.#api.listRuns({ datasetId: this.job.datasetId });
          await this.selectRun(this.job.runId);
        } else await this.#refreshResults();
      });
    }, REFRESH_MS);
  }

  async #attempt(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.error = errorMessage(error);
    }
  }
}
