// A <details> pop-up closes only from its summary; this closes it on Escape and on a click anywhere else too, so
// it never stays over the grid (the header's engine pop-up, the dataset's ⋯ menu).
import type { Attachment } from 'svelte/attachments';

export const dismissable: Attachment<HTMLDetailsElement> = (details) => {
  const onKey = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape' || !details.open) return;
    // Esc closes the pop-up only, not the photo or the selection behind it.
    event.stopPropagation();
    details.open = false;
    details.querySelector('summary')?.focus();
  };
  const onPointer = (event: PointerEvent): void => {
    if (details.open && !details.contains(event.target as Node)) details.open = false;
  };
  document.addEventListener('keydown', onKey, true);
  document.addEventListener('pointerdown', onPointer, true);
  return () => {
    document.removeEventListener('keydown', onKey, true);
    document.removeEventListener('pointerdown', onPointer, true);
  };
};
