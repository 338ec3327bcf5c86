// The browser mode's picker: a page cannot see the machine's files, so the host lists its folders (`browse`),
// one folder at a time, marking the entries that are models Sightline can open, or listing the labels files.
import { SvelteMap } from 'svelte/reactivity';
import type { Api, CallInput } from '../../../common/contract';
import type { BrowseResult } from '../../../common/types';
import { errorMessage } from './format';

export type BrowseShow = NonNullable<CallInput<'browse'>['show']>;

/** The photos in a folder and below, as a listing of the folder above counted them. */
export interface PhotoCount {
  count: number;
  capped: boolean;
}

export class FileBrowserState {
  listing = $state.raw<BrowseResult | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);

  readonly #api: Api;
  readonly #show: BrowseShow;
  /** The folder listed first (default: the home folder). */
  readonly start: string | undefined;
  /** Which of the library's recent paths this picker offers (the photo picker its folders, the model picker its models). */
  readonly #offerRecent: (path: string) => boolean;
  /** Bumped on every request, so a slow answer for a folder left already is dropped. */
  #request = 0;
  /** Photo counts of the folders listed so far, by path: a folder without subfolders says how many it holds. */
  readonly #counts = new SvelteMap<string, PhotoCount>();

  constructor(api: Api, show: BrowseShow, start?: string, offerRecent: (path: string) => boolean = () => true) {
    this.#api = api;
    this.#show = show;
    this.start = start;
    this.#offerRecent = offerRecent;
  }

  /** The recent paths this picker offers. */
  get recent(): string[] {
    return (this.listing?.recent ?? []).filter((path) => this.#offerRecent(path));
  }

  /** The photos in the folder listed (and below), when a listing of the folder above counted them. */
  get photoCount(): PhotoCount | null {
    const path = this.listing?.path;
    return path === undefined ? null : (this.#counts.get(path) ?? null);
  }

  /** Lists a folder (`~` or nothing: the home folder). */
  async open(path?: string): Promise<void> {
    const request = ++this.#request;
    this.loading = true;
    try {
      const listing = await this.#api.browse({ path: path?.trim() || undefined, show: this.#show });
      if (request !== this.#request) return;
      this.#remember(listing);
      this.listing = listing;
      this.error = null;
      // A folder typed or reached without its parent's listing: the parent's counts it, quietly.
      if (this.#show === 'folders' && listing.entries.length === 0 && listing.parent && !this.#counts.has(listing.path)) {
        void this.#api.browse({ path: listing.parent, show: this.#show }).then((parent) => this.#remember(parent), () => undefined);
      }
    } catch (error) {
      if (request === this.#request) this.error = errorMessage(error);
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }

  #remember(listing: BrowseResult): void {
    for (const entry of listing.entries) {
      if (entry.photoCount !== undefined) this.#counts.set(entry.path, { count: entry.photoCount, capped: entry.photoCountCapped === true });
    }
  }

  /** What the listing holds besides folders. */
  get show(): BrowseShow {
    return this.#show;
  }
}
