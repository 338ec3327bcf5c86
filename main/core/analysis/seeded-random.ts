// A small deterministic generator (mulberry32): the same seed gives the same map groups (clusters.ts) and the
// same randomised model copy (randomize-model.ts), run after run.

/** Numbers in [0, 1) from `seed`. */
export function seededRandom(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
