// Verdicts (one image or many, with undo) and notes. Writes go out one at a time, in order, so a slow
// request never overwrites a newer edit; rows show the edit at once and keep it while it is on its way.
import type { Api } from '../../../common/contract';
import type { VerdictChange } from '../../../common/query';
import type { ImageRow, Verdict } from '../../../common/types';
import { errorMessage } from './format';
import type { RowCache } from './row-cache.svelte';

const NOTE_SAVE_MS = 500;
const UNDO_DEPTH = 50;

export type SaveState = 'idle' | 'saving' | 'saved' | 'failed';

/** One undo step: the verdicts to put back, under the run they were changed in (a verdict on a map is that run's). */
export interface VerdictUndo {
  runId: number | null;
  changes: VerdictChange[];
}

/**
 * What the row shows once the library has applied the change (reviews.ts setVerdict): a label error is the photo's
 * too; none takes away the run's own verdict, which uncovers the photo's label error, else the label error itself.
 */
function shownAfter(row: ImageRow | null, verdict: Verdict | null, exact: VerdictChange['exact']): Pick<ImageRow, 'verdict' | 'photoVerdict'> {
  const photo = row?.photoVerdict ?? null;
  if (exact) return { verdict, photoVerdict: exact.photo };
  if (verdict === 'label_error') return { verdict, photoVerdict: verdict };
  if (verdict !== null) return { verdict, photoVerdict: photo };
  const ownVerdict = row !== null && row.verdict !== null && row.verdict !== photo;
  return ownVerdict ? { verdict: photo, photoVerdict: photo } : { verdict: null, photoVerdict: null };
}

export class Review {
  /**
   * Whether the open image's note has reached the library: shown beside the note, so a verdict's write leaves it
   * alone (a "Saved" beside an empty note after pressing 1 read as if a note had been written). A verdict that
   * fails to save says so in the gallery's error banner.
   */
  saveState = $state<SaveState>('idle');
  /** The open dataset's undo history: each entry undoes one verdict change (of one image or of a whole selection). */
  history = $state.raw<VerdictUndo[]>([]);

  readonly #api: Api;
  readonly #rows: RowCache;
  readonly #onError: (message: string) => void;
  readonly #onChanged: () => void;
  #writes: Promise<void> = Promise.resolve();
  #noteTimer: ReturnType<typeof setTimeout> | null = null;
  #pendingNote: number | null = null;
  /** The pending note's text as typed: saved even if its row is gone by then (another run chosen meanwhile). */
  #pendingText = '';
  /** Images with local edits the library has not confirmed yet: id → edit count. */
  readonly #unsaved = new Map<number, number>();
  /** Undo history belongs to its dataset: the others' histories wait here while another dataset is open. */
  readonly #histories = new Map<number | null, VerdictUndo[]>();
  #datasetId: number | null = null;

  constructor(api: Api, rows: RowCache, onError: (message: string) => void, onChanged: () => void) {
    this.#api = api;
    this.#rows = rows;
    this.#onError = onError;
    this.#onChanged = onChanged;
  }

  /** Switches to a dataset's own undo history, so that u never reverts a verdict in a dataset out of sight. */
  useDataset(datasetId: number | null): void {
    if (datasetId === this.#datasetId) return;
    this.#histories.set(this.#datasetId, this.history);
    this.#datasetId = datasetId;
    this.history = this.#histories.get(datasetId) ?? [];
  }

  /** For a reload: local edits still on their way win over what the library had. */
  readonly keepLocal = (fresh: ImageRow): ImageRow => {
    const local = this.#rows.peek(fresh.id);
    return local && this.#unsaved.has(fresh.id) ? { ...fresh, verdict: local.verdict, note: local.note } : fresh;
  };

  /**
   * Sets the verdict of these images under the run shown. For one image, choosing its current verdict again clears
   * it; for many, the verdict is set on all of them.
   */
  setVerdict(ids: readonly number[], verdict: Verdict): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    const single = ids.length === 1 ? this.#rows.peek(ids[0]) : null;
    const next = single?.verdict === verdict ? null : verdict;
    return this.#apply(
      ids.map((imageId) => ({ imageId, verdict: next })),
      this.#rows.runId,
      true,
    );
  }

  /** Once the writes asked for so far have been answered (and their undo entries recorded). */
  settled(): Promise<void> {
    return this.#writes;
  }

  /** Puts back the verdicts from before the last change, under the run it was made in. */
  undo(): Promise<void> {
    const last = this.history.at(-1);
    if (!last) return Promise.resolve();
    this.history = this.history.slice(0, -1);
    return this.#apply(last.changes, last.runId, false);
  }

  editNote(imageId: number, note: string): void {
    if (this.#pendingNote !== null && this.#pendingNote !== imageId) void this.flushNote();
    this.#mark(imageId);
    this.#rows.patch(imageId, { note });
    this.#pendingNote = imageId;
    this.#pendingText = note;
    this.saveState = 'saving';
    if (this.#noteTimer) clearTimeout(this.#noteTimer);
    this.#noteTimer = setTimeout(() => void this.flushNote(), NOTE_SAVE_MS);
  }

  async flushNote(): Promise<void> {
    if (this.#noteTimer) clearTimeout(this.#noteTimer);
    this.#noteTimer = null;
    const imageId = this.#pendingNote;
    const note = this.#pendingText;
    this.#pendingNote = null;
    if (imageId === null) return;
    await this.#queue(
      async () => {
        const edits = this.#unsaved.get(imageId);
        // The note alone: the verdicts go through setVerdicts, under the run they were given in.
        await this.#api.setReview({ imageId, note });
        if (this.#unsaved.get(imageId) === edits) this.#unsaved.delete(imageId);
      },
      [imageId],
      true,
    );
  }

  /** `runId`: the run the verdicts judge; the rows show them at once where they show that run. */
  #apply(changes: VerdictChange[], runId: number | null, remember: boolean): Promise<void> {
    const datasetId = this.#datasetId;
    const shown = runId === this.#rows.runId;
    if (shown) {
      for (const { imageId, verdict, exact } of changes) {
        this.#mark(imageId);
        this.#rows.patch(imageId, shownAfter(this.#rows.peek(imageId), verdict, exact));
      }
    }
    return this.#queue(async () => {
      const { previous } = await this.#api.setVerdicts({ runId: runId ?? undefined, changes });
      if (shown) for (const { imageId } of changes) this.#unsaved.delete(imageId);
      // An undo in a run not shown: a label error it put back or took away shows in every run.
      else await this.#rows.refresh(changes.map((c) => c.imageId), this.keepLocal);
      if (remember) this.#remember(datasetId, { runId, changes: previous });
      this.#onChanged();
    }, changes.map((c) => c.imageId));
  }

  /** Adds an undo entry to the history of the dataset the change was made in, even if another is open now. */
  #remember(datasetId: number | null, undo: VerdictUndo): void {
    const history = datasetId === this.#datasetId ? this.history : (this.#histories.get(datasetId) ?? []);
    const next = [...history.slice(-(UNDO_DEPTH - 1)), undo];
    if (datasetId === this.#datasetId) this.history = next;
    else this.#histories.set(datasetId, next);
  }

  #mark(imageId: number): void {
    this.#unsaved.set(imageId, (this.#unsaved.get(imageId) ?? 0) + 1);
  }

  #queue(write: () => Promise<void>, imageIds: number[], note = false): Promise<void> {
    const run = async (): Promise<void> => {
      if (note) this.saveState = 'saving';
      try {
        await write();
        if (note && this.#pendingNote === null) this.saveState = 'saved';
      } catch (error) {
        if (note) this.saveState = 'failed';
        imageIds.forEach((id) => this.#unsaved.delete(id));
        const name = imageIds.length > 1 ? `${imageIds.length} photos` : (this.#rows.peek(imageIds[0])?.fileName ?? 'this photo');
        this.#onError(`Your review of ${name} was not saved: ${errorMessage(error)}. Try again; the gallery shows what is stored.`);
        this.#onChanged();
      }
    };
    this.#writes = this.#writes.then(run);
    return this.#writes;
  }
}
