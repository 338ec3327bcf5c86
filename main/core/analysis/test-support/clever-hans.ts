// Clever-Hans libraries for measuring the suspicion score (bench/suspicion.ts and clever-hans.test.ts): the
// sample photos plus stamped copies go through the real import, and each score's ranking is summarised by its
// average precision next to the base rate.
import { cpSync } from 'node:fs';
import path from 'node:path';
import type { ImageMetrics, ImageRow } from '../../../../common/types';
import { appPaths } from '../../paths';
import { createCoreService } from '../../service';
import { BORDER_FRACTION } from '../metrics';
import { averagePrecision, suspicionComponents } from '../suspicion';
import { PATCH_SOURCE, STAMPS, samplePhotos, writeStamped, type Stamp } from './stamps';

export interface Case {
  image: ImageRow;
  metrics: ImageMetrics;
  stamp: Stamp | null;
  /** The stamp changed the photo's top-1 class. */
  effective: boolean;
}

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
export async function stampedLibrary(root: string, options: { every?: number; stamps?: readonly Stamp[]; faithfulness?: boolean } = {}) {
  const samples = appPaths().samplesDir;
  const photosDir = path.join(root, 'photos');
  cpSync(samples, photosDir, { recursive: true, filter: (p) => !p.endsWith('.md') });
  const photos = (await samplePhotos(samples)).filter((p) => p !== PATCH_SOURCE);
  const stampedOf = new Map<string, { photo: string; stamp: Stamp }>();
  for (const [i, photo] of photos.entries()) {
    if (i % (options.every ?? 3) !== 0) continue;
    for (const stamp of options.stamps ?? STAMPS) stampedOf.set(await writeStamped(samples, photo, stamp, photosDir), { photo, stamp });
  }
  const service = await createCoreService({ dataDir: path.join(root, 'data'), mode: 'web' });
  try {
    const ended = new Promise<void>((resolve) => service.on('jobProgress', (p) => p.state !== 'running' && p.state !== 'queued' && resolve()));
    const { datasetId, runId } = await service.importFolder({ path: photosDir });
    await ended;
    if (options.faithfulness ?? true) await service.measureFaithfulness({ runId });
    const images = (await service.listImages({ datasetId, runId })).filter((i) => i.status === 'done');
    const byPath = new Map(images.map((i) => [i.relPath, i]));
    const cases: Case[] = [];
    for (const image of images) {
      const { metrics } = await service.getMetrics({ imageId: image.id, runId });
      if (!metrics) continue;
      const source = stampedOf.get(image.relPath);
      const clean = source ? byPath.get(source.photo) : undefined;
      cases.push({ image, metrics, stamp: source?.stamp ?? null, effective: !!clean && clean.top[0]?.index !== image.top[0]?.index });
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
  return { positives: labels.filter(Boolean).length, negatives: pool.length - labels.filter(Boolean).length, baseRate, ap };
}
