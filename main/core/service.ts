// The library service: every call of the contract, on top of the store, the jobs and the engine.
// Transports (Electron IPC, the web host, the CLI) validate inputs and forward here.
import { readFileSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CallInput, CallOutputs, EventName, EventPayloads } from '../../common/contract';
import type { JobProgress } from '../../common/types';
import { createEngine } from './engine/index';
import type { Engine } from './engine/types';
import { csvFileName, imagesToCsv } from './export/csv';
import { EXPLAIN_OPTIONS, METHOD, runImport } from './jobs/import-job';
import { JobManager } from './jobs/job-manager';
import { appPaths } from './paths';
import { imageAsJpeg } from './scan/decode';
import { classEntries, displayName, LabelMatcher, type ImagenetClass } from './scan/labels';
import type { CoreService, CreateCoreService } from './service-types';
import { Store, type DatasetRecord } from './store/store';

/** The loaded engine and what the library needs to know about its model. */
interface LoadedModel {
  engine: Engine;
  modelId: number;
  labels: LabelMatcher;
}

export const createCoreService: CreateCoreService = async (options) => {
  const paths = appPaths();
  const modelDir = options.modelDir ?? paths.defaultModelDir;
  const samplesDir = options.samplesDir ?? paths.samplesDir;
  const store = new Store(path.join(options.dataDir, 'library.db'));
  store.markInterruptedRuns();
  const listeners = new Set<(progress: JobProgress) => void>();
  const jobs = new JobManager((progress) => listeners.forEach((listener) => listener(progress)));

  // The model loads in the background from the start, so that getInfo never waits for it.
  let loaded: LoadedModel | null = null;
  const loading: Promise<LoadedModel> = createEngine({ modelDir, backend: options.backend }).then((engine) => {
    const modelId = store.ensureModel({
      hash: engine.model.hash,
      name: engine.model.name,
      dir: modelDir,
      inputSize: engine.model.inputSize,
      labels: engine.model.labels.map(displayName),
    });
    const imagenet = JSON.parse(readFileSync(paths.labelsFile, 'utf8')) as ImagenetClass[];
    loaded = { engine, modelId, labels: new LabelMatcher(classEntries(engine.model.labels, imagenet)) };
    return loaded;
  });
  // A load failure is reported by the first call that needs the model, not as an unhandled rejection.
  loading.catch(() => undefined);
  const model = () =>
    loading.catch((err: unknown) => {
      throw new Error(`The model in ${modelDir} could not be loaded: ${(err as Error).message}`);
    });

  const dataset = (datasetId: number): DatasetRecord => {
    const found = store.getDataset(datasetId);
    if (!found) throw new Error(`No dataset with id ${datasetId}`);
    return found;
  };
  /** The requested run after checking it belongs to the dataset, else the dataset's latest run. */
  const runOf = (datasetId: number, runId: number | undefined): number | null => {
    if (runId === undefined) return store.latestRunId(datasetId);
    if (store.getRun(runId)?.datasetId !== datasetId) throw new Error(`Dataset ${datasetId} has no run ${runId}`);
    return runId;
  };

  let closing: Promise<void> | null = null;

  const service: CoreService = {
    async getInfo(): Promise<CallOutputs['getInfo']> {
      const engine = loaded?.engine;
      return {
        version: paths.version,
        mode: options.mode,
        dataDir: options.dataDir,
        samplesDir,
        model: engine
          ? { name: engine.model.name, hash: engine.model.hash, inputSize: engine.model.inputSize, layer: engine.model.layer }
          : null,
        backend: engine?.backend ?? null,
      };
    },

    async listDatasets() {
      return store.listDatasets();
    },

    async importFolder(input: CallInput<'importFolder'>) {
      const requested = path.resolve(input.path);
      const info = await stat(requested).catch(() => null);
      if (!info?.isDirectory()) throw new Error(`${requested} is not a folder`);
      const { engine, modelId, labels } = await model();
      const target = store.ensureDataset(await realpath(requested));
      const runId = store.ensureRun({
        datasetId: target.id,
        modelId,
        method: METHOD,
        layer: engine.model.layer,
        options: EXPLAIN_OPTIONS,
        backend: engine.backend.name,
      });
      const jobId =
        jobs.runningFor(runId) ??
        jobs.start({ datasetId: target.id, runId }, (signal, progress) =>
          runImport({ store, engine, labels, dataset: target, runId, signal, progress }),
        );
      return { jobId, datasetId: target.id, runId };
    },

    async cancelJob(input: CallInput<'cancelJob'>) {
      return { cancelled: jobs.cancel(input.jobId) };
    },

    async listJobs() {
      return jobs.list();
    },

    async listRuns(input: CallInput<'listRuns'>) {
      return store.listRuns(dataset(input.datasetId).id);
    },

    async listImages(input: CallInput<'listImages'>) {
      const { id } = dataset(input.datasetId);
      return store.listImages(id, runOf(id, input.runId));
    },

    async getImage(input: CallInput<'getImage'>) {
      const image = store.getImage(input.imageId, input.runId);
      if (!image) throw new Error(`No image with id ${input.imageId}`);
      if (input.runId !== undefined) runOf(image.datasetId, input.runId);
      return image;
    },

    async setReview(input: CallInput<'setReview'>) {
      if (!store.setReview(input.imageId, input.verdict, input.note)) throw new Error(`No image with id ${input.imageId}`);
      return store.getImage(input.imageId)!;
    },

    async exportCsv(input: CallInput<'exportCsv'>) {
      const target = dataset(input.datasetId);
      const runId = runOf(target.id, input.runId);
      return { fileName: csvFileName(target.name, runId), csv: imagesToCsv(target.rootPath, store.listImages(target.id, runId)) };
    },

    on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
      if (event !== 'jobProgress') throw new Error(`Unknown event ${event}`);
      const typed = listener as (progress: JobProgress) => void;
      listeners.add(typed);
      return () => listeners.delete(typed);
    },

    async readMedia(kind, imageId) {
      if (kind === 'thumb') {
        const jpeg = store.thumbnail(imageId);
        return jpeg ? { body: jpeg, mime: 'image/jpeg' } : null;
      }
      const file = store.imageFile(imageId);
      if (!file) return null;
      // The file may have gone or changed since the import: that is a missing image, not a server error.
      const jpeg = await imageAsJpeg(file).catch(() => null);
      return jpeg ? { body: jpeg, mime: 'image/jpeg' } : null;
    },

    imagePath(imageId) {
      return store.imageFile(imageId);
    },

    close() {
      closing ??= (async () => {
        await jobs.cancelAll();
        const engine = await loading.then((m) => m.engine).catch(() => null);
        await engine?.dispose();
        listeners.clear();
        store.close();
      })();
      return closing;
    },
  };
  return service;
};
