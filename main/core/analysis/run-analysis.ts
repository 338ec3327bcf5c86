// The explicit analysis steps of a run, on top of the library and the engine: faithfulness (about 19 forward
// passes per image), agreement with another run, per-class clusters of the maps, and the model-randomisation
// sanity check. Each writes its results to the metrics table, where the suspicion score picks them up.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CamMethod, SanityCheck } from '../../../common/types';
import type { Engine } from '../engine/types';
import { decodeImage } from '../scan/decode';
import type { Store } from '../store/store';
import { clusterMaps } from './clusters';
import { measureFaithfulness } from './faithfulness';
import { saveAgreement, saveFaithfulness } from './image-metrics';
import { rankCorrelation } from './metrics';
import { summarizeSanity, writeRandomizedModel } from './sanity';

/** Images decoded and measured together (19 modified copies each, shared mini-batches), then stored. */
const FAITHFULNESS_CHUNK = 8;

/** Deletion/insertion AUC and the blur-top-20 % drop for the run's top-1 maps; `limit` caps the images. */
export async function faithfulnessOfRun(
  store: Store,
  engine: Engine,
  datasetId: number,
  runId: number,
  options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<number> {
  const maps = store.metrics.topMaps(runId, datasetId).slice(0, options.limit ?? Infinity);
  let done = 0;
  for (let start = 0; start < maps.length; start += FAITHFULNESS_CHUNK) {
    const chunk = maps.slice(start, start + FAITHFULNESS_CHUNK);
    const items = await Promise.all(
      chunk.map(async (map) => {
        const file = store.imageFile(map.imageId);
        const decoded = file ? await decodeImage(file, engine.model.inputSize, engine.model.resizeMode).catch(() => null) : null;
        return decoded && { map, pixels: decoded.pixels };
      }),
    );
    const usable = items.filter((i): i is NonNullable<typeof i> => i !== null);
    const results = await measureFaithfulness(engine, usable.map((u) => ({ pixels: u.pixels, map: u.map, classIndex: u.map.classIndex })));
    saveFaithfulness(store.metrics, runId, usable.map((u, i) => ({ imageId: u.map.imageId, faithfulness: results[i] })));
    done += usable.length;
    options.onProgress?.(start + chunk.length, maps.length);
  }
  return done;
}

/** Rank correlation of each top-1 map with the same image and class in `otherRunId` (maps of the same size only). */
export function agreementOfRuns(store: Store, datasetId: number, runId: number, otherRunId: number): { compared: number; mean: number | null } {
  const results: { imageId: number; agreement: number }[] = [];
  for (const map of store.metrics.topMaps(runId, datasetId)) {
    const other = store.metrics.classMap(otherRunId, map.imageId, map.classIndex);
    if (other && other.h === map.h && other.w === map.w) results.push({ imageId: map.imageId, agreement: rankCorrelation(map, other) });
  }
  saveAgreement(store.metrics, runId, otherRunId, results);
  return { compared: results.length, mean: results.length ? results.reduce((s, r) => s + r.agreement, 0) / results.length : null };
}

/** Groups each predicted class's maps by where they look (clusters.ts); returns the number of groups. */
export function clustersOfRun(store: Store, datasetId: number, runId: number): number {
  const byClass = new Map<number, ReturnType<Store['metrics']['topMaps']>>();
  for (const map of store.metrics.topMaps(runId, datasetId)) byClass.set(map.classIndex, [...(byClass.get(map.classIndex) ?? []), map]);
  const assignment = new Map<number, number>();
  let groups = 0;
  for (const maps of byClass.values()) {
    const clustering = clusterMaps(maps);
    clustering.assignment.forEach((cluster, i) => assignment.set(maps[i].imageId, cluster));
    groups += clustering.centroids.length;
  }
  store.metrics.setClusters(runId, assignment);
  return groups;
}

export interface SanityOptions {
  /** The run's model: a folder or a model file, in any format the engine reads. */
  modelDir: string;
  method: CamMethod;
  layer: string;
  /** Starts an engine on a model folder at the run's layer (the service's createEngine). */
  startEngine: (modelDir: string) => Promise<Engine>;
  /** How many of the run's images to recompute (default 16). */
  sample?: number;
  /** How many top weighted layers to randomise (default 2). */
  topLayers?: number;
}

/**
 * Model randomisation (sanity.ts): the top layers' weights are permuted in a copy of the model, the maps of a
 * sample of images are recomputed with it (the top-1 class of each model, as the gallery shows it), and their
 * mean rank correlation with the trained maps is stored with the run.
 */
export async function sanityOfRun(store: Store, datasetId: number, runId: number, options: SanityOptions): Promise<SanityCheck> {
  const all = store.metrics.topMaps(runId, datasetId);
  const size = options.sample ?? 16;
  // An even spread over the dataset (sorted by path, so over its classes) rather than the first folder.
  const sample = Array.from({ length: Math.min(size, all.length) }, (_, i) => all[Math.floor((i * all.length) / Math.min(size, all.length))]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sightline-sanity-'));
  try {
    const layers = await writeRandomizedModel(options.modelDir, dir, options.topLayers ?? 2);
    const engine = await options.startEngine(dir);
    try {
      const trained = [];
      const randomized = [];
      for (const map of sample) {
        const file = store.imageFile(map.imageId);
        const decoded = file ? await decodeImage(file, engine.model.inputSize, engine.model.resizeMode).catch(() => null) : null;
        if (!decoded) continue;
        const [result] = await engine.explain({ pixels: decoded.pixels, count: 1, topK: 1, camTopK: 1, method: options.method });
        const random = result?.heatmaps[0];
        if (!random || random.h !== map.h || random.w !== map.w) continue;
        trained.push(map);
        randomized.push(random);
      }
      const summary = summarizeSanity(trained, randomized, layers);
      return store.metrics.saveSanity({ runId, ...summary, sampleSize: trained.length });
    } finally {
      await engine.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
