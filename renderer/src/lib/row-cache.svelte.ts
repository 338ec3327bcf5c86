// Image rows by id, fetched a page at a time as tiles ask for them, so a grid of 10,000 loads only what is seen.
import { SvelteMap } from 'svelte/reactivity';
import type { Api } from '../../../common/contract';
import type { ImageRow } from '../../../common/types';

const PAGE = 200;

export class RowCache {
  readonly #rows = new SvelteMap<number, ImageRow>();
  readonly #api: Api;
  readonly #onError: (error: unknown) => void;
  /** Requested and not yet asked for / in flight; plain sets, so that asking during a render is safe. */
  readonly #wanted = new Set<number>();
  readonly #inFlight = new Set<number>();
  #runId: number | null = null;
  #generation = 0;
  #flushQueued = false;

  constructor(api: Api, onError: (error: unknown) => void) {
    this.#api = api;
    this.#onError = onError;
  }

  /** The row if loaded; otherwise null, and it is fetched soon. */
  get(id: number): ImageRow | null {
    const row = this.#rows.get(id);
    if (!row && !this.#inFlight.has(id)) this.#want(id);
    return row ?? null;
  }

  /** The run whose results the rows show (null: the dataset has none). */
  get runId(): number | null {
    return this.#runId;
  }

  /** The row if loaded, without asking for it. */
  peek(id: number): ImageRow | null {
    return this.#rows.get(id) ?? null;
  }

  /** Fetches these rows now (the open image, or a page around it). */
  async load(ids: readonly number[]): Promise<void> {
    for (const id of ids) if (!this.#rows.has(id)) this.#wanted.add(id);
    await this.#flush();
  }

  /** Rows that came with a query's answer for this run; a row already here keeps its local state. */
  seed(rows: readonly ImageRow[], runId: number | null): void {
    if (runId !== this.#runId) return;
    for (const row of rows) if (!this.#rows.has(row.id)) this.#rows.set(row.id, row);
  }

  patch(id: number, patch: Partial<ImageRow>): void {
    const row = this.#rows.get(id);
    if (row) this.#rows.set(id, { ...row, ...patch });
  }

  /** Forgets everything: a new dataset or run. */
  reset(runId: number | null): void {
    this.#runId = runId;
    this.#generation++;
    this.#rows.clear();
    this.#wanted.clear();
    this.#inFlight.clear();
  }

  /** Re-reads the loaded rows (results arrived); `keep` says which local fields win over the library's. */
  async reload(keep: (fresh: ImageRow) => ImageRow = (fresh) => fresh): Promise<void> {
    const ids = [...this.#rows.keys()];
    const generation = this.#generation;
    for (let i = 0; i < ids.length; i += PAGE) {
      const rows = await this.#api.getImages({ imageIds: ids.slice(i, i + PAGE), runId: this.#runId ?? undefined });
      if (generation !== this.#generation) return;
      for (const row of rows) this.#rows.set(row.id, keep(row));
    }
  }

  /** Re-reads these rows where loaded (changed by a write the page did not patch in, such as an undo in another run). */
  async refresh(ids: readonly number[], keep: (fresh: ImageRow) => ImageRow = (fresh) => fresh): Promise<void> {
    const loaded = ids.filter((id) => this.#rows.has(id));
    const generation = this.#generation;
    for (let i = 0; i < loaded.length; i += PAGE) {
      const rows = await this.#api.getImages({ imageIds: loaded.slice(i, i + PAGE), runId: this.#runId ?? undefined });
      if (generation !== this.#generation) return;
      for (const row of rows) this.#rows.set(row.id, keep(row));
    }
  }

  #want(id: number): void {
    this.#wanted.add(id);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    this.#flushQueued = false;
    const ids = [...this.#wanted];
    this.#wanted.clear();
    const generation = this.#generation;
    const pages: Promise<void>[] = [];
    for (let i = 0; i < ids.length; i += PAGE) {
      const page = ids.slice(i, i + PAGE);
      page.forEach((id) => this.#inFlight.add(id));
      pages.push(
        this.#api
          .getImages({ imageIds: page, runId: this.#runId ?? undefined })
          .then((rows) => {
            if (generation !== this.#generation) return;
            for (const row of rows) this.#rows.set(row.id, row);
          })
          .catch(this.#onError)
          .finally(() => page.forEach((id) => this.#inFlight.delete(id))),
      );
    }
    await Promise.all(pages);
  }
}
