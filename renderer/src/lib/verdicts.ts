import { VERDICT_LABELS, VERDICTS, type Verdict } from '../../../common/types';

export interface VerdictOption {
  value: Verdict;
  label: string;
  /** Keyboard shortcut, in the grid and in an open photo. */
  key: string;
}

/** In VERDICTS' order, keys 1–4. */
export const VERDICT_OPTIONS: readonly VerdictOption[] = VERDICTS.map((value, index) => ({ value, label: VERDICT_LABELS[value], key: String(index + 1) }));

export const verdictLabel = (verdict: Verdict): string => VERDICT_LABELS[verdict];
