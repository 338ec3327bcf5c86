// Which tile has the keyboard focus (an index into the filtered list) and which images are selected
// (ids, so a selection survives a re-sort). Shift extends from the anchor, ctrl/cmd toggles one.
import { SvelteSet } from 'svelte/reactivity';

export class Selection {
  focus = $state(0);
  readonly selected = new SvelteSet<number>();
  /** Bumped whenever the keyboard moves the focus, so the grid moves the DOM focus and scrolls with it. */
  keyboardMoves = $state(0);
  #anchor: number | null = null;

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
  click(index: number, ids: readonly number[], modifiers: { shift: boolean; toggle: boolean }): void {
    this.focus = index;
    if (modifiers.shift) {
      const from = this.#anchor ?? index;
      if (!modifiers.toggle) this.selected.clear();
      for (let i = Math.min(from, index); i <= Math.max(from, index); i++) this.selected.add(ids[i]);
      return;
    }
    this.#anchor = index;
    if (modifiers.toggle) this.#flip(ids[index]);
  }

  /** Space or x: adds the focused image to the selection or takes it out. */
  toggleFocused(ids: readonly number[]): void {
    const id = ids[this.focus];
    if (id === undefined) return;
    this.#anchor = this.focus;
    this.#flip(id);
  }

  /** Shift+arrow: moves the focus and selects what it passes over. */
  extend(index: number, ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.#anchor ??= this.focus;
    this.moveTo(index, ids.length);
    this.selected.clear();
    for (let i = Math.min(this.#anchor, this.focus); i <= Math.max(this.#anchor, this.focus); i++) this.selected.add(ids[i]);
  }

  selectAll(ids: readonly number[]): void {
    for (const id of ids) this.selected.add(id);
  }

  clear(): void {
    this.selected.clear();
    this.#anchor = null;
  }

  #flip(id: number): void {
    if (this.selected.has(id)) this.selected.delete(id);
    else this.selected.add(id);
  }
}
