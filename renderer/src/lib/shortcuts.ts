// The keyboard shortcuts, as one table: the key handler and the shortcuts dialog both read it.
// Z and ? match the desktop menu's "Toggle Heatmap Overlay" and "Keyboard Shortcuts".
import type { Verdict } from '../../../common/types';
import { VERDICT_OPTIONS } from './verdicts';

export type ShortcutAction =
  | { kind: 'toggleOverlay' }
  | { kind: 'opacity'; steps: number }
  | { kind: 'showShortcuts' }
  | { kind: 'move'; dx: number; dy: number }
  | { kind: 'open' }
  | { kind: 'note' }
  | { kind: 'queue' }
  | { kind: 'toggleSelect' }
  | { kind: 'undo' }
  | { kind: 'tag' }
  | { kind: 'verdict'; verdict: Verdict };

/** Where a shortcut works: the grid, an open photo, or both. */
export type ShortcutScope = 'grid' | 'detail' | 'both';

export interface Shortcut {
  keys: string[];
  label: string;
  scope: ShortcutScope;
  action: ShortcutAction;
  /** Shown in the dialog as this instead of the keys. */
  display?: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['ArrowLeft', 'h'], label: 'Previous photo', scope: 'both', action: { kind: 'move', dx: -1, dy: 0 } },
  { keys: ['ArrowRight', 'l'], label: 'Next photo', scope: 'both', action: { kind: 'move', dx: 1, dy: 0 } },
  { keys: ['ArrowUp', 'k'], label: 'Row above', scope: 'grid', action: { kind: 'move', dx: 0, dy: -1 } },
  { keys: ['ArrowDown', 'j'], label: 'Row below', scope: 'grid', action: { kind: 'move', dx: 0, dy: 1 } },
  { keys: ['Enter'], label: 'Open the focused photo', scope: 'grid', action: { kind: 'open' } },
  ...VERDICT_OPTIONS.map((o) => ({
    keys: [o.key],
    label: `Verdict “${o.label}” (on the selection, or the photo)`,
    scope: 'both' as const,
    action: { kind: 'verdict', verdict: o.value } as const,
  })),
  { keys: ['x', ' '], label: 'Select or unselect the focused photo (shift+click: a range)', scope: 'grid', action: { kind: 'toggleSelect' } },
  { keys: ['t'], label: 'Tag the selection, or the photo (Enter adds the tags typed)', scope: 'both', action: { kind: 'tag' } },
  { keys: ['u'], label: 'Undo the last verdict or tag change (also Ctrl+Z)', scope: 'both', action: { kind: 'undo' } },
  { keys: ['q'], label: 'Queue: one photo at a time, next after each verdict', scope: 'grid', action: { kind: 'queue' } },
  { keys: ['n'], label: 'Write a note', scope: 'detail', action: { kind: 'note' } },
  { keys: ['z'], label: 'Show or hide the heatmap overlay', scope: 'both', action: { kind: 'toggleOverlay' } },
  { keys: ['['], label: 'Less opaque overlay', scope: 'both', action: { kind: 'opacity', steps: -1 } },
  { keys: [']'], label: 'More opaque overlay', scope: 'both', action: { kind: 'opacity', steps: 1 } },
  { keys: ['?'], label: 'Show these shortcuts', scope: 'both', action: { kind: 'showShortcuts' } },
];

/**
 * Whether keys pressed here are text for a field (any input, textarea, select or editable element), never the
 * gallery's shortcuts: typing a saved view's name must not undo a verdict with its "u".
 */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof Element)) return false;
  if (target instanceof HTMLElement && target.isContentEditable) return true;
  return target.closest('input, textarea, select, [contenteditable]:not([contenteditable="false"])') !== null;
}

/** The action for a key press, or null (typing in a field, a modifier held, or no such shortcut here). */
export function shortcutFor(event: KeyboardEvent, detailOpen: boolean): ShortcutAction | null {
  const target = event.target as HTMLElement | null;
  if (isTypingTarget(target)) return null;
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'z' && !event.shiftKey) return { kind: 'undo' };
  if (event.metaKey || event.ctrlKey || event.altKey) return null;
  // A focused button already answers Space and Enter itself.
  if ((event.key === ' ' || event.key === 'Enter') && target?.closest('button:not([role=gridcell])')) return null;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const scope = detailOpen ? 'detail' : 'grid';
  const match = SHORTCUTS.find((s) => s.keys.includes(key) && (s.scope === 'both' || s.scope === scope));
  return match?.action ?? null;
}

/** How a key is shown on screen. */
export function keyLabel(key: string): string {
  return { ArrowLeft: '←', ArrowRight: '→', ArrowUp: '↑', ArrowDown: '↓', ' ': 'Space', Enter: '↵' }[key] ?? key.toUpperCase();
}
