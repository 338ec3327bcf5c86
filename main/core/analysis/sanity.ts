// Model-randomisation sanity check (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018, sec. 3.1):
// randomise the weights of the model's top layers, recompute maps for a sample of images and compare them with
// the trained model's maps. A faithful explanation depends on the weights, so the maps should change a lot;
// if they barely change, the maps show the input's structure rather than what the model learned.
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rankCorrelation, type MapGrid } from './metrics';

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
}
interface ModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
}

/** Above this mean rank correlation with the trained model's maps, the run gets a warning. */
export const SANITY_WARN_SIMILARITY = 0.5;

/** Layer names in topological order as model.json lists them (nested configs included). */
function layerOrder(topology: unknown): string[] {
  const names: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const config = record.config as Record<string, unknown> | undefined;
    if (typeof record.class_name === 'string' && typeof config?.name === 'string' && !Array.isArray(config.layers)) names.push(config.name);
    Object.values(record).forEach(visit);
  };
  visit(topology);
  return names;
}

function shuffle(values: Float32Array, seed: number): void {
  let t = seed >>> 0;
  const next = () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
}

/**
 * Writes a copy of a TF.js layers model folder whose `topLayers` last weighted layers have their weights
 * permuted (same distribution, structure destroyed). Returns the layer names that were randomised.
 */
export async function writeRandomizedModel(modelDir: string, outDir: string, topLayers: number, seed = 7): Promise<string[]> {
  const model = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8')) as ModelJson;
  const weighted = new Set(model.weightsManifest.flatMap((g) => g.weights.map((w) => w.name.split('/')[0])));
  const order = layerOrder(model.modelTopology).filter((name) => weighted.has(name));
  const randomized = new Set(order.slice(Math.max(0, order.length - topLayers)));
  await mkdir(outDir, { recursive: true });
  for (const file of await readdir(modelDir)) if (file !== 'model.json') await copyFile(path.join(modelDir, file), path.join(outDir, file));
  for (const group of model.weightsManifest) {
    if (!group.weights.some((w) => randomized.has(w.name.split('/')[0]))) continue;
    if (group.weights.some((w) => w.dtype !== 'float32')) throw new Error(`Sanity check supports float32 weights only (group ${group.paths[0]})`);
    const bytes = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(path.join(modelDir, p)))));
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let offset = 0;
    group.weights.forEach((w, i) => {
      const size = w.shape.reduce((a, b) => a * b, 1);
      if (randomized.has(w.name.split('/')[0])) shuffle(all.subarray(offset, offset + size), seed + i);
      offset += size;
    });
    // Shards are byte ranges of the group's concatenation: write the modified bytes back the same way.
    let start = 0;
    for (const p of group.paths) {
      const length = (await readFile(path.join(modelDir, p))).length;
      await writeFile(path.join(outDir, p), Buffer.from(all.buffer, start, length));
      start += length;
    }
  }
  await writeFile(path.join(outDir, 'model.json'), JSON.stringify(model));
  return [...randomized];
}

export interface SanityResult {
  randomizedLayers: string[];
  /** Mean Spearman rank correlation between trained and randomised maps (1 = unchanged). */
  similarity: number;
  warning: string | null;
}

export function summarizeSanity(trained: MapGrid[], randomized: MapGrid[], layers: string[]): SanityResult {
  const similarity = trained.reduce((sum, map, i) => sum + rankCorrelation(map, randomized[i]), 0) / Math.max(1, trained.length);
  return {
    randomizedLayers: layers,
    similarity,
    warning:
      similarity > SANITY_WARN_SIMILARITY
        ? `The maps barely change when the top layers (${layers.join(', ')}) are randomised (rank correlation ${similarity.toFixed(2)}): they may show image structure rather than what the model learned.`
        : null,
  };
}
