// The library service: every call of the contract, on top of the store, the jobs and the engine.
// Transports (Electron IPC, the web host, the CLI) validate inputs and forward here.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { CallInput, CallOutputs, EventName, EventPayloads } from '../../common/contract';
import { describeEngine } from '../../common/engine';
import { UserError } from '../../common/errors';
import { DEFAULT_RUN, type DatasetSummary, type JobProgress } from '../../common/types';
import { createEngine } from './engine/index';
import type { Writable } from 'node:stream';
import { refreshBox } from './analysis/image-metrics';
import { agreementOfRuns, clustersOfRun, faithfulnessOfRun, sanityOfRun } from './analysis/run-analysis';
import { renderHtmlReport } from './analysis/html-report';
import { csvFileName, csvString, writeCsv } from './export/csv';
import { reportManifest } from './export/manifest';
import { BATCH_SIZE, runImport, WARM_UP_BATCHES } from './jobs/import-job';
import { JobManager } from './jobs/job-manager';
import { previewOn, previewPhoto } from './models/preview';
import { ModelRegistry, pixelsOfRun, runOptionsOf } from './models/registry';
import { resolveLayer } from './models/setup';
import { appPaths } from './paths';
import { browse } from './browse';
import { DisplayImages } from './display-images';
import { createReviewCalls } from './review-calls';
import { userFolder } from './user-path';
import { decodeImage } from './scan/decode';
import { displayName } from './scan/labels';
import type { CoreService, CreateCoreService } from './service-types';
import { openDatabase } from './store/database';
import { DatasetLabels } from './store/dataset-labels';
import { LibraryQuery } from './store/query';
import type { ModelEntry } from './store/models-table';
import { Store, type DatasetRecord } from './store/store';

/** The rows among the selected ids (all of them when there is no selection), in their order. */
const inSelection = <R extends { id: number }>(rows: R[], ids: readonly number[] | null): R[] => {
  if (ids === null) return rows;
  const chosen = new Set(ids);
  return rows.filter((row) => chosen.has(row.id));
};

/** How many classes the detail view lists, each with a map on demand. */
const TOP_CLASSES = 5;
/** Folders and models the file browser offers as recent. */
const RECENT_PATHS = 12;

type RunChoice = Pick<CallInput<'startRun'>, 'modelId' | 'method' | 'layer' | 'camTopK'>;

export const createCoreService: CreateCoreService = async (options) => {
  const paths = appPaths();
  const samplesDir = options.samplesDir ?? paths.samplesDir;
  const libraryFile = options.libraryFile ?? path.join(options.dataDir, 'library.db');
  const store = new Store(libraryFile);
  // The gallery's queries use a connection of their own to the same file.
  const libraryDb = openDatabase(libraryFile);
  const library = new LibraryQuery(libraryDb);
  const datasetLabels = new DatasetLabels(libraryDb);
  const displayImages = new DisplayImages();
  store.markInterruptedRuns();
  const listeners = new Set<(progress: JobProgress) => void>();
  const jobs = new JobManager((progress) => listeners.forEach((listener) => listener(progress)));

  // Converted models (TF.js → ONNX) are cached in the library's own data folder.
  const engineOptions = { backend: options.backend, runtime: options.runtime, onnxCacheDir: path.join(options.dataDir, 'onnx-cache') };
  const registry = new ModelRegistry({ store, engineOptions, imagenetFile: paths.labelsFile });
  // The bundled MobileNet joins the library on its first start, and a model given in the options is added and made
  // active; both in the background, so that getInfo never waits. The active model's engine then starts and explains
  // a few batches of the default run before it reports ready: the first import runs at full speed from its first batch.
  const warmUp = { batches: WARM_UP_BATCHES, ...DEFAULT_RUN };
  const ready = (async () => {
    if (registry.list().length === 0) await registry.add(paths.defaultModelDir);
    if (options.modelDir) await registry.add(options.modelDir, true);
  })();
  // A failure is reported by the first call that needs a model, not as an unhandled rejection.
  /** The engine an import of the active model will use, started (and warmed up) before it is asked for. */
  const startInBackground = (model: ModelEntry) => registry.warm(model, warmUp);
  ready.then(() => startInBackground(registry.active())).catch(() => undefined);
  /** The model a call names, else the active one. */
  const modelOf = async (modelId?: number): Promise<ModelEntry> => {
    await ready;
    return modelId === undefined ? registry.active() : registry.get(modelId);
  };
  /** The model that made a run: runs belong to the bytes they were made with. */
  const modelOfRun = async (run: { id: number; modelId: number; modelName: string }): Promise<ModelEntry> => {
    await ready;
    const model = store.models.get(run.modelId);
    if (!model) throw new UserError(`Run ${run.id} was made by ${run.modelName}, which is not in the library's models: add that model again`, 409);
    return model;
  };

  const dataset = (datasetId: number): DatasetRecord => {
    const found = store.getDataset(datasetId);
    if (!found) throw new UserError(`No dataset with id ${datasetId}`, 404);
    return found;
  };
  /** The requested run after checking it belongs to the dataset, else the dataset's latest run. */
  const runOf = (datasetId: number, runId: number | undefined): number | null => {
    if (runId === undefined) return store.latestRunId(datasetId);
    if (store.getRun(runId)?.datasetId !== datasetId) throw new UserError(`Dataset ${datasetId} has no run ${runId}`, 404);
    return runId;
  };

  /** Starts (or joins) the run of `target` for this model, method, layer and number of maps. */
  const startRun = async (target: DatasetRecord, choice: RunChoice) => {
    const model = await modelOf(choice.modelId);
    const layer = resolveLayer(model, choice.layer);
    const labels = registry.matcher(model);
    const settings = { method: choice.method ?? DEFAULT_RUN.method, topK: DEFAULT_RUN.topK, camTopK: choice.camTopK ?? DEFAULT_RUN.camTopK, layer };
    // The import holds its engine until it ends.
    const { engine, release } = await registry.lease(model);
    let runId: number;
    try {
      runId = store.ensureRun({
        datasetId: target.id,
        modelId: model.id,
        method: settings.method,
        layer,
        options: { topK: settings.topK, camTopK: settings.camTopK, ...runOptionsOf(model) },
        backend: describeEngine(engine.backend),
      });
    } catch (error) {
      release();
      throw error;
    }
    const running = jobs.runningFor(runId);
    if (running) release();
    const batchSize = options.batchSize ?? BATCH_SIZE;
    const jobId =
      running ??
      jobs.start({ datasetId: target.id, runId }, (control, progress) =>
        runImport({ store, engine, labels: labels.withSource(datasetLabels.source(target.id)), modelId: model.id, dataset: target, runId, settings, batchSize, control, progress, shard: options.shard }).finally(
          release,
        ),
      );
    return { jobId, datasetId: target.id, runId };
  };

  /** The images an export covers: the gallery's filter when given (its order is the library's), else all. */
  const exportSelection = (datasetId: number, runId: number | null, filter: CallInput<'exportCsv'>['filter']) =>
    filter ? library.images(datasetId, runId, filter, { key: 'fileName', descending: false }).ids : null;
  /** Tags, saved views and the paths export. */
  const review = createReviewCalls({ db: libraryDb, store, dataset, runOf, selection: exportSelection });

  /** A run with the model that made it. */
  const analysisTarget = async (runId: number) => {
    const run = store.getRun(runId);
    if (!run) throw new UserError(`No run with id ${runId}`, 404);
    return { run, model: await modelOfRun(run) };
  };

  const withLabels = (summary: DatasetSummary): DatasetSummary => ({
    ...summary,
    labelSource: datasetLabels.source(summary.id),
    labelLevels: datasetLabels.levels(summary.id),
  });

  let closing: Promise<void> | null = null;

  const service: CoreService = {
    async getInfo(): Promise<CallOutputs['getInfo']> {
      const active = store.models.active();
      return {
        version: paths.version,
        mode: options.mode,
        dataDir: options.dataDir,
        samplesDir,
        model: active
          ? {
              name: active.name,
              hash: active.hash,
              inputSize: active.inputSize,
              layer: active.setup.layer,
              candidateLayers: active.candidateLayers.map((l) => l.name),
            }
          : null,
        backend: (active && registry.startedEngine(active)?.backend) ?? null,
      };
    },

    async listDatasets() {
      return store.listDatasets().map(withLabels);
    },

    async setDatasetLabels(input: CallInput<'setDatasetLabels'>) {
      const target = dataset(input.datasetId);
      // Each model with runs on the dataset gets its classes, and the active one, which the next import uses.
      const modelIds = new Set([...datasetLabels.modelsWithRuns(target.id), (await modelOf()).id]);
      const models = [...modelIds].flatMap((id) => store.models.get(id) ?? []);
      datasetLabels.apply(
        target.id,
        input.source,
        models.map((model) => {
          const matcher = registry.matcher(model).withSource(input.source);
          return { modelId: model.id, truthFor: (relPath: string) => matcher.forFile(relPath) };
        }),
      );
      return withLabels(store.listDatasets().find((d) => d.id === target.id)!);
    },

    async renameDataset(input: CallInput<'renameDataset'>) {
      const target = dataset(input.datasetId);
      const name = input.name.trim();
      if (!name) throw new UserError('A dataset needs a name: type one', 400);
      store.renameDataset(target.id, name);
      return withLabels(store.listDatasets().find((d) => d.id === target.id)!);
    },

    async removeDataset(input: CallInput<'removeDataset'>) {
      const target = dataset(input.datasetId);
      const busy = jobs.list().find((job) => job.datasetId === target.id && (job.state === 'running' || job.state === 'queued'));
      if (busy) throw new UserError(`Dataset ${target.name} is being analysed: cancel that job before removing it`, 409);
      return { removed: store.removeDataset(target.id) };
    },

    async importFolder(input: CallInput<'importFolder'>) {
      const requested = await userFolder(input.path);
      await modelOf(input.modelId);
      return startRun(store.ensureDataset(await realpath(requested)), input);
    },

    async startRun(input: CallInput<'startRun'>) {
      return startRun(dataset(input.datasetId), input);
    },

    async cancelJob(input: CallInput<'cancelJob'>) {
      return { cancelled: jobs.cancel(input.jobId) };
    },

    async pauseJob(input: CallInput<'pauseJob'>) {
      return { paused: jobs.pause(input.jobId) };
    },

    async resumeJob(input: CallInput<'resumeJob'>) {
      return { resumed: jobs.resume(input.jobId) };
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
      if (!image) throw new UserError(`No image with id ${input.imageId}`, 404);
      if (input.runId !== undefined) runOf(image.datasetId, input.runId);
      return review.withTags([image])[0];
    },

    async setReview(input: CallInput<'setReview'>) {
      if (!store.setReview(input.imageId, input.verdict, input.note)) throw new UserError(`No image with id ${input.imageId}`, 404);
      return review.withTags([store.getImage(input.imageId)!])[0];
    },

    async exportCsv(input: CallInput<'exportCsv'>) {
      const target = dataset(input.datasetId);
      const runId = runOf(target.id, input.runId);
      const rows = store.exportRows(target.id, runId, exportSelection(target.id, runId, input.filter));
      return { fileName: csvFileName(target.name, runId), csv: await csvString(target.rootPath, rows, { bom: input.bom }) };
    },

    async exportCsvTo(input: CallInput<'exportCsv'>, out: Writable) {
      const target = dataset(input.datasetId);
      const runId = runOf(target.id, input.runId);
      // A connection of its own: the rows are read while other calls keep using the store's.
      const reader = new Store(libraryFile);
      try {
        const rows = reader.exportRows(target.id, runId, exportSelection(target.id, runId, input.filter));
        return { rows: await writeCsv(target.rootPath, rows, out, { bom: input.bom }) };
      } finally {
        reader.close();
      }
    },

    async exportHtml(input: CallInput<'exportHtml'>) {
      const target = dataset(input.datasetId);
      const runId = runOf(target.id, input.runId);
      const run = runId === null ? null : store.getRun(runId);
      const runModel = run && store.models.get(run.modelId);
      const model = run && runModel ? { name: runModel.name, inputSize: runModel.inputSize, preprocessing: pixelsOfRun(runModel, run.options).preprocessing } : null;
      const metrics = runId === null ? new Map() : store.metrics.forRun(runId);
      const html = await renderHtmlReport({
        title: target.name,
        rootPath: target.rootPath,
        generatedAt: new Date().toISOString(),
        images: inSelection(store.listImages(target.id, runId), exportSelection(target.id, runId, input.filter)),
        suspicion: new Map([...metrics].map(([imageId, m]) => [imageId, m.suspicion])),
        photo: async (imageId) => store.thumbnail(imageId),
        manifest: reportManifest({
          appVersion: paths.version,
          run,
          model,
          sqliteVersion: store.sqliteVersion(),
          sanity: runId === null ? null : store.metrics.sanity(runId),
        }),
      });
      return { fileName: csvFileName(target.name, runId, 'html'), html };
    },

    setTags: review.setTags,
    restoreTags: review.restoreTags,
    listViews: review.listViews,
    saveView: review.saveView,
    deleteView: review.deleteView,
    exportPaths: review.exportPaths,

    async getMetrics(input: CallInput<'getMetrics'>) {
      const image = store.getImage(input.imageId);
      if (!image) throw new UserError(`No image with id ${input.imageId}`, 404);
      const runId = runOf(image.datasetId, input.runId);
      return { metrics: runId === null ? null : store.metrics.get(runId, image.id) };
    },

    async sanityCheck(input: CallInput<'sanityCheck'>) {
      const { run, model } = await analysisTarget(input.runId);
      // The randomised copy runs under the run's setup.
      const setup = { ...pixelsOfRun(model, run.options), labels: registry.labels(model.classCount, model.setup) };
      return sanityOfRun(store, run.datasetId, run.id, {
        modelDir: model.path,
        method: run.method,
        layer: run.layer,
        // The randomised copy is converted once, into its own temporary folder, not the library's cache.
        startEngine: (dir) => createEngine({ modelDir: dir, ...engineOptions, onnxCacheDir: path.join(dir, 'onnx-cache'), layer: run.layer, setup }),
        sample: input.sample,
        topLayers: input.topLayers,
      });
    },

    async measureFaithfulness(input: CallInput<'measureFaithfulness'>) {
      const { run, model } = await analysisTarget(input.runId);
      const { engine, release } = await registry.lease(model, pixelsOfRun(model, run.options));
      try {
        return { measured: await faithfulnessOfRun(store, engine, run.datasetId, run.id, { limit: input.limit }) };
      } finally {
        release();
      }
    },

    async compareRuns(input: CallInput<'compareRuns'>) {
      const run = store.getRun(input.runId);
      const other = store.getRun(input.otherRunId);
      if (!run || !other || run.datasetId !== other.datasetId) throw new UserError(`Runs ${input.runId} and ${input.otherRunId} are not runs of one dataset`);
      // Runs of two models compare when the models share their classes (before and after fine-tuning).
      const classes = [run.modelId, other.modelId].map((id) => store.models.get(id)?.classCount);
      if (classes[0] !== undefined && classes[1] !== undefined && classes[0] !== classes[1]) {
        throw new UserError(`Runs ${run.id} and ${other.id} were made by models with different classes (${classes[0]} and ${classes[1]}): their maps do not compare`);
      }
      const { compared, mean } = agreementOfRuns(store, run.datasetId, run.id, other.id);
      return { compared, meanAgreement: mean };
    },

    async clusterRun(input: CallInput<'clusterRun'>) {
      const run = store.getRun(input.runId);
      if (!run) throw new UserError(`No run with id ${input.runId}`, 404);
      return { groups: clustersOfRun(store, run.datasetId, run.id) };
    },

    async queryImages(input: CallInput<'queryImages'>) {
      const { id } = dataset(input.datasetId);
      return library.images(id, runOf(id, input.runId), input.filter, input.sort);
    },

    async getImages(input: CallInput<'getImages'>) {
      const images = input.imageIds.flatMap((imageId) => {
        const image = store.getImage(imageId, input.runId);
        if (image && input.runId !== undefined) runOf(image.datasetId, input.runId);
        return image ? [image] : [];
      });
      return review.withTags(images);
    },

    async setVerdicts(input: CallInput<'setVerdicts'>) {
      return { previous: library.setVerdicts(input.changes) };
    },

    async getExpectedBox(input: CallInput<'getExpectedBox'>) {
      return { box: library.expectedBox(input.imageId) };
    },

    async setExpectedBox(input: CallInput<'setExpectedBox'>) {
      if (!library.setExpectedBox(input.imageId, input.box)) throw new UserError(`No image with id ${input.imageId}`, 404);
      refreshBox(store.metrics, input.imageId);
      return { box: library.expectedBox(input.imageId) };
    },

    // Maps on demand come from the run's model (the active one before any run), at the model's default layer or the
    // requested one; they are kept in the library only when they belong to the run asked for (same method and layer).
    async explainImage(input: CallInput<'explainImage'>) {
      const image = store.getImage(input.imageId, input.runId);
      if (!image) throw new UserError(`No image with id ${input.imageId}`, 404);
      const { method } = input;
      const runId = runOf(image.datasetId, input.runId);
      const run = runId === null ? null : store.getRun(runId);
      const model = run ? await modelOfRun(run) : await modelOf();
      const layer = resolveLayer(model, input.layer);
      const keep = run !== null && run.method === method && run.layer === layer ? run.id : null;
      const stored = keep === null ? null : library.heatmap(keep, image.id, input.classIndex);
      if (stored && image.top.length >= TOP_CLASSES) return { top: image.top.slice(0, TOP_CLASSES), heatmap: stored, method, layer, cached: true };

      const { engine, release } = await registry.lease(model, run ? pixelsOfRun(model, run.options) : model.setup);
      try {
        const { labels } = engine.model;
        const top = (scores: { index: number; prob: number }[]) =>
          scores.map((s) => ({ index: s.index, prob: s.prob, label: displayName(labels[s.index] ?? `class ${s.index}`) }));
        const file = store.imageFile(image.id);
        const decoded = await decodeImage(file!, engine.model.inputSize, engine.model.resizeMode);
        // A class among the stored top needs maps only down to its rank; any other is looked for in the top 5.
        const rank = image.top.findIndex((s) => s.index === input.classIndex);
        const [result] = await engine.explain({
          pixels: decoded.pixels,
          count: 1,
          topK: TOP_CLASSES,
          camTopK: rank >= 0 ? rank + 1 : TOP_CLASSES,
          method,
          layer,
        });
        const map = result.heatmaps.find((h) => h.classIndex === input.classIndex);
        if (!map) {
          const name = displayName(labels[input.classIndex] ?? `class ${input.classIndex}`);
          throw new Error(`${name} is not among this photo's top ${TOP_CLASSES} classes; maps are computed for those`);
        }
        const heatmap = { h: map.h, w: map.w, scale: map.scale, values: Array.from(map.values), classIndex: map.classIndex };
        if (keep !== null) library.saveHeatmap(keep, image.id, heatmap);
        return { top: top(result.top), heatmap, method, layer, cached: false };
      } finally {
        release();
      }
    },

    // The model registry (issue 13).
    async listModels() {
      await ready;
      return registry.list().map((model) => registry.summary(model));
    },
    async addModel(input: CallInput<'addModel'>) {
      // A library whose bundled model failed to load can still take another.
      await ready.catch(() => undefined);
      const model = await registry.add(input.path, input.activate ?? false);
      if (input.activate) startInBackground(model);
      return registry.summary(model);
    },
    async setModelSetup(input: CallInput<'setModelSetup'>) {
      await ready;
      return registry.summary(registry.setSetup(input.modelId, input.setup));
    },
    async setActiveModel(input: CallInput<'setActiveModel'>) {
      await ready;
      const model = registry.activate(input.modelId);
      startInBackground(model);
      return registry.summary(model);
    },
    async previewModel(input: CallInput<'previewModel'>) {
      const model = await modelOf(input.modelId);
      const setup = registry.checkedSetup(model, input.setup ?? {});
      const photo = await previewPhoto(store, input.imageId, samplesDir);
      const engine = await registry.temporaryEngine(model, setup);
      try {
        return { imageId: photo.imageId, ...(await previewOn(engine, photo.file, setup, input.method ?? DEFAULT_RUN.method)) };
      } finally {
        await engine.dispose();
      }
    },
    async browse(input: CallInput<'browse'>) {
      const used = [
        ...store.listDatasets().map((d) => ({ path: d.rootPath, at: d.createdAt })),
        ...registry.list().map((m) => ({ path: m.path, at: m.addedAt })),
      ];
      const recent = used.sort((a, b) => b.at.localeCompare(a.at)).map((u) => u.path).slice(0, RECENT_PATHS);
      return browse(input, { recent });
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
      const jpeg = await displayImages.get(file);
      return jpeg ? { body: jpeg, mime: 'image/jpeg' } : null;
    },

    imagePath(imageId) {
      return store.imageFile(imageId);
    },

    close() {
      closing ??= (async () => {
        await jobs.cancelAll();
        await ready.catch(() => null);
        await registry.close();
        listeners.clear();
        store.close();
        library.close();
      })();
      return closing;
    },
  };
  return service;
};
