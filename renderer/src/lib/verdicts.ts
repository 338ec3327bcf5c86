import type { ImageRow, Verdict } from '../../../common/types';

export interface VerdictOption {
  value: Verdict;
  label: string;
  /** Keyboard shortcut in the detail view. */
  key: string;
}

export const VERDICT_OPTIONS: readonly VerdictOption[] = [
  { value: 'ok', label: 'OK', key: 'o' },
  { value: 'misattended', label: 'Misattended', key: 'm' },
  { value: 'label_error', label: 'Label error', key: 'l' },
  { value: 'unsure', label: 'Unsure', key: 'u' },
];

export const verdictLabel = (verdict: Verdict): string => VERDICT_OPTIONS.find((o) => o.value === verdict)?.label ?? verdict;

export type Filter = 'all' | 'wrong' | 'flagged' | 'unreviewed';

export const FILTERS: readonly { value: Filter; label: string; matches(image: ImageRow): boolean }[] = [
  { value: 'all', label: 'All', matches: () => true },
  { value: 'wrong', label: 'Misclassified', matches: (i) => i.correct === false },
  { value: 'flagged', label: 'Flagged', matches: (i) => i.verdict !== null && i.verdict !== 'ok' },
  { value: 'unreviewed', label: 'Not reviewed', matches: (i) => i.verdict === null && i.status === 'done' },
];
