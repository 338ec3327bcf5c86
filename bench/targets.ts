// How the scale benchmarks print a figure next to its target: "812 ms (target < 1000 ms) meets". Never a failure:
// the figures are for reading.

/** Sizes from SIGHTLINE_BENCH_SIZES ("10000,100000"), else the defaults. */
export function benchSizes(defaults: readonly number[]): number[] {
  const text = process.env.SIGHTLINE_BENCH_SIZES;
  if (!text) return [...defaults];
  const sizes = text.split(',').map((part) => Number(part.trim()));
  const wrong = sizes.find((size) => !Number.isInteger(size) || size < 1);
  if (wrong !== undefined) throw new Error(`SIGHTLINE_BENCH_SIZES takes positive whole numbers separated by commas, e.g. 10000,100000; got "${text}"`);
  return sizes;
}

/** A figure that should stay under `limit`, formatted with `unit`. */
export function under(value: number, limit: number, unit: string, digits = 0): string {
  return `${value.toFixed(digits)} ${unit} (target < ${limit} ${unit}) ${value < limit ? 'meets' : 'MISSES'}`;
}

/**
 * A ratio to a reference that should be no worse than `tolerance` off: for a figure where `higher` is better (a
 * rate) at least 1 − tolerance, else (CPU time, memory) at most 1 + tolerance. Better than the reference is flat too.
 */
export function noWorse(ratio: number, tolerance: number, better: 'higher' | 'lower'): string {
  const ok = better === 'higher' ? ratio >= 1 - tolerance : ratio <= 1 + tolerance;
  return `${ratio.toFixed(2)} (target ${better === 'higher' ? '≥' : '≤'} ${(better === 'higher' ? 1 - tolerance : 1 + tolerance).toFixed(2)}) ${ok ? 'meets' : 'MISSES'}`;
}

export const mb = (bytes: number): number => bytes / 2 ** 20;
export const kb = (bytes: number): number => bytes / 1024;
