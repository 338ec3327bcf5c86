import type { Verdict } from '../../../common/types';

export interface VerdictOption {
  value: Verdict;
  label: string;
  /** Keyboard shortcut, in the grid and in an open photo. */
  key: string;
}

export const VERDICT_OPTIONS: readonly VerdictOption[] = [
  { value: 'ok', label: 'OK', key: '1' },
  { value: 'misattended', label: 'Misattended', key: '2' },
  { value: 'label_error', label: 'Label error', key: '3' },
  { value: 'unsure', label: 'Unsure', key: '4' },
];

export const verdictLabel = (verdict: Verdict): string => VERDICT_OPTIONS.find((o) => o.value === verdict)?.label ?? verdict;
