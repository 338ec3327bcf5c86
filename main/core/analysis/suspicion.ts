// One suspicion score per image, so that a reviewer with thousands of photos sees the doubtful ones first.
//
// Each component is in [0, 1], higher = more suspicious; the score is the weighted mean of the components
// that are known for the image (a missing one neither raises nor lowers it):
//   border       attention on the outer 10 % frame beyond what a uniform map has there (0.36):
//                clamp((borderMass − 0.36) / 0.64). Watermarks, frames and backgrounds live there.
//   unfaithful   1 − blurDrop: blurring the top 20 % of attention barely moves the probability, so the map
//                does not show what the decision rests on.
//   disagreement (1 − ρ) / 2 for the rank correlation ρ with another method's map of the same image.
//   offBox       1 − energy in the reviewer's expected-region box, when one is drawn.
import { BORDER_FRACTION } from './metrics';

export interface SuspicionInputs {
  borderMass: number;
  blurDrop?: number | null;
  agreement?: number | null;
  energyInBox?: number | null;
}

export const SUSPICION_WEIGHTS = { border: 1, unfaithful: 1, disagreement: 0.5, offBox: 1.5 } as const;

const UNIFORM_BORDER = 1 - (1 - 2 * BORDER_FRACTION) ** 2;
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const known = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export function suspicionComponents(input: SuspicionInputs): Partial<Record<keyof typeof SUSPICION_WEIGHTS, number>> {
  return {
    border: clamp01((input.borderMass - UNIFORM_BORDER) / (1 - UNIFORM_BORDER)),
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
