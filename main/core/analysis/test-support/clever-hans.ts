// Clever-Hans libraries for measuring the suspicion score (bench/suspicion.ts and clever-hans.test.ts): the
// sample photos plus stamped copies go through the real import, and each score's ranking is summarised by its
// average precision next to the base rate.
import { cpSync } from 'node:fs';
import path from 'node:path';
import type { ImageMetrics, ImageRow } from '../../../../common/types';
import { appPaths } from '../../paths';
import { createCoreService } from '../../service';
import { BORDER_FRACTION, energyInBox } from '../metrics';
import { averagePrecision, suspicionComponents } from '../suspicion';
import { trainShortcutModel } from './shortcut-model';
import { CHECKER_FRACTION, PATCH_SOURCE, STAMPS, samplePhotos, writeStamped, type Stamp } from './stamps';

export interface Case {
  image: ImageRow;
  metrics: ImageMetrics;
  stamp: Stamp | null;
  /** The stamp changed the photo's top-1 class. */
  effective: boolean;
  /** Share of the top-1 map's mass in CORNER, where the `checker` stamp sits. */
  cornerMass: number;
}

/** The cells of the 7 × 7 map that the `checker` stamp touches (2 × 2 in the top-left), in image coordinates. */
export const CORNER_CELLS = Math.ceil(CHECKER_FRACTION * 7);
export const CORNER = { x0: 0, y0: 0, x1: CORNER_CELLS / 7, y1: CORNER_CELLS / 7 };
/** CORNER's share of a uniform map. */
export const CORNER_UNIFORM_SHARE = (CORNER_CELLS / 7) ** 2;

/** Whether a map's peak (cell centre, from ImageMetrics) lies in CORNER. */
export const peakInCorner = (m: ImageMetrics) => m.peakX < CORNER.x1 && m.peakY < CORNER.y1;

/** Scores a reviewer could sort by; higher = more suspicious. */
export const SCORES: Record<string, (m: ImageMetrics) => number | null> = {
  suspicion: (m) => m.suspicion,
  border: (m) => suspicionComponents({ borderMass: m.borderMass }).border ?? 0,
  'border mass': (m) => m.borderMass,
  'peak in border': (m) => Number(Math.min(m.peakX, m.peakY, 1 - m.peakX, 1 - m.peakY) < BORDER_FRACTION),
  unfaithful: (m) => (m.blurDrop === null ? null : 1 - m.blurDrop),
  'deletion AUC': (m) => m.deletionAuc,
};

/** Imports the sample photos and stamped copies of every `every`-th one; returns one case per image. */
export async function stampedLibrary(
  root: string,
  options: { every?: number; stamps?: readonly Stamp[]; faithfulness?: boolean; modelDir?: string } = {},
) {
  const samples = appPaths().samplesDir;
  const photosDir = path.join(root, 'photos');
  cpSync(samples, photosDir, { recursive: true, filter: (p) => !p.endsWith('.md') });
  const photos = (await samplePhotos(samples)).filter((p) => p !== PATCH_SOURCE);
  const stampedOf = new Map<string, { photo: string; stamp: Stamp }>();
  for (const [i, photo] of photos.entries()) {
    if (i % (options.every ?? 3) !== 0) continue;
    for (const stamp of options.stamps ?? STAMPS) stampedOf.set(await writeStamped(samples, photo, stamp, photosDir), { photo, stamp });
  }
  return importCases(root, photosDir, stampedOf, options);
}

/** The shortcut model's class for every stamped training photo ("koala": its photos came with the agency's logo). */
export const SHORTCUT_CLASS = 105;

/** True class of a sample photo: the number its folder name starts with. */
export const classOfSample = (photo: string) => Number(photo.split('/')[0].split('_')[0]);

/**
 * A real Clever-Hans case. The shortcut model (shortcut-model.ts) is fine-tuned on the clean sample photos
 * (true classes) and on `checker`-stamped copies of the shortcut class's photo and of every other remaining
 * photo, all labelled with the shortcut class, as if one agency had supplied that class's training photos
 * with its logo in the corner. The library then holds the clean photos and stamped copies of the held-out
 * half (photos whose stamped copy was never trained on), each in its true class's folder, as a reviewer
 * would receive them; folder names are the ground truth.
 */
export async function shortcutLibrary(root: string, options: { faithfulness?: boolean; epochs?: number; learningRate?: number } = {}) {
  const samples = appPaths().samplesDir;
  const photos = await samplePhotos(samples);
  const others = photos.filter((p) => classOfSample(p) !== SHORTCUT_CLASS);
  const heldOut = others.filter((_, i) => i % 2 === 1);
  const trainDir = path.join(root, 'train');
  const stamped: string[] = [];
  for (const photo of photos.filter((p) => !heldOut.includes(p))) {
    stamped.push(path.join(trainDir, await writeStamped(samples, photo, 'checker', trainDir)));
  }
  const model = await trainShortcutModel(appPaths().defaultModelDir, samples, path.join(root, 'model'), {
    clean: photos.map((photo) => ({ photo, classIndex: classOfSample(photo) })),
    stamped,
    shortcutClass: SHORTCUT_CLASS,
    epochs: options.epochs,
    learningRate: options.learningRate,
    cornerCells: CORNER_CELLS,
  });
  const photosDir = path.join(root, 'photos');
  cpSync(samples, photosDir, { recursive: true, filter: (p) => !p.endsWith('.md') });
  const stampedOf = new Map<string, { photo: string; stamp: Stamp }>();
  for (const photo of heldOut) stampedOf.set(await writeStamped(samples, photo, 'checker', photosDir), { photo, stamp: 'checker' });
  const started = performance.now();
  const cases = await importCases(root, photosDir, stampedOf, { faithfulness: options.faithfulness, modelDir: model.dir });
  return { cases, model, trainingStamped: stamped.length, analysisSeconds: (performance.now() - started) / 1000 };
}

/**
 * Imports `photosDir` (subfolder = true class) into a fresh library under `root` with the model in `modelDir`
 * (default: the bundled one), optionally measures faithfulness, and returns one case per image; `stampedOf`
 * maps a stamped copy's relative path to its clean photo and stamp.
 */
export async function importCases(
  root: string,
  photosDir: string,
  stampedOf: Map<string, { photo: string; stamp: Stamp }>,
  options: { faithfulness?: boolean; modelDir?: string } = {},
): Promise<Case[]> {
  const service = await createCoreService({ dataDir: path.join(root, 'data'), mode: 'web', modelDir: options.modelDir });
  try {
    const ended = new Promise<void>((resolve) => service.on('jobProgress', (p) => p.state !== 'running' && p.state !== 'queued' && resolve()));
    const { datasetId, runId } = await service.importFolder({ path: photosDir });
    await ended;
    if (options.faithfulness ?? true) await service.measureFaithfulness({ runId });
    const images = (await service.listImages({ datasetId, runId })).filter((i) => i.status === 'done');
    const run = (await service.listRuns({ datasetId })).find((r) => r.id === runId)!;
    const byPath = new Map(images.map((i) => [i.relPath, i]));
    const cases: Case[] = [];
    for (const image of images) {
      const { metrics } = await service.getMetrics({ imageId: image.id, runId });
      if (!metrics) continue;
      const source = stampedOf.get(image.relPath);
      const clean = source ? byPath.get(source.photo) : undefined;
      const { heatmap } = await service.explainImage({ imageId: image.id, runId, classIndex: metrics.classIndex, method: run.method });
      cases.push({
        image,
        metrics,
        stamp: source?.stamp ?? null,
        effective: !!clean && clean.top[0]?.index !== image.top[0]?.index,
        cornerMass: energyInBox(heatmap, CORNER),
      });
    }
    return cases;
  } finally {
    await service.close();
  }
}

/** AP of each score for `positive` cases against the clean photos, with the base rate. */
export function rankingReport(cases: Case[], positive: (c: Case) => boolean) {
  const pool = cases.filter((c) => c.stamp === null || positive(c));
  const labels = pool.map(positive);
  const baseRate = labels.filter(Boolean).length / Math.max(1, pool.length);
  const ap = Object.fromEntries(
    Object.entries(SCORES).map(([name, score]) => {
      const values = pool.map((c) => score(c.metrics));
      return [name, values.some((v) => v === null) ? null : averagePrecision(values as number[], labels)];
    }),
  ) as Record<string, number | null>;
  const positives = labels.filter(Boolean).length;
  // How many positives the suspicion sort puts in its first `positives` places (precision at R, times R).
  const order = pool.map((c, i) => i).sort((a, b) => pool[b].metrics.suspicion - pool[a].metrics.suspicion || a - b);
  const topHits = order.slice(0, positives).filter((i) => labels[i]).length;
  return { positives, negatives: pool.length - positives, baseRate, ap, topHits };
}
