// Which tile has the keyboard focus (an index into the filtered list) and which images are selected
// (ids, so a selection survives a re-sort). Shift extends from the anchor, ctrl/cmd toggles one.
// The list is read a page at a time (IdSource): a range whose ids are all loaded is selected at once; one that
// reaches into pages not loaded yet is selected when they come, unless another selection change came first.
import { SvelteSet } from 'svelte/reactivity';
import type { IdSource } from './id-list.svelte';

export class Selection {
  focus = $state(0);
  readonly selected = new SvelteSet<number>();
  /** Bumped whenever the keyboard moves the focus, so the grid moves the DOM focus and scrolls with it. */
  keyboardMoves = $state(0);
  #anchor: number | null = null;
  /** Counts selection changes, so that one waiting for its ids is dropped when a newer one was made meanwhile. */
  #turn = 0;

  /** Keeps the focus inside a list of `count` images. */
  clamp(count: number): void {
    if (this.focus > count - 1) this.focus = Math.max(count - 1, 0);
  }

  moveTo(index: number, count: number): void {
    if (count === 0) return;
    this.focus = Math.min(Math.max(index, 0), count - 1);
    this.keyboardMoves++;
  }

  /** A click (or shift/ctrl-click) on the tile at `index`. */
  click(index: number, ids: IdSource, modifiers: { shift: boolean; toggle: boolean }): Promise<void> {
    this.focus = index;
    if (modifiers.shift) {
      const from = this.#anchor ?? index;
      return this.#selectRange(from, index, ids, !modifiers.toggle);
    }
    this.#anchor = index;
    return modifiers.toggle ? this.#flipAt(index, ids) : Promise.resolve();
  }

  /** Space or x: adds the focused image to the selection or takes it out. */
  toggleFocused(ids: IdSource): Promise<void> {
    if (this.focus >= ids.length) return Promise.resolve();
    this.#anchor = this.focus;
    return this.#flipAt(this.focus, ids);
  }

  /** Shift+arrow: moves the focus and selects what it passes over. */
  extend(index: number, ids: IdSource): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    this.#anchor ??= this.focus;
    this.moveTo(index, ids.length);
    return this.#selectRange(this.#anchor, this.focus, ids, true);
  }

  /** Ctrl+A: every image of the list, its ids read in windows when they are not all loaded. */
  selectAll(ids: IdSource): Promise<void> {
    return this.#when(ids, 0, ids.length, (all) => {
      for (const id of all) this.selected.add(id);
    });
  }

  clear(): void {
    this.#turn++;
    this.selected.clear();
    this.#anchor = null;
  }

  /** Selects the images from index `a` to index `b` (either order, both included); `replace` drops the rest first. */
  #selectRange(a: number, b: number, ids: IdSource, replace: boolean): Promise<void> {
    return this.#when(ids, Math.min(a, b), Math.max(a, b) + 1, (range) => {
      if (replace) this.selected.clear();
      for (const id of range) this.selected.add(id);
    });
  }

  #flipAt(index: number, ids: IdSource): Promise<void> {
    return this.#when(ids, index, index + 1, ([id]) => {
      if (id === undefined) return;
      if (this.selected.has(id)) this.selected.delete(id);
      else this.selected.add(id);
    });
  }

  /**
   * Runs `change` with the ids from `from` to `to`: now when they are loaded, else once they are read, if no other
   * selection change was made meanwhile. A failed read changes nothing (the gallery shows the error).
   */
  #when(ids: IdSource, from: number, to: number, change: (ids: number[]) => void): Promise<void> {
    const turn = ++this.#turn;
    const known = ids.loaded(from, to);
    if (known) {
      change(known);
      return Promise.resolve();
    }
    return ids.load(from, to).then(
      (loaded) => {
        if (turn === this.#turn) change(loaded);
      },
      () => undefined,
    );
  }
}
