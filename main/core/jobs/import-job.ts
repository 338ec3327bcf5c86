// The import pipeline: rescan the folder, read and decode ahead with bounded concurrency, keep the engine
// fed with the next mini-batch while it works on the current one, and write each batch in one transaction.
// One bad file costs one row, never the run; a file whose bytes another image already has shares its results.
import path from 'node:path';
import type { CamMethod } from '../../../common/types';
import type { Engine } from '../engine/types';
import { writeResultsWithMetrics } from '../analysis/image-metrics';
import { clustersOfRun } from '../analysis/run-analysis';
import { decodeImageBytes, readImageFile, type DecodedPixels } from '../scan/decode';
import type { LabelMatcher } from '../scan/labels';
import { rescan } from './rescan';
import { describeShard, type Shard } from '../store/shard-owner';
import type { DatasetRecord, ImageResult, PendingImage, Store } from '../store/store';
import type { JobControl } from './control';
import { mapAhead } from './map-ahead';
import { pendingInShard } from './shard-select';
import type { ProgressTracker } from './progress';

export const BATCH_SIZE = 8;
/** Batches of the default run each engine worker explains at start (EngineOptions.warmUp). */
export const WARM_UP_BATCHES = 3;
/**
 * Mini-batches handed to the engine and not yet written: one computing on each of the engine's (usually 2)
 * workers and one queued behind each, so a worker never waits for the next batch (README, "Runtimes").
 */
const ENGINE_AHEAD = 4;

export interface RunSettings {
  method: CamMethod;
  topK: number;
  camTopK: number;
  /** The run's target layer (default: the engine's). */
  layer?: string;
}

export interface ImportJob {
  store: Store;
  /** An engine of the run's model and setup. */
  engine: Engine;
  labels: LabelMatcher;
  /** The run's model: the scan records each file's class under it (labels are its classes). */
  modelId: number;
  dataset: DatasetRecord;
  runId: number;
  settings: RunSettings;
  batchSize: number;
  control: JobControl;
  progress: ProgressTracker;
  /** Compute only this shard's files (`analyze --shard i/n`); the scan still records every file. */
  shard?: Shard;
}

type Prepared =
  | { image: PendingImage; contentHash: string; decoded: DecodedPixels }
  | { image: PendingImage; contentHash: string; twinId: number }
  | { image: PendingImage; contentHash: string | null; error: string };

export async function runImport(job: ImportJob): Promise<void> {
  const { store, dataset, runId, control, progress } = job;
  store.setRunState(runId, 'running');
  try {
    progress.note(`Scanning ${dataset.rootPath}`);
    progress.scanned(await rescan(store, dataset, { modelId: job.modelId, truthFor: (relPath) => job.labels.forFile(relPath) }, control.signal));
    if (job.shard) {
      store.shards.begin(runId, job.shard);
      progress.note(`Reading every file's content hash to find shard ${describeShard(job.shard)}`);
    }
    const pending = job.shard ? await pendingInShard(store, dataset, runId, job.shard, control.signal) : store.pendingImages(dataset.id, runId);
    const total = job.shard ? store.shards.countOwned(dataset.id, job.shard) : store.countImages(dataset.id);
    progress.begin(total, total - pending.length);
    await processAll(job, pending);
    if (control.signal.aborted) {
      store.setRunState(runId, 'cancelled');
      progress.finish('cancelled', 'Cancelled; importing the folder again resumes where this stopped');
      return;
    }
    // Cheap enough to redo after every import: the gallery shows each map's group among its class's maps.
    clustersOfRun(store, dataset.id, runId);
    store.setRunState(runId, 'done');
    if (job.shard) store.shards.complete(runId);
    const failed = progress.snapshot().failed;
    progress.finish('done', failed > 0 ? `${failed} of ${total} images could not be used` : null);
  } catch (err) {
    const cancelled = control.signal.aborted;
    store.setRunState(runId, cancelled ? 'cancelled' : 'failed');
    progress.finish(cancelled ? 'cancelled' : 'failed', cancelled ? 'Cancelled while scanning' : (err as Error).message);
  }
}

async function processAll(job: ImportJob, pending: readonly PendingImage[]): Promise<void> {
  const { control } = job;
  const prepareOne = (image: PendingImage) => prepare(job, image);
  // Photos are read and decoded ahead of the engine, enough to fill the batches in flight.
  // Written in order; at most ENGINE_AHEAD batches between "handed to the engine" and "stored".
  const queue: Promise<void>[] = [];
  const submit = async (batch: Prepared[]) => {
    const explained = explainBatch(job, batch);
    const previous = queue.at(-1) ?? Promise.resolve();
    queue.push(previous.then(async () => writeBatch(job, await explained)));
    while (queue.length >= ENGINE_AHEAD) await queue.shift();
  };
  try {
    let batch: Prepared[] = [];
    for await (const item of mapAhead(pending, ENGINE_AHEAD * job.batchSize, prepareOne)) {
      batch.push(item);
      if (batch.length === job.batchSize) {
        await submit(batch);
        batch = [];
        await control.whenRunning();
      }
      if (control.signal.aborted) break;
    }
    // The last, partial batch waits for a pause like the others: a job paused there stays paused.
    if (batch.length > 0) await control.whenRunning();
    if (!control.signal.aborted && batch.length > 0) await submit(batch);
    await Promise.all(queue);
  } finally {
    // After a failed write the later batches fail too; wait for them so none rejects unobserved.
    await Promise.allSettled(queue);
  }
}

/** Reads and hashes the file, then decodes it unless an image with the same bytes has this run's results. */
async function prepare(job: ImportJob, image: PendingImage): Promise<Prepared> {
  let contentHash: string | null = null;
  try {
    const file = await readImageFile(path.join(job.dataset.rootPath, image.relPath));
    contentHash = file.contentHash;
    const twinId = job.store.twinWithResults(job.dataset.id, job.runId, contentHash);
    if (twinId !== null && twinId !== image.id) return { image, contentHash, twinId };
    return { image, contentHash, decoded: await decodeImageBytes(file.bytes, job.engine.model.inputSize, job.engine.model.resizeMode) };
  } catch (err) {
    return { image, contentHash, error: (err as Error).message };
  }
}

function writeBatch(job: ImportJob, results: ImageResult[]): void {
  writeResultsWithMetrics(job.store, job.runId, results);
  const failed = results.filter((r) => !r.ok).length;
  job.progress.advance(results.length - failed, failed);
}

/** Never rejects: an engine failure becomes each image's error. */
async function explainBatch({ engine, settings }: ImportJob, batch: Prepared[]): Promise<ImageResult[]> {
  const usable = batch.filter((b): b is Extract<Prepared, { decoded: DecodedPixels }> => 'decoded' in b);
  let explained: Awaited<ReturnType<Engine['explain']>> = [];
  let engineError: string | null = null;
  if (usable.length > 0) {
    try {
      explained = await engine.explain({
        pixels: Buffer.concat(usable.map((u) => u.decoded.pixels)),
        count: usable.length,
        ...settings,
      });
    } catch (err) {
      engineError = `The model failed on this batch: ${(err as Error).message}`;
    }
  }
  return batch.map((item): ImageResult => {
    const imageId = item.image.id;
    if ('error' in item) return { imageId, ok: false, error: item.error, contentHash: item.contentHash };
    if ('twinId' in item) return { imageId, ok: true, contentHash: item.contentHash, twinId: item.twinId };
    const result = explained[usable.indexOf(item)];
    if (!result) {
      return { imageId, ok: false, error: engineError ?? 'The model returned no result for this image', contentHash: item.contentHash };
    }
    const { width, height, thumbnail } = item.decoded;
    return { imageId, ok: true, contentHash: item.contentHash, width, height, thumbnail, top: result.top, heatmaps: result.heatmaps };
  });
}
