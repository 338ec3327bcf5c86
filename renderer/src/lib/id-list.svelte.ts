// The filtered, sorted list of image ids, held sparsely: the query's answer brings its first page with the facet
// counts and says how long the list is; the other pages (PAGE ids each) are read when the grid shows them, a range
// is selected, or the detail view steps into them, so a filter click on a million photos moves a page of ids, not
// megabytes. A new answer of the query starts a new generation: pages that answer for an older one are dropped.
import { untrack } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import type { Api } from '../../../common/contract';
import { MAX_ID_WINDOW, type ImageFilter, type ImageSort } from '../../../common/query-values';
import type { IdWindow } from '../../../common/query';
import { pageRuns, pagesOf } from './id-pages';

/** Ids are read this many at a time, in pages aligned on multiples of PAGE. */
export const PAGE = 500;
/** The most pages one request reads (a select-all reads windows of MAX_ID_WINDOW ids). */
const MAX_PAGES_PER_REQUEST = Math.floor(MAX_ID_WINDOW / PAGE);

/** What a list was queried with; every page of one generation is read with the same. */
export interface ListQuery {
  datasetId: number;
  runId: number | undefined;
  filter: ImageFilter;
  sort: ImageSort;
}

/** A list of ids of which only some are at hand: what the selection and the grid read. */
export interface IdSource {
  /** How many ids the whole list has. */
  readonly length: number;
  /** The id at this index when its page is loaded (its page is asked for otherwise). */
  at(index: number): number | undefined;
  /** The ids from `from` up to `to` when every page of the range is loaded; null otherwise. Asks for nothing. */
  loaded(from: number, to: number): number[] | null;
  /** The ids from `from` up to `to`, reading the pages that are missing. */
  load(from: number, to: number): Promise<number[]>;
}

type Pages = ReadonlyMap<number, readonly number[]>;

const sameQuery = (a: ListQuery, b: ListQuery): boolean =>
  a.datasetId === b.datasetId &&
  a.runId === b.runId &&
  a.sort.key === b.sort.key &&
  a.sort.descending === b.sort.descending &&
  (a.filter === b.filter || JSON.stringify(a.filter) === JSON.stringify(b.filter));

export class IdList implements IdSource {
  /** How many images match the query: the length of the whole list. */
  count = $state(0);

  /** This generation's pages by number; a SvelteMap, so a tile re-renders only when its own page arrives. */
  readonly #pages = new SvelteMap<number, readonly number[]>();
  /**
   * The pages of the list before the query was asked again unchanged (a recount after a verdict, results arriving
   * during a job): shown while their fresh copies are on the way, so the grid does not blink. Never kept across
   * another filter, sort, dataset or run.
   */
  #stale = new Map<number, readonly number[]>();
  /** Pages asked for in this generation and not answered yet, each with its request. Plain, so asking during a render is safe. */
  readonly #inFlight = new Map<number, Promise<Pages>>();
  readonly #wanted = new Set<number>();
  #flushQueued = false;
  #query: ListQuery | null = null;
  #generation = 0;
  readonly #api: Api;
  readonly #onError: (error: unknown) => void;

  constructor(api: Api, onError: (error: unknown) => void) {
    this.#api = api;
    this.#onError = onError;
  }

  get length(): number {
    return this.count;
  }

  at(index: number): number | undefined {
    if (!(index >= 0 && index < this.count)) return undefined;
    const page = Math.floor(index / PAGE);
    const ids = this.#pages.get(page);
    if (ids) return ids[index - page * PAGE];
    this.#want(page);
    return this.#stale.get(page)?.[index - page * PAGE];
  }

  /** Asks for the pages around the indices from `from` to `to` (the rows on screen), half a page either side. */
  prefetch(from: number, to: number): void {
    untrack(() => {
      for (const page of pagesOf(Math.max(0, from - PAGE / 2), Math.min(this.count, to + PAGE / 2), PAGE)) {
        if (!this.#pages.has(page)) this.#want(page);
      }
    });
  }

  loaded(from: number, to: number): number[] | null {
    return untrack(() => {
      const start = Math.max(0, from);
      const end = Math.min(to, this.count);
      const pages = new Map<number, readonly number[]>();
      for (const page of pagesOf(start, end, PAGE)) {
        const ids = this.#pages.get(page);
        if (!ids) return null;
        pages.set(page, ids);
      }
      return slice(pages, start, end);
    });
  }

  /**
   * The ids of the range as this generation lists them, reading the missing pages in windows of up to
   * MAX_ID_WINDOW ids. A newer query meanwhile does not change the answer: the range is the one the person saw.
   */
  async load(from: number, to: number): Promise<number[]> {
    const known = this.loaded(from, to);
    if (known) return known;
    const query = this.#query;
    if (!query) return [];
    const start = Math.max(0, from);
    const end = Math.min(to, this.count);
    const pages = new Map<number, readonly number[]>();
    const waits = new Set<Promise<Pages>>();
    const missing: number[] = [];
    untrack(() => {
      for (const page of pagesOf(start, end, PAGE)) {
        const ids = this.#pages.get(page);
        const inFlight = this.#inFlight.get(page);
        if (ids) pages.set(page, ids);
        else if (inFlight) waits.add(inFlight);
        else missing.push(page);
      }
    });
    for (const run of pageRuns(missing, MAX_PAGES_PER_REQUEST)) waits.add(this.#fetch(run.first, run.last, query));
    for (const answer of await Promise.all(waits)) for (const [page, ids] of answer) pages.set(page, ids);
    return slice(pages, start, end);
  }

  /** The index of the id among the loaded pages; -1 when it is not in one. */
  indexOf(id: number): number {
    for (const [page, ids] of this.#pages) {
      const index = ids.indexOf(id);
      if (index >= 0) return page * PAGE + index;
    }
    return -1;
  }

  /** A new answer of the query: its length and first window; the pages of the list before are dropped. */
  reset(window: Pick<IdWindow, 'ids' | 'offset' | 'count'>, query: ListQuery): void {
    const previous = this.#query;
    untrack(() => {
      if (previous && sameQuery(previous, query)) for (const [page, ids] of this.#pages) this.#stale.set(page, ids);
      else this.#stale = new Map();
    });
    this.#start(query, window.count);
    // The pages the window covers whole (the last page of the list may be shorter).
    const { ids, offset } = window;
    for (let page = Math.ceil(offset / PAGE); page * PAGE < window.count; page++) {
      const begin = page * PAGE - offset;
      const finish = Math.min(page * PAGE + PAGE, window.count) - offset;
      if (finish > ids.length) break;
      this.#store(page, ids.slice(begin, finish));
    }
  }

  /** No list (no dataset open). */
  clear(): void {
    this.#stale = new Map();
    this.#start(null, 0);
  }

  #start(query: ListQuery | null, count: number): void {
    this.#generation++;
    this.#query = query;
    this.#pages.clear();
    this.#inFlight.clear();
    this.#wanted.clear();
    this.count = count;
  }

  #store(page: number, ids: readonly number[]): void {
    this.#pages.set(page, ids);
    this.#stale.delete(page);
  }

  #want(page: number): void {
    if (this.#inFlight.has(page) || this.#wanted.has(page)) return;
    this.#wanted.add(page);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    const pages = [...this.#wanted].filter((page) => !this.#inFlight.has(page) && !this.#pages.has(page));
    this.#wanted.clear();
    const query = this.#query;
    if (!query) return;
    for (const run of pageRuns(pages, MAX_PAGES_PER_REQUEST)) void this.#fetch(run.first, run.last, query);
  }

  /** Reads pages `first` to `last` in one request; they are kept if the generation is still the same when they come. */
  #fetch(first: number, last: number, query: ListQuery): Promise<Pages> {
    const generation = this.#generation;
    const offset = first * PAGE;
    const limit = Math.max(0, Math.min((last + 1) * PAGE, this.count) - offset);
    const request = this.#api.queryImageIds({ ...query, offset, limit }).then((window) => {
      const pages = new Map<number, readonly number[]>();
      for (let page = first; page <= last; page++) pages.set(page, window.ids.slice(page * PAGE - window.offset, (page + 1) * PAGE - window.offset));
      return pages;
    });
    for (let page = first; page <= last; page++) this.#inFlight.set(page, request);
    request.then(
      (pages) => {
        if (generation !== this.#generation) return;
        for (const [page, ids] of pages) {
          this.#inFlight.delete(page);
          this.#store(page, ids);
        }
      },
      (error: unknown) => {
        if (generation !== this.#generation) return;
        for (let page = first; page <= last; page++) this.#inFlight.delete(page);
        this.#onError(error);
      },
    );
    return request;
  }
}

/** The ids from `start` to `end` out of these pages (each page is PAGE ids from page × PAGE). */
function slice(pages: Pages, start: number, end: number): number[] {
  const ids: number[] = [];
  for (const page of pagesOf(start, end, PAGE)) {
    const base = page * PAGE;
    const part = pages.get(page) ?? [];
    ids.push(...part.slice(Math.max(start, base) - base, Math.min(end, base + PAGE) - base));
  }
  return ids;
}
