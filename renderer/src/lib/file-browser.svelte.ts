// The browser mode's picker: a page cannot see the machine's files, so the host lists its folders (`browse`),
// one folder at a time, marking the entries that are models Sightline can open, or listing the labels files.
import type { Api, CallInput } from '../../../common/contract';
import type { BrowseResult } from '../../../common/types';
import { errorMessage } from './format';

export type BrowseShow = NonNullable<CallInput<'browse'>['show']>;

export class FileBrowserState {
  listing = $state.raw<BrowseResult | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);

  readonly #api: Api;
  readonly #show: BrowseShow;
  /** The folder listed first (default: the home folder). */
  readonly start: string | undefined;
  /** Bumped on every request, so a slow answer for a folder left already is dropped. */
  #request = 0;

  constructor(api: Api, show: BrowseShow, start?: string) {
    this.#api = api;
    this.#show = show;
    this.start = start;
  }

  /** Lists a folder (`~` or nothing: the home folder). */
  async open(path?: string): Promise<void> {
    const request = ++this.#request;
    this.loading = true;
    try {
      const listing = await this.#api.browse({ path: path?.trim() || undefined, show: this.#show });
      if (request !== this.#request) return;
      this.listing = listing;
      this.error = null;
    } catch (error) {
      if (request === this.#request) this.error = errorMessage(error);
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }

  /** What the listing holds besides folders. */
  get show(): BrowseShow {
    return this.#show;
  }
}
