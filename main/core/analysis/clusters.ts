// Groups the heatmaps of one class by where they look: each map is downsampled to a small grid,
// normalised to sum 1, and clustered with k-means (k-means++ seeding, deterministic seed). A strategy
// shared by many images (always the background, always a corner) shows up as one group.
import type { MapGrid } from './metrics';
import { seededRandom } from './seeded-random';

export const CLUSTER_GRID = 4;

/** Area-averages a map onto a g × g grid and normalises it to sum 1 (a zero map stays zero). */
export function signature(map: MapGrid, g = CLUSTER_GRID): Float64Array {
  const out = new Float64Array(g * g);
  for (let y = 0; y < map.h; y++) {
    for (let x = 0; x < map.w; x++) {
      const v = Math.max(0, map.values[y * map.w + x]);
      // Spread the cell over the grid cells it overlaps, by overlap area.
      for (let gy = Math.floor((y * g) / map.h); gy < Math.min(g, Math.ceil(((y + 1) * g) / map.h)); gy++) {
        const oy = Math.min((y + 1) / map.h, (gy + 1) / g) - Math.max(y / map.h, gy / g);
        for (let gx = Math.floor((x * g) / map.w); gx < Math.min(g, Math.ceil(((x + 1) * g) / map.w)); gx++) {
          const ox = Math.min((x + 1) / map.w, (gx + 1) / g) - Math.max(x / map.w, gx / g);
          if (ox > 0 && oy > 0) out[gy * g + gx] += v * ox * oy;
        }
      }
    }
  }
  const sum = out.reduce((a, b) => a + b, 0);
  if (sum > 0) for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

function distance(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i] - b[i]) ** 2;
  return d;
}

export interface Clustering {
  /** Cluster index per map, in input order; clusters are numbered by size, largest first. */
  assignment: number[];
  centroids: Float64Array[];
}

export function kMeans(points: Float64Array[], k: number, iterations = 50, seed = 1): Clustering {
  const n = points.length;
  if (n === 0) return { assignment: [], centroids: [] };
  k = Math.max(1, Math.min(k, n));
  const next = seededRandom(seed);
  const centroids = [points[Math.floor(next() * n)].slice()];
  while (centroids.length < k) {
    const weights = points.map((p) => Math.min(...centroids.map((c) => distance(p, c))));
    const total = weights.reduce((a, b) => a + b, 0);
    if (total === 0) break;
    let pick = next() * total;
    let index = 0;
    while ((pick -= weights[index]) > 0 && index < n - 1) index++;
    centroids.push(points[index].slice());
  }
  let assignment = new Array<number>(n).fill(0);
  for (let iter = 0; iter < iterations; iter++) {
    const updated = points.map((p) => {
      let best = 0;
      for (let c = 1; c < centroids.length; c++) if (distance(p, centroids[c]) < distance(p, centroids[best])) best = c;
      return best;
    });
    const changed = updated.some((c, i) => c !== assignment[i]);
    assignment = updated;
    centroids.forEach((centroid, c) => {
      const members = points.filter((_, i) => assignment[i] === c);
      if (!members.length) return;
      centroid.fill(0);
      for (const m of members) for (let i = 0; i < m.length; i++) centroid[i] += m[i] / members.length;
    });
    if (!changed && iter > 0) break;
  }
  // Renumber by size so that group 0 is the most common strategy.
  const sizes = centroids.map((_, c) => assignment.filter((a) => a === c).length);
  const order = sizes.map((s, c) => [s, c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, c]) => c);
  const rename = new Map(order.map((c, i) => [c, i]));
  return { assignment: assignment.map((a) => rename.get(a)!), centroids: order.map((c) => centroids[c]) };
}

/** k for one class: about one group per 8 maps, between 1 and 4. */
export const clusterCount = (maps: number): number => Math.max(1, Math.min(4, Math.round(maps / 8)));

function inertia(points: Float64Array[], { assignment, centroids }: Clustering): number {
  return points.reduce((sum, p, i) => sum + distance(p, centroids[assignment[i]]), 0);
}

/** The best of several seeded k-means runs (lowest within-group spread), so one bad seed cannot split a group. */
export function clusterMaps(maps: MapGrid[], k = clusterCount(maps.length), restarts = 8): Clustering {
  const points = maps.map((m) => signature(m));
  let best: Clustering | null = null;
  for (let seed = 1; seed <= restarts; seed++) {
    const candidate = kMeans(points, k, 50, seed);
    if (!best || inertia(points, candidate) < inertia(points, best) - 1e-12) best = candidate;
  }
  return best!;
}
