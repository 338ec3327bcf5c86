// Where the keys go after a choice in a picker. A select keeps the focus once chosen, and there the gallery's
// shortcuts are typing (1–4, u and q do nothing) while ↑ ↓ ← → change the choice again: the run picker's ↓ went
// back to another run, the detail view's → never reached the next photo.

/** Gives the keys back to the open dialog (it keeps the focus inside), else to the gallery (the select lets go). */
export function giveKeysBack(select: HTMLElement): void {
  const dialog = select.closest<HTMLElement>('[role=dialog]');
  if (dialog) dialog.focus({ preventScroll: true });
  else select.blur();
}
