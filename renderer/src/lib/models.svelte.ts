// The library's model registry as the gallery sees it: the models, the active one, adding one (the desktop's native
// dialog or a path from the file browser) and making one active. The Models view and its Setup view read it.
import type { Api } from '../../../common/contract';
import type { ModelSetup, ModelSummary } from '../../../common/types';
import { FileBrowserState, type BrowseShow } from './file-browser.svelte';
import { errorMessage } from './format';
import { SetupDraft } from './model-setup.svelte';

export class ModelLibrary {
  models = $state.raw<ModelSummary[]>([]);
  loaded = $state(false);
  busy = $state(false);
  error = $state<string | null>(null);

  readonly active = $derived(this.models.find((m) => m.active) ?? null);

  readonly #api: Api;

  constructor(api: Api) {
    this.#api = api;
  }

  /** Desktop only: the native dialog for a model folder or file. */
  get canPickModel(): boolean {
    return typeof this.#api.pickModel === 'function';
  }

  /**
   * The browser mode's picker over the host's folders. The library's recent paths are its datasets' folders and
   * its models: the photo picker offers the folders, the model picker the models.
   */
  browser(show: BrowseShow): FileBrowserState {
    const isModel = (path: string): boolean => this.models.some((m) => m.path === path);
    return new FileBrowserState(this.#api, show, undefined, show === 'models' ? isModel : (path) => !isModel(path));
  }

  /** A draft of the model's setup for the Setup view, previewed on the photo given (else a sample photo). */
  draft(model: ModelSummary, imageId: number | null): SetupDraft {
    return new SetupDraft(this.#api, model, imageId);
  }

  byId(modelId: number | null | undefined): ModelSummary | null {
    return this.models.find((m) => m.id === modelId) ?? null;
  }

  async load(): Promise<void> {
    await this.#attempt(async () => {
      this.models = await this.#api.listModels({});
      this.loaded = true;
    });
  }

  /** Adds a model folder or file; the same bytes added again give back their entry. */
  async add(path: string): Promise<ModelSummary | null> {
    const trimmed = path.trim();
    if (!trimmed) {
      this.error = 'Choose a model folder (with model.onnx or model.json) or a .onnx, .h5 or .keras file.';
      return null;
    }
    this.busy = true;
    try {
      const model = await this.#api.addModel({ path: trimmed });
      await this.load();
      this.error = null;
      return this.byId(model.id) ?? model;
    } catch (error) {
      this.error = `Could not add ${trimmed}: ${errorMessage(error)}`;
      return null;
    } finally {
      this.busy = false;
    }
  }

  /** Desktop: the native dialog, then add what was chosen (null when cancelled). */
  async pickAndAdd(): Promise<ModelSummary | null> {
    const picked = await this.#api.pickModel?.();
    return picked ? this.add(picked) : null;
  }

  async activate(modelId: number): Promise<void> {
    await this.#attempt(async () => {
      await this.#api.setActiveModel({ modelId });
      await this.load();
    });
  }

  async saveSetup(modelId: number, setup: ModelSetup): Promise<ModelSummary | null> {
    this.busy = true;
    try {
      const saved = await this.#api.setModelSetup({ modelId, setup });
      this.models = this.models.map((m) => (m.id === saved.id ? saved : m));
      this.error = null;
      return saved;
    } catch (error) {
      this.error = `The setup was not saved: ${errorMessage(error)}`;
      return null;
    } finally {
      this.busy = false;
    }
  }

  dismissError(): void {
    this.error = null;
  }

  async #attempt(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.error = errorMessage(error);
    }
  }
}
