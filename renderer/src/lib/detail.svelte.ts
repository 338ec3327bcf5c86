// The open photo's extras: its top-5 classes, the map for another class or method (computed on demand),
// a second map beside it (another run or method), how the stage shows them, and the expected-region box.
import type { Api } from '../../../common/contract';
import type { Box, Explanation } from '../../../common/query';
import { DEFAULT_RUN, type CamMethod, type ClassScore, type Heatmap, type ImageMetrics, type ImageRow, type RunInfo } from '../../../common/types';
import { errorMessage } from './format';

/** Opening a photo asks for its top 5 only once it has stayed open this long (stepping through stays cheap). */
const TOP5_DWELL_MS = 350;

export type StageView = 'overlay' | 'sideBySide' | 'compare';
export type CompareTarget = { kind: 'run'; runId: number } | { kind: 'method'; method: CamMethod };

export class DetailState {
  /** null: the run's top-1 class and method, as stored. */
  classIndex = $state<number | null>(null);
  method = $state<CamMethod | null>(null);
  /** null: the run's layer, as stored. */
  layer = $state<string | null>(null);
  /** The attention metrics and suspicion of the run's top-1 map; null until loaded or when there are none. */
  metrics = $state.raw<ImageMetrics | null>(null);
  /** The image the metrics belong to, so a stepped-away photo never shows the previous one's. */
  metricsFor = $state<number | null>(null);
  explanation = $state.raw<Explanation | null>(null);
  top5 = $state.raw<ClassScore[] | null>(null);
  explaining = $state(false);
  explainError = $state<string | null>(null);
  view = $state<StageView>('overlay');
  compare = $state.raw<CompareTarget | null>(null);
  compareMap = $state.raw<Heatmap | null>(null);
  compareBusy = $state(false);
  box = $state.raw<Box | null>(null);
  drawing = $state(false);

  readonly #api: Api;
  #image: ImageRow | null = null;
  /**
   * The run the photo is shown in. State: the Method and Layer pickers read it through activeMethod/activeLayer,
   * and a photo opened again in another run must show that run's method and layer, not the last one's.
   */
  #run = $state.raw<RunInfo | null>(null);
  /** Bumped on every open, so answers for a photo that is no longer open are dropped. */
  #token = 0;
  /** Bumped on every change of class or method, so only the latest map request is shown. */
  #request = 0;
  #dwell: ReturnType<typeof setTimeout> | null = null;

  constructor(api: Api) {
    this.#api = api;
  }

  /** The map to draw: the one asked for on demand, else the stored top-1 map. */
  heatmapOf(image: ImageRow): Heatmap | null {
    return this.explanation?.heatmap ?? (this.#asStored() ? image.heatmap : null);
  }

  /** Whether the stored top-1 map is what is asked for (no other class, method or layer). */
  #asStored(): boolean {
    return this.classIndex === null && this.method === null && this.layer === null;
  }

  get activeLayer(): string | null {
    return this.layer ?? this.#run?.layer ?? null;
  }

  get activeMethod(): CamMethod {
    return this.method ?? this.#run?.method ?? DEFAULT_RUN.method;
  }

  open(image: ImageRow, run: RunInfo | null): void {
    const token = ++this.#token;
    this.#image = image;
    this.#run = run;
    this.classIndex = null;
    this.method = null;
    this.layer = null;
    this.metrics = null;
    this.explanation = null;
    this.explainError = null;
    this.top5 = null;
    this.compareMap = null;
    this.box = null;
    this.drawing = false;
    if (this.#dwell) clearTimeout(this.#dwell);
    void this.#api.getExpectedBox({ imageId: image.id }).then(({ box }) => token === this.#token && (this.box = box), () => undefined);
    this.#loadMetrics(token);
    if (image.status === 'done' && image.top.length > 0) {
      this.#dwell = setTimeout(() => void this.#explain(token, image.top[0].index, this.activeMethod, true), TOP5_DWELL_MS);
    }
    if (this.compare) void this.#loadCompare(token);
  }

  close(): void {
    this.#token++;
    if (this.#dwell) clearTimeout(this.#dwell);
    this.#image = null;
  }

  /** Shows where the model looks for this class (its map, computed if it is not stored). */
  showClass(classIndex: number): Promise<void> {
    const top1 = this.#image?.top[0]?.index;
    this.classIndex = classIndex === top1 && this.method === null && this.layer === null ? null : classIndex;
    return this.#refresh();
  }

  setMethod(method: CamMethod): Promise<void> {
    this.method = method === this.#run?.method ? null : method;
    const refreshed = this.#refresh();
    return this.compare?.kind === 'method' ? Promise.all([refreshed, this.#loadCompare(this.#token)]).then(() => undefined) : refreshed;
  }

  /** Maps from another of the model's layers (computed on demand; the run's own layer shows the stored map). */
  setLayer(layer: string): Promise<void> {
    this.layer = layer === this.#run?.layer ? null : layer;
    return this.#refresh();
  }

  /**
   * How the stage shows the photo. A comparison is a view of its own: choosing "Overlay" or "Photo | overlay" ends
   * it, and the compare picker says so (it showed the run still while its map was gone).
   */
  setView(view: StageView): void {
    if (view === 'compare') {
      if (this.compare) this.view = 'compare';
      return;
    }
    this.view = view;
    if (this.compare) {
      this.compare = null;
      this.compareMap = null;
    }
  }

  setCompare(target: CompareTarget | null): Promise<void> {
    this.compare = target;
    this.compareMap = null;
    if (target) this.view = 'compare';
    else if (this.view === 'compare') this.view = 'overlay';
    return this.#loadCompare(this.#token);
  }

  async saveBox(box: Box | null): Promise<void> {
    const image = this.#image;
    if (!image) return;
    this.box = box;
    this.drawing = false;
    try {
      this.box = (await this.#api.setExpectedBox({ imageId: image.id, box })).box;
      // The box feeds the pointing game, the energy in the box and so the suspicion.
      this.#loadMetrics(this.#token);
    } catch (error) {
      this.explainError = `The expected region was not saved: ${errorMessage(error)}`;
    }
  }

  #refresh(): Promise<void> {
    const image = this.#image;
    this.#request++;
    if (this.#asStored()) {
      this.explanation = null;
      this.explaining = false;
    }
    if (!image || this.#asStored()) return Promise.resolve();
    return this.#explain(this.#token, this.classIndex ?? image.top[0]?.index ?? 0, this.activeMethod, false);
  }

  async #explain(token: number, classIndex: number, method: CamMethod, onlyTop: boolean): Promise<void> {
    const image = this.#image;
    if (!image) return;
    const request = this.#request;
    // The top-5 request runs beside the map requests and never shows a map.
    const current = (): boolean => token === this.#token && !onlyTop && request === this.#request;
    if (!onlyTop) this.explaining = true;
    try {
      const layer = onlyTop ? undefined : (this.layer ?? undefined);
      const result = await this.#api.explainImage({ imageId: image.id, runId: this.#run?.id, classIndex, method, layer });
      if (token === this.#token && result.top.length > (this.top5?.length ?? 0)) this.top5 = result.top;
      if (current()) {
        this.explanation = result;
        this.explainError = null;
      }
    } catch (error) {
      if (current()) this.explainError = errorMessage(error);
    } finally {
      if (current()) this.explaining = false;
    }
  }

  #loadMetrics(token: number): void {
    const image = this.#image;
    if (!image || image.status !== 'done') return;
    void this.#api.getMetrics({ imageId: image.id, runId: this.#run?.id }).then(
      ({ metrics }) => {
        if (token !== this.#token) return;
        this.metrics = metrics;
        this.metricsFor = image.id;
      },
      () => undefined,
    );
  }

  async #loadCompare(token: number): Promise<void> {
    const image = this.#image;
    const target = this.compare;
    if (!image || !target) return;
    this.compareBusy = true;
    try {
      let map: Heatmap | null;
      if (target.kind === 'run') {
        const [row] = await this.#api.getImages({ imageIds: [image.id], runId: target.runId });
        map = row?.heatmap ?? null;
      } else {
        const classIndex = this.classIndex ?? image.top[0]?.index ?? 0;
        map = (await this.#api.explainImage({ imageId: image.id, runId: this.#run?.id, classIndex, method: target.method })).heatmap;
      }
      // Ended or changed meanwhile: the map of a comparison no longer asked for is dropped.
      if (token === this.#token && this.compare === target) this.compareMap = map;
    } catch (error) {
      if (token === this.#token) this.explainError = errorMessage(error);
    } finally {
      if (token === this.#token) this.compareBusy = false;
    }
  }
}
