// Free-form tags from the gallery: the tag box for the photos a key applies to, tags added and removed on many
// photos at once, and undo. Rows show the change as soon as the library confirms it.
import type { Api } from '../../../common/contract';
import type { TagChange } from '../../../common/query';
import { errorMessage } from './format';
import { applyTags } from './tag-text';
import type { RowCache } from './row-cache.svelte';

const UNDO_DEPTH = 50;

/**
 * One undoable change, in the dataset it was made in (undo never reverts a change out of sight), with how many
 * verdict changes that dataset's undo history held before it (so undo takes the latest of both).
 */
interface TagUndo {
  datasetId: number | null;
  changes: TagChange[];
  verdictDepth: number;
}

export class Tagging {
  /** The photos the open tag box applies to; null while it is closed. */
  targets = $state.raw<number[] | null>(null);
  history = $state.raw<TagUndo[]>([]);

  readonly #api: Api;
  readonly #rows: RowCache;
  readonly #onError: (message: string) => void;
  readonly #onChanged: () => void;

  constructor(api: Api, rows: RowCache, onError: (message: string) => void, onChanged: () => void) {
    this.#api = api;
    this.#rows = rows;
    this.#onError = onError;
    this.#onChanged = onChanged;
  }

  open(imageIds: readonly number[]): void {
    if (imageIds.length === 0) return;
    this.targets = [...imageIds];
    void this.#rows.load(imageIds);
  }

  close(): void {
    this.targets = null;
  }

  /** The tags of the open box's photos, each with how many of them have it. */
  get current(): { tag: string; count: number }[] {
    const counts = new Map<string, { tag: string; count: number }>();
    for (const id of this.targets ?? []) {
      for (const tag of this.#rows.peek(id)?.tags ?? []) {
        const entry = counts.get(tag.toLowerCase()) ?? { tag, count: 0 };
        entry.count++;
        counts.set(tag.toLowerCase(), entry);
      }
    }
    return [...counts.values()].sort((a, b) => a.tag.localeCompare(b.tag));
  }

  /** Adds and removes tags on the photos of this dataset; `verdictDepth` is its verdict undo history's length now. */
  async change(datasetId: number | null, imageIds: readonly number[], add: string[], remove: string[], verdictDepth: number): Promise<void> {
    if (imageIds.length === 0 || add.length + remove.length === 0) return;
    try {
      const { previous } = await this.#api.setTags({ imageIds: [...imageIds], add, remove });
      for (const { imageId, tags } of previous) this.#rows.patch(imageId, { tags: applyTags(tags, add, remove) });
      this.history = [...this.history.slice(-(UNDO_DEPTH - 1)), { datasetId, changes: previous, verdictDepth }];
    } catch (error) {
      this.#onError(`The tags were not saved: ${errorMessage(error)}`);
    }
    this.#onChanged();
  }

  /** Whether the dataset has a tag change to undo. */
  canUndo(datasetId: number | null): boolean {
    return this.history.some((entry) => entry.datasetId === datasetId);
  }

  /** Whether the dataset's last tag change came after the last verdict change still in its verdicts' undo history. */
  isLatest(datasetId: number | null, verdictDepth: number): boolean {
    const last = this.history.findLast((entry) => entry.datasetId === datasetId);
    return last !== undefined && last.verdictDepth >= verdictDepth;
  }

  /** Undoes the dataset's last tag change. */
  async undo(datasetId: number | null): Promise<void> {
    const index = this.history.findLastIndex((entry) => entry.datasetId === datasetId);
    const last = this.history[index];
    if (!last) return;
    this.history = this.history.filter((_, i) => i !== index);
    try {
      await this.#api.restoreTags({ changes: last.changes });
      for (const { imageId, tags } of last.changes) this.#rows.patch(imageId, { tags });
    } catch (error) {
      this.#onError(`The tags could not be put back: ${errorMessage(error)}`);
    }
    this.#onChanged();
  }
}
