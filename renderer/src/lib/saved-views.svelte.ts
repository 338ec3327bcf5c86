// Saved views from the sidebar: the current filters, sort and overlay under a name, for this dataset or for
// every dataset; choosing one brings all three back.
import type { Api } from '../../../common/contract';
import { EMPTY_FILTER } from '../../../common/query-values';
import type { SavedView, ViewState } from '../../../common/query';
import { COLORMAPS, type ColormapName } from './colormaps';
import { errorMessage } from './format';
import type { ImageQuery } from './image-query.svelte';
import type { OverlaySettings } from './overlay-settings.svelte';

export class SavedViewList {
  views = $state.raw<SavedView[]>([]);
  /** The view last chosen or saved, marked in the list. */
  activeId = $state<number | null>(null);

  readonly #api: Api;
  readonly #query: ImageQuery;
  readonly #overlay: OverlaySettings;
  readonly #onError: (message: string) => void;
  #datasetId: number | null = null;

  constructor(api: Api, query: ImageQuery, overlay: OverlaySettings, onError: (message: string) => void) {
    this.#api = api;
    this.#query = query;
    this.#overlay = overlay;
    this.#onError = onError;
  }

  /** The views offered on this dataset. */
  async load(datasetId: number | null): Promise<void> {
    this.#datasetId = datasetId;
    this.activeId = null;
    if (datasetId === null) {
      this.views = [];
      return;
    }
    await this.#attempt(async () => {
      const views = await this.#api.listViews({ datasetId });
      if (this.#datasetId === datasetId) this.views = views;
    });
  }

  get state(): ViewState {
    return { filter: this.#query.filter, sort: this.#query.sort, overlay: this.#overlay.prefs };
  }

  /** Saves what the gallery shows now; `everywhere`: offered on every dataset. */
  async save(name: string, everywhere: boolean): Promise<void> {
    const datasetId = this.#datasetId;
    if (datasetId === null) return;
    await this.#attempt(async () => {
      const saved = await this.#api.saveView({ datasetId: everywhere ? null : datasetId, name, state: this.state });
      this.views = await this.#api.listViews({ datasetId });
      this.activeId = saved.id;
    });
  }

  async apply(view: SavedView): Promise<void> {
    const { overlay } = view.state;
    this.#overlay.restore({ ...overlay, colormap: COLORMAPS.includes(overlay.colormap as ColormapName) ? (overlay.colormap as ColormapName) : 'turbo' });
    this.activeId = view.id;
    await this.#query.show({ ...EMPTY_FILTER, ...view.state.filter }, view.state.sort);
  }

  async remove(view: SavedView): Promise<void> {
    await this.#attempt(async () => {
      await this.#api.deleteView({ viewId: view.id });
      this.views = this.views.filter((v) => v.id !== view.id);
      if (this.activeId === view.id) this.activeId = null;
    });
  }

  async #attempt(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.#onError(errorMessage(error));
    }
  }
}
