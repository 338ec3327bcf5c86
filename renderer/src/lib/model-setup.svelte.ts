// The Setup view's draft: a model's setup as the person edits it, before Save; choosing its labels file (the
// desktop's native dialog, or the host's file browser); and the preview map of one photo under the draft (computed
// by the engine, stored nowhere).
import type { Api, CallOutputs } from '../../../common/contract';
import type { ImageRow, ModelSetup, ModelSummary } from '../../../common/types';
import { FileBrowserState } from './file-browser.svelte';
import { errorMessage } from './format';

export type Preview = CallOutputs['previewModel'];

/** The folder part of a path, on either kind of separator. */
const folderOf = (file: string): string => file.replace(/[\\/][^\\/]*$/, '') || '/';
const MODEL_FILE = /\.(onnx|h5|keras)$/i;

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

  /** Labels from this file from now on (the path as chosen: the service checks it when it previews). */
  useLabelsFile(file: string): void {
    this.update({ labelSource: 'file', labelsFile: file });
  }

  /** Desktop only: the native dialog for a labels file. */
  get canPickLabelsFile(): boolean {
    return typeof this.#api.pickLabelsFile === 'function';
  }

  /** Desktop: the native dialog, then its file is used (nothing changes when cancelled). */
  async pickLabelsFile(): Promise<void> {
    const picked = await this.#api.pickLabelsFile?.();
    if (picked) this.useLabelsFile(picked);
  }

  /** The browser mode's picker over the host's labels files, opened where the labels file is, else at the model. */
  labelsBrowser(): FileBrowserState {
    const { labelsFile } = this.setup;
    const modelFolder = MODEL_FILE.test(this.model.path) ? folderOf(this.model.path) : this.model.path;
    return new FileBrowserState(this.#api, 'labels', labelsFile ? folderOf(labelsFile) : modelFolder);
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
