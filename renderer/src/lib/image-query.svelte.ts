// The filtered, sorted list of the dataset's image ids and its facet counts, as the library computes them. The
// answer carries the facets, how many photos match and the first window of ids; the list reads the rest as needed.
import type { Api } from '../../../common/contract';
import { EMPTY_FILTER, hasConditions, type ImageFilter, type ImageSort } from '../../../common/query-values';
import type { QueryResult } from '../../../common/query';
import type { ImageRow } from '../../../common/types';
import { IdList, PAGE, type ListQuery } from './id-list.svelte';
import { DEFAULT_SORT } from './preferences';

const SEARCH_DEBOUNCE_MS = 200;
/** The ids the query's answer brings with it: the first page of the list, more than the first screen shows. */
export const FIRST_WINDOW = PAGE;
/** The rows it brings too, unless told how many the first screen shows (`firstRows`). */
export const FIRST_ROWS = 60;

export class ImageQuery {
  filter = $state.raw<ImageFilter>(EMPTY_FILTER);
  sort = $state.raw<ImageSort>(DEFAULT_SORT);
  result = $state.raw<QueryResult | null>(null);

  /** The matching ids in order, a page at a time. */
  readonly ids: IdList;
  readonly filtered = $derived(hasConditions(this.filter));

  readonly #api: Api;
  readonly #onError: (error: unknown) => void;
  readonly #onRows: (rows: ImageRow[], runId: number | null) => void;
  /** How many rows each answer brings: the first screen's tiles, drawn without another call. */
  firstRows: () => number = () => FIRST_ROWS;
  /** Called after each answer with its facets counted (not an early one). */
  onCounted: () => void = () => undefined;
  #target: { datasetId: number; runId: number | null } | null = null;
  /** The next query may be answered early (the first of a dataset: its columns may still be being read). */
  #early = false;
  #sequence = 0;
  #searchTimer: ReturnType<typeof setTimeout> | null = null;

  /** `onRows`: takes the rows of the first screen that come with each answer, before the answer is shown. */
  constructor(
    api: Api,
    onError: (error: unknown) => void,
    filter: ImageFilter,
    sort: ImageSort,
    onRows: (rows: ImageRow[], runId: number | null) => void = () => undefined,
  ) {
    this.#api = api;
    this.#onError = onError;
    this.#onRows = onRows;
    this.ids = new IdList(api, onError);
    this.filter = filter;
    this.sort = sort;
  }

  /** How many images match the filter (the list's length). */
  get count(): number {
    return this.ids.length;
  }

  /** Points the query at a dataset and run and runs it. */
  target(datasetId: number | null, runId: number | null): Promise<void> {
    this.#target = datasetId === null ? null : { datasetId, runId };
    this.result = null;
    this.ids.clear();
    this.#early = true;
    return this.refresh();
  }

  setFilter(patch: Partial<ImageFilter>): Promise<void> {
    this.filter = { ...this.filter, ...patch };
    return this.refresh();
  }

  /** Typing in the search field asks again once the typing pauses. */
  setSearch(search: string): void {
    this.filter = { ...this.filter, search };
    if (this.#searchTimer) clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => void this.refresh(), SEARCH_DEBOUNCE_MS);
  }

  /** Adds the value to a list facet, or takes it out. */
  toggle<K extends 'predicted' | 'truth' | 'correctness' | 'verdicts' | 'groups' | 'tags'>(
    facet: K,
    value: NonNullable<ImageFilter[K]>[number],
  ): Promise<void> {
    const list = (this.filter[facet] ?? []) as readonly unknown[];
    const next = list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
    return this.setFilter({ [facet]: next } as Partial<ImageFilter>);
  }

  clear(): Promise<void> {
    this.filter = EMPTY_FILTER;
    return this.refresh();
  }

  /** Shows another filter and sort at once (a saved view). */
  show(filter: ImageFilter, sort: ImageSort): Promise<void> {
    this.filter = filter;
    this.sort = sort;
    return this.refresh();
  }

  setSort(sort: ImageSort): Promise<void> {
    this.sort = sort;
    return this.refresh();
  }

  /**
   * Runs the query; an answer that a newer query has overtaken is dropped. The first query of a dataset may be
   * answered early, while the library reads the dataset's columns: its photos are shown, and the same query is
   * asked again for the facets, which that answer brings once the read is done.
   */
  async refresh(): Promise<void> {
    const target = this.#target;
    if (!target) return;
    const sequence = ++this.#sequence;
    const early = this.#early;
    this.#early = false;
    const query: ListQuery = { datasetId: target.datasetId, runId: target.runId ?? undefined, filter: this.filter, sort: this.sort };
    try {
      const result = await this.#api.queryImages({ ...query, offset: 0, limit: FIRST_WINDOW, rows: this.firstRows(), ...(early ? { early } : {}) });
      if (sequence === this.#sequence) {
        const { rows = [], ...answer } = result;
        this.#onRows(rows, target.runId);
        this.result = answer;
        this.ids.reset(result, query);
        if (answer.pending) void this.refresh();
        else this.onCounted();
      }
    } catch (error) {
      if (sequence === this.#sequence) this.#onError(error);
    }
  }
}
