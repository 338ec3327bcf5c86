// The import pipeline: walk the folder, decode ahead with bounded concurrency, explain mini-batches,
// and write each batch in one transaction. One bad file costs one row, never the run.
import path from 'node:path';
import type { CamMethodName, Engine } from '../engine/types';
import { decodeImage, type DecodedImage } from '../scan/decode';
import type { LabelMatcher } from '../scan/labels';
import { walkImages } from '../scan/walk';
import type { DatasetRecord, ImageResult, PendingImage, Store } from '../store/store';
import { mapAhead } from './map-ahead';
import type { ProgressTracker } from './progress';

export const METHOD: CamMethodName = 'GradCAM';
export const EXPLAIN_OPTIONS = { topK: 3, camTopK: 1 } as const;
export const BATCH_SIZE = 8;
/** Decodes in flight ahead of the engine; sharp spreads them over libvips' threads. */
const DECODE_AHEAD = 2 * BATCH_SIZE;

export interface ImportJob {
  store: Store;
  engine: Engine;
  labels: LabelMatcher;
  dataset: DatasetRecord;
  runId: number;
  signal: AbortSignal;
  progress: ProgressTracker;
}

type Decoded = { image: PendingImage; decoded: DecodedImage } | { image: PendingImage; error: string };

export async function runImport(job: ImportJob): Promise<void> {
  const { store, dataset, runId, signal, progress } = job;
  store.setRunState(runId, 'running');
  try {
    progress.note(`Scanning ${dataset.rootPath}`);
    const files = await walkImages(dataset.rootPath);
    store.syncFiles(dataset.id, files.map((f) => ({ ...f, ...job.labels.forFile(f.relPath) })));
    const pending = store.pendingImages(dataset.id, runId);
    const total = store.countImages(dataset.id);
    progress.begin(total, total - pending.length);

    const inputSize = job.engine.model.inputSize;
    const decodeOne = async (image: PendingImage): Promise<Decoded> => {
      try {
        return { image, decoded: await decodeImage(path.join(dataset.rootPath, image.relPath), inputSize) };
      } catch (err) {
        return { image, error: (err as Error).message };
      }
    };
    let batch: Decoded[] = [];
    for await (const item of mapAhead(pending, DECODE_AHEAD, decodeOne)) {
      if (signal.aborted) break;
      batch.push(item);
      if (batch.length === BATCH_SIZE) {
        await writeBatch(job, batch);
        batch = [];
      }
    }
    if (signal.aborted) {
      store.setRunState(runId, 'cancelled');
      progress.finish('cancelled', 'Cancelled; importing the folder again resumes where this stopped');
      return;
    }
    await writeBatch(job, batch);
    store.setRunState(runId, 'done');
    const failed = progress.snapshot().failed;
    progress.finish('done', failed > 0 ? `${failed} of ${total} images could not be used` : null);
  } catch (err) {
    store.setRunState(runId, 'failed');
    progress.finish('failed', (err as Error).message);
  }
}

async function writeBatch(job: ImportJob, batch: Decoded[]): Promise<void> {
  if (batch.length === 0) return;
  const results = await explainBatch(job.engine, batch);
  job.store.writeResults(job.runId, results);
  const failed = results.filter((r) => !r.ok).length;
  job.progress.advance(results.length - failed, failed);
}

async function explainBatch(engine: Engine, batch: Decoded[]): Promise<ImageResult[]> {
  const usable = batch.filter((b): b is Extract<Decoded, { decoded: DecodedImage }> => 'decoded' in b);
  let explained: Awaited<ReturnType<Engine['explain']>> = [];
  let engineError: string | null = null;
  if (usable.length > 0) {
    try {
      explained = await engine.explain({
        pixels: Buffer.concat(usable.map((u) => u.decoded.pixels)),
        count: usable.length,
        method: METHOD,
        ...EXPLAIN_OPTIONS,
      });
    } catch (err) {
      engineError = `The model failed on this batch: ${(err as Error).message}`;
    }
  }
  return batch.map((item): ImageResult => {
    if ('error' in item) return { imageId: item.image.id, ok: false, error: item.error };
    const result = explained[usable.indexOf(item)];
    if (!result) return { imageId: item.image.id, ok: false, error: engineError ?? 'The model returned no result for this image' };
    const { contentHash, width, height, thumbnail } = item.decoded;
    return { imageId: item.image.id, ok: true, contentHash, width, height, thumbnail, top: result.top, heatmaps: result.heatmaps };
  });
}
