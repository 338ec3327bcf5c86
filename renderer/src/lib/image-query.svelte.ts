// The filtered, sorted list of the dataset's image ids and its facet counts, as the library computes them.
import type { Api } from '../../../common/contract';
import { EMPTY_FILTER, type ImageFilter, type ImageSort, type QueryResult } from '../../../common/query';
import { DEFAULT_SORT } from './preferences';

const SEARCH_DEBOUNCE_MS = 200;

export class ImageQuery {
  filter = $state.raw<ImageFilter>(EMPTY_FILTER);
  sort = $state.raw<ImageSort>(DEFAULT_SORT);
  result = $state.raw<QueryResult | null>(null);

  readonly ids = $derived(this.result?.ids ?? []);
  readonly filtered = $derived(
    this.filter.predicted.length + this.filter.truth.length + this.filter.correctness.length + this.filter.verdicts.length > 0 ||
      this.filter.minConfidence > 0 ||
      this.filter.maxConfidence < 1 ||
      this.filter.search.trim() !== '' ||
      this.filter.suggested === true ||
      this.filter.failed === true ||
      (this.filter.groups?.length ?? 0) > 0 ||
      (this.filter.tags?.length ?? 0) > 0,
  );

  readonly #api: Api;
  readonly #onError: (error: unknown) => void;
  #target: { datasetId: number; runId: number | null } | null = null;
  #sequence = 0;
  #searchTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(api: Api, onError: (error: unknown) => void, filter: ImageFilter, sort: ImageSort) {
    this.#api = api;
    this.#onError = onError;
    this.filter = filter;
    this.sort = sort;
  }

  /** Points the query at a dataset and run and runs it. */
  target(datasetId: number | null, runId: number | null): Promise<void> {
    this.#target = datasetId === null ? null : { datasetId, runId };
    this.result = null;
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

  /** Runs the query; an answer that a newer query has overtaken is dropped. */
  async refresh(): Promise<void> {
    const target = this.#target;
    if (!target) return;
    const sequence = ++this.#sequence;
    try {
      const result = await this.#api.queryImages({
        datasetId: target.datasetId,
        runId: target.runId ?? undefined,
        filter: this.filter,
        sort: this.sort,
      });
      if (sequence === this.#sequence) this.result = result;
    } catch (error) {
      if (sequence === this.#sequence) this.#onError(error);
    }
  }
}
