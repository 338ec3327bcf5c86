// The keyboard shortcuts, as one table: the key handler and the shortcuts dialog both read it.
// Z and ? match the desktop menu's "Toggle Heatmap Overlay" and "Keyboard Shortcuts".
import type { Verdict } from '../../../common/types';
import { VERDICT_OPTIONS } from './verdicts';

export type ShortcutAction =
  | { kind: 'toggleOverlay' }
  | { kind: 'showShortcuts' }
  | { kind: 'step'; delta: number }
  | { kind: 'verdict'; verdict: Verdict };

export interface Shortcut {
  keys: string[];
  label: string;
  /** Only while a photo is open. */
  inDetail: boolean;
  action: ShortcutAction;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['z'], label: 'Show or hide the heatmap overlay', inDetail: false, action: { kind: 'toggleOverlay' } },
  { keys: ['?'], label: 'Show these shortcuts', inDetail: false, action: { kind: 'showShortcuts' } },
  { keys: ['ArrowLeft'], label: 'Previous photo', inDetail: true, action: { kind: 'step', delta: -1 } },
  { keys: ['ArrowRight'], label: 'Next photo', inDetail: true, action: { kind: 'step', delta: 1 } },
  ...VERDICT_OPTIONS.map((o) => ({
    keys: [o.key],
    label: `Verdict “${o.label}” (again to clear it)`,
    inDetail: true,
    action: { kind: 'verdict', verdict: o.value } as const,
  })),
];

/** The action for a key press, or null (typing in a field, a modifier held, or no such shortcut here). */
export function shortcutFor(event: KeyboardEvent, detailOpen: boolean): ShortcutAction | null {
  const target = event.target as HTMLElement | null;
  if (target?.closest('input, textarea, select, [contenteditable]') || event.metaKey || event.ctrlKey || event.altKey) return null;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const match = SHORTCUTS.find((s) => s.keys.includes(key) && (detailOpen || !s.inDetail));
  return match?.action ?? null;
}

/** How a key is shown on screen. */
export function keyLabel(key: string): string {
  return { ArrowLeft: '←', ArrowRight: '→' }[key] ?? key.toUpperCase();
}
