// One suspicion score per image, so that a reviewer with thousands of photos sees the doubtful ones first.
//
// Each component is in [0, 1], higher = more suspicious; the score is the weighted mean of the components
// that are known for the image (a missing one neither raises nor lowers it):
//   border       attention on the outer 10 % frame relative to a uniform map's share there (0.36):
//                clamp(borderMass / 0.36). Watermarks, frames and backgrounds live there.
//   peakInBorder 1 when the map's peak (cell centre) lies in the outer 10 % frame, else 0.
//   unfaithful   1 − blurDrop: blurring the top 20 % of attention barely moves the probability, so the map
//                does not show what the decision rests on.
//   disagreement (1 − ρ) / 2 for the rank correlation ρ with another method's map of the same image.
//   offBox       1 − energy in the reviewer's expected-region box, when one is drawn.
//
// Measured with bench/suspicion.ts (Clever-Hans copies of the sample photos, MobileNet v1, Grad-CAM). The
// first version clamped `border` at the uniform share, which put it at 0 for almost every real 7 × 7 map
// (their border mass is 0.1–0.35), so it could not rank; a corner patch that flipped the prediction to
// "macaw" had its peak in the corner cell, border mass 0.34 and a score of 0. `border` is now proportional
// and `peakInBorder` was added (AP 0.60 against a base rate of 0.17 for the stamps that changed the top-1
// class). `unfaithful` ranked no better than chance there, so its weight is halved: it is kept for the
// failure it measures, maps that miss the evidence. On a model that really learned a shortcut (MobileNet's
// classifier fine-tuned so a corner logo means koala, analysis/test-support/shortcut-model.ts) the score
// ranks the stamped photos with AP 0.94 against a base rate of 0.32; there `unfaithful` alone gives 0.65
// (blurring the logo drops the probability less than blurring a real object: 0.56 against 0.90).
import { BORDER_FRACTION } from './metrics';

export interface SuspicionInputs {
  borderMass: number;
  /** Peak cell centre in normalised coordinates (metrics.peak). */
  peakX?: number | null;
  peakY?: number | null;
  blurDrop?: number | null;
  agreement?: number | null;
  energyInBox?: number | null;
}

export const SUSPICION_WEIGHTS = { border: 1, peakInBorder: 1, unfaithful: 0.5, disagreement: 0.5, offBox: 1.5 } as const;

const UNIFORM_BORDER = 1 - (1 - 2 * BORDER_FRACTION) ** 2;
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const known = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export function suspicionComponents(input: SuspicionInputs): Partial<Record<keyof typeof SUSPICION_WEIGHTS, number>> {
  const { peakX, peakY } = input;
  return {
    border: clamp01(input.borderMass / UNIFORM_BORDER),
    ...(known(peakX) && known(peakY)
      ? { peakInBorder: Number(Math.min(peakX, peakY, 1 - peakX, 1 - peakY) < BORDER_FRACTION) }
      : {}),
    ...(known(input.blurDrop) ? { unfaithful: 1 - clamp01(input.blurDrop) } : {}),
    ...(known(input.agreement) ? { disagreement: clamp01((1 - input.agreement) / 2) } : {}),
    ...(known(input.energyInBox) ? { offBox: 1 - clamp01(input.energyInBox) } : {}),
  };
}

export function suspicionScore(input: SuspicionInputs): number {
  let sum = 0;
  let weights = 0;
  for (const [name, value] of Object.entries(suspicionComponents(input))) {
    const weight = SUSPICION_WEIGHTS[name as keyof typeof SUSPICION_WEIGHTS];
    sum += weight * value;
    weights += weight;
  }
  return weights ? sum / weights : 0;
}

/** Average precision of a ranking: positives are the items that should come first (e.g. stamped photos). */
export function averagePrecision(scores: number[], positive: boolean[]): number {
  const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  let hits = 0;
  let sum = 0;
  order.forEach((index, rank) => {
    if (positive[index]) {
      hits++;
      sum += hits / (rank + 1);
    }
  });
  return hits ? sum / hits : 0;
}
