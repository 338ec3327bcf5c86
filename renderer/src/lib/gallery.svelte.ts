// The gallery's state: the library, the current dataset's images, the running job, the open image and
// the review edits. Components read it and call its methods; only this class talks to the Api.
import type { Api, MenuCommand } from '../../../common/contract';
import type { AppInfo, DatasetSummary, ImageRow, JobProgress, RunInfo, Verdict } from '../../../common/types';
import { downloadText } from './download';
import { errorMessage } from './format';
import { FILTERS, type Filter } from './verdicts';

/** While a job runs, images are re-read at most this often so finished tiles appear as they come. */
const REFRESH_MS = 1000;
const NOTE_SAVE_MS = 500;
/** The model loads in the background after the service starts; ask again this often until it names its backend. */
const BACKEND_POLL_MS = 2000;
const BACKEND_POLLS = 30;

export type SaveState = 'idle' | 'saving' | 'saved' | 'failed';

const isActive = (job: JobProgress): boolean => job.state === 'queued' || job.state === 'running';

export class Gallery {
  info = $state.raw<AppInfo | null>(null);
  datasets = $state.raw<DatasetSummary[]>([]);
  datasetId = $state<number | null>(null);
  run = $state.raw<RunInfo | null>(null);
  images = $state.raw<ImageRow[]>([]);
  job = $state.raw<JobProgress | null>(null);
  filter = $state<Filter>('all');
  openId = $state<number | null>(null);
  /** Whether the open image's review (verdict and note) has reached the service. */
  saveState = $state<SaveState>('idle');
  overlayVisible = $state(true);
  shortcutsOpen = $state(false);
  error = $state<string | null>(null);
  ready = $state(false);
  busy = $state(false);

  readonly dataset = $derived(this.datasets.find((d) => d.id === this.datasetId) ?? null);
  readonly visible = $derived.by(() => {
    const matches = FILTERS.find((f) => f.value === this.filter)?.matches ?? (() => true);
    return this.images.filter(matches);
  });
  readonly counts = $derived(Object.fromEntries(FILTERS.map((f) => [f.value, this.images.filter(f.matches).length])) as Record<Filter, number>);
  readonly opened = $derived(this.images.find((i) => i.id === this.openId) ?? null);
  readonly jobActive = $derived(this.job !== null && isActive(this.job));

  readonly #api: Api;
  #refreshTimer: ReturnType<typeof setTimeout> | null = null;
  #noteTimer: ReturnType<typeof setTimeout> | null = null;
  #pendingNote: { imageId: number } | null = null;
  /** Review writes go out one at a time, in order, so a slow request never overwrites a newer edit. */
  #writes: Promise<void> = Promise.resolve();
  /** Images with local review edits the service has not confirmed yet: id → edit count. */
  readonly #unsaved = new Map<number, number>();

  constructor(api: Api) {
    this.#api = api;
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
      const [info, datasets, jobs] = await Promise.all([this.#api.getInfo({}), this.#api.listDatasets({}), this.#api.listJobs({})]);
      this.info = info;
      this.datasets = datasets;
      this.job = jobs.find(isActive) ?? null;
      const latest = this.job?.datasetId ?? datasets.reduce<number | null>((max, d) => (max === null || d.id > max ? d.id : max), null);
      if (latest !== null) await this.selectDataset(latest);
    });
    this.ready = true;
    void this.#awaitBackend();
    return () => {
      offProgress();
      offMenu?.();
      if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
      void this.flushNote();
    };
  }

  async selectDataset(datasetId: number): Promise<void> {
    await this.flushNote();
    this.datasetId = datasetId;
    this.openId = null;
    this.images = [];
    this.run = null;
    await this.#attempt(() => this.#loadImages());
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

  /** Shows a job that has just started (from the UI or the desktop menu) and its dataset. */
  async #follow(started: { jobId: string; datasetId: number }): Promise<void> {
    // The model has loaded by now, so the info names the backend in use.
    const [info, datasets, jobs] = await Promise.all([this.#api.getInfo({}), this.#api.listDatasets({}), this.#api.listJobs({})]);
    this.info = info;
    this.datasets = datasets;
    this.job = jobs.find((j) => j.jobId === started.jobId) ?? this.job;
    await this.selectDataset(started.datasetId);
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

  async cancelJob(): Promise<void> {
    const job = this.job;
    if (job) await this.#attempt(() => this.#api.cancelJob({ jobId: job.jobId }));
  }

  toggleOverlay(): void {
    this.overlayVisible = !this.overlayVisible;
  }

  async reveal(imageId: number): Promise<void> {
    const reveal = this.#api.revealImage;
    if (reveal) await this.#attempt(() => reveal(imageId));
  }

  setFilter(filter: Filter): void {
    this.filter = filter;
  }

  open(imageId: number): void {
    this.openId = imageId;
    this.saveState = 'idle';
  }

  async close(): Promise<void> {
    await this.flushNote();
    this.openId = null;
  }

  /** Moves the open image by `delta` within the filtered list. */
  async step(delta: number): Promise<void> {
    const index = this.visible.findIndex((i) => i.id === this.openId);
    const next = this.visible[index + delta];
    if (index < 0 || !next) return;
    await this.flushNote();
    this.openId = next.id;
    this.saveState = 'idle';
  }

  /** Sets the verdict; choosing the current one again clears it. */
  setVerdict(imageId: number, verdict: Verdict): Promise<void> {
    const current = this.images.find((i) => i.id === imageId);
    if (!current) return Promise.resolve();
    this.#patch(imageId, { verdict: current.verdict === verdict ? null : verdict });
    return this.#save(imageId);
  }

  /** Keeps the typed note locally at once and saves it after a short pause (or on flushNote). */
  editNote(imageId: number, note: string): void {
    if (this.#pendingNote && this.#pendingNote.imageId !== imageId) void this.flushNote();
    this.#patch(imageId, { note });
    this.#pendingNote = { imageId };
    this.saveState = 'saving';
    if (this.#noteTimer) clearTimeout(this.#noteTimer);
    this.#noteTimer = setTimeout(() => void this.flushNote(), NOTE_SAVE_MS);
  }

  async flushNote(): Promise<void> {
    if (this.#noteTimer) clearTimeout(this.#noteTimer);
    this.#noteTimer = null;
    const pending = this.#pendingNote;
    this.#pendingNote = null;
    if (pending) await this.#save(pending.imageId);
  }

  /** Downloads the current dataset's review as CSV. */
  async exportCsv(): Promise<void> {
    const dataset = this.dataset;
    if (!dataset) return;
    await this.flushNote();
    await this.#attempt(async () => {
      const file = await this.#api.exportCsv({ datasetId: dataset.id, runId: dataset.runId ?? undefined });
      downloadText(file.fileName, file.csv, 'text/csv;charset=utf-8');
    });
  }

  /** Hides a finished job's summary. */
  dismissJob(): void {
    if (!this.jobActive) this.job = null;
  }

  dismissError(): void {
    this.error = null;
  }

  #patch(imageId: number, patch: Partial<Pick<ImageRow, 'verdict' | 'note'>>): void {
    this.#unsaved.set(imageId, (this.#unsaved.get(imageId) ?? 0) + 1);
    this.images = this.images.map((i) => (i.id === imageId ? { ...i, ...patch } : i));
  }

  /** Writes the image's current verdict and note (the latest local state at the time the write goes out). */
  #save(imageId: number): Promise<void> {
    const write = async (): Promise<void> => {
      const row = this.images.find((i) => i.id === imageId);
      if (!row) return;
      const edits = this.#unsaved.get(imageId);
      this.saveState = 'saving';
      try {
        await this.#api.setReview({ imageId, verdict: row.verdict, note: row.note });
        if (this.#unsaved.get(imageId) === edits) this.#unsaved.delete(imageId);
        if (!this.#pendingNote) this.saveState = 'saved';
      } catch (error) {
        this.saveState = 'failed';
        this.#unsaved.delete(imageId);
        this.error = `Your review of ${row.fileName} was not saved: ${errorMessage(error)}. Try again; the gallery shows what is stored.`;
        await this.#loadImages().catch(() => undefined);
      }
    };
    this.#writes = this.#writes.then(write);
    return this.#writes;
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
        return this.toggleOverlay();
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
      if (progress.datasetId === this.datasetId) await this.#loadImages();
    });
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
      void this.#attempt(() => this.#loadImages());
    }, REFRESH_MS);
  }

  async #loadImages(): Promise<void> {
    const datasetId = this.datasetId;
    if (datasetId === null) return;
    const runId = this.datasets.find((d) => d.id === datasetId)?.runId ?? undefined;
    const [images, runs] = await Promise.all([this.#api.listImages({ datasetId, runId }), this.#api.listRuns({ datasetId })]);
    if (datasetId !== this.datasetId) return;
    // Edits still on their way to the service win over what it had when it answered.
    const local = new Map(this.images.filter((i) => this.#unsaved.has(i.id)).map((i) => [i.id, i]));
    this.images = images.map((i) => {
      const edited = local.get(i.id);
      return edited ? { ...i, verdict: edited.verdict, note: edited.note } : i;
    });
    this.run = runs.find((r) => r.id === runId) ?? runs.at(-1) ?? null;
  }

  async #attempt(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.error = errorMessage(error);
    }
  }
}
