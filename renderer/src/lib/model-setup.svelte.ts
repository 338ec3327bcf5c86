// The Setup view's draft: a model's setup as the person edits it, before Save; and the preview map of one photo
// under the draft (computed by the engine, stored nowhere).
import type { Api, CallOutputs } from '../../../common/contract';
import type { ImageRow, ModelSetup, ModelSummary } from '../../../common/types';
import { errorMessage } from './format';

export type Preview = CallOutputs['previewModel'];

const sameSetup = (a: ModelSetup, b: ModelSetup): boolean =>
  a.preprocessing === b.preprocessing && a.resize === b.resize && a.labelSource === b.labelSource && a.labelsFile === b.labelsFile && a.layer === b.layer;

export class SetupDraft {
  /** The library's entry: what the draft is compared with, and where Reset goes back to. */
  model: ModelSummary;
  setup: ModelSetup;
  preview = $state.raw<Preview | null>(null);
  /** The library's row of the preview's photo, to draw the map over it; null when the photo is not in the library. */
  previewImage = $state.raw<ImageRow | null>(null);
  previewing = $state(false);
  previewError = $state<string | null>(null);

  readonly #api: Api;
  /** The photo to preview on (the gallery's focused one); null: the service picks a sample photo. */
  readonly #imageId: number | null;
  #request = 0;

  constructor(api: Api, model: ModelSummary, imageId: number | null) {
    this.#api = api;
    this.#imageId = imageId;
    this.model = $state.raw(model);
    this.setup = $state.raw({ ...model.setup });
  }

  /** Whether the draft differs from what the library holds. */
  get dirty(): boolean {
    return !sameSetup(this.setup, this.model.setup);
  }

  get isProposed(): boolean {
    return sameSetup(this.setup, this.model.proposed);
  }

  update(change: Partial<ModelSetup>): void {
    this.setup = { ...this.setup, ...change };
  }

  resetToProposed(): void {
    this.setup = { ...this.model.proposed };
  }

  /** After Save: the library's entry is the new reference. */
  saved(model: ModelSummary): void {
    this.model = model;
    this.setup = { ...model.setup };
  }

  async refreshPreview(): Promise<void> {
    const request = ++this.#request;
    this.previewing = true;
    try {
      const preview = await this.#api.previewModel({ modelId: this.model.id, setup: this.setup, imageId: this.#imageId ?? undefined });
      const [image] = preview.imageId === null ? [] : await this.#api.getImages({ imageIds: [preview.imageId] });
      if (request !== this.#request) return;
      this.preview = preview;
      this.previewImage = image ?? null;
      this.previewError = null;
    } catch (error) {
      if (request === this.#request) this.previewError = errorMessage(error);
    } finally {
      if (request === this.#request) this.previewing = false;
    }
  }
}
