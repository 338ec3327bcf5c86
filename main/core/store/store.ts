// The library database behind one object: opens it and hands each call to the module that owns its rows
// (datasets, runs, scan records, results, image rows, reviews, thumbnails, models, metrics, shards).
import type { DatasetSummary, ImageRow, JobState, RunInfo, Verdict } from '../../../common/types';
import type { KnownFile, ScanEntry } from '../base/scan-diff';
import { openDatabase, type Db } from './database';
import { Datasets, type DatasetCounts, type DatasetListing, type DatasetRecord } from './datasets';
import { iterateExportRows, type ExportRow } from './export-rows';
import { ImageRows } from './image-rows';
import { MetricsTable } from './metrics-table';
import { ModelsTable, type ModelRecord } from './models-table';
import { writeResults, type ImageResult } from './results';
import { setReview } from './reviews';
import { Runs, type RunKey } from './runs';
import { ScanRecords, type PendingImage } from './scan-records';
import { ShardTable } from './shard-table';
import { thumbnailOf } from './thumbnails';

export type { DatasetRecord, ImageResult, ModelRecord, PendingImage, RunKey };

export class Store {
  private readonly db: Db;
  private readonly datasets: Datasets;
  private readonly runs: Runs;
  private readonly scans: ScanRecords;
  private readonly images: ImageRows;
  /** Attention metrics and suspicion per run and image. */
  readonly metrics: MetricsTable;
  /** The shard of a run this library computes, when it is one (issue 16). */
  readonly shards: ShardTable;
  /** The model registry (issue 13). */
  readonly models: ModelsTable;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.datasets = new Datasets(this.db);
    this.runs = new Runs(this.db);
    this.scans = new ScanRecords(this.db);
    this.images = new ImageRows(this.db, this.runs);
    this.metrics = new MetricsTable(this.db);
    this.shards = new ShardTable(this.db);
    this.models = new ModelsTable(this.db);
  }

  close(): void {
    this.db.close();
  }

  sqliteVersion(): string {
    return this.db.prepare('SELECT sqlite_version()').pluck().get() as string;
  }

  ensureDataset(rootPath: string): DatasetRecord {
    return this.datasets.ensure(rootPath);
  }

  renameDataset(id: number, name: string): void {
    this.datasets.rename(id, name);
  }

  removeDataset(id: number): boolean {
    return this.datasets.remove(id);
  }

  getDataset(id: number): DatasetRecord | null {
    return this.datasets.get(id);
  }

  /** Every dataset with its counts; `known` gives a dataset's counts without SQL when it can. */
  listDatasets(known?: (datasetId: number, runId: number | null) => DatasetCounts | null): DatasetSummary[] {
    return this.datasets.list(known);
  }

  /** Every dataset with its latest run, without counting its images. */
  datasetRecords(): DatasetListing[] {
    return this.datasets.records();
  }

  ensureModel(model: ModelRecord): number {
    return this.models.ensure(model);
  }

  ensureRun(key: RunKey): number {
    return this.runs.ensure(key);
  }

  markInterruptedRuns(): void {
    this.runs.markInterrupted();
  }

  setRunState(runId: number, state: JobState): void {
    this.runs.setState(runId, state);
  }

  getRun(runId: number): RunInfo | null {
    return this.runs.get(runId);
  }

  listRuns(datasetId: number): RunInfo[] {
    return this.runs.list(datasetId);
  }

  latestRunId(datasetId: number): number | null {
    return this.runs.latestId(datasetId);
  }

  knownFiles(datasetId: number): Map<string, KnownFile> {
    return this.scans.knownFiles(datasetId);
  }

  applyScan(datasetId: number, entries: readonly ScanEntry[], removedIds: readonly number[], modelId: number | null = null): void {
    this.scans.apply(datasetId, entries, removedIds, modelId);
  }

  twinWithResults(datasetId: number, runId: number, contentHash: string): number | null {
    return this.scans.twinWithResults(datasetId, runId, contentHash);
  }

  pendingImages(datasetId: number, runId: number): PendingImage[] {
    return this.scans.pendingImages(datasetId, runId);
  }

  countImages(datasetId: number): number {
    return this.scans.countLive(datasetId);
  }

  writeResults(runId: number, results: readonly ImageResult[]): void {
    writeResults(this.db, runId, results);
  }

  /** Every image of the dataset, with this run's results (default: the latest run). */
  listImages(datasetId: number, runId: number | null = this.latestRunId(datasetId)): ImageRow[] {
    return this.images.list(datasetId, runId);
  }

  getImage(imageId: number, runId?: number | null): ImageRow | null {
    return this.images.get(imageId, runId);
  }

  /** The images as getImage gives each, in the order asked (unknown ids left out), read in one go. */
  getImages(imageIds: readonly number[], runId?: number | null): ImageRow[] {
    return this.images.getMany(imageIds, runId);
  }

  imageFile(imageId: number): string | null {
    return this.images.file(imageId);
  }

  /** The image's verdict under the run (null: the dataset has none; see reviews.ts) and its note; false for an unknown image. */
  setReview(imageId: number, runId: number | null, verdict: Verdict | null, note: string): boolean {
    return setReview(this.db, imageId, runId, verdict, note);
  }

  thumbnail(imageId: number): Buffer | null {
    return thumbnailOf(this.db, imageId);
  }

  /** The report's rows, streamed from SQLite in relative-path order; `onlyIds` keeps a filtered selection. */
  exportRows(datasetId: number, runId: number | null, onlyIds: readonly number[] | null = null): Generator<ExportRow> {
    return iterateExportRows(this.db, datasetId, runId, onlyIds);
  }
}
