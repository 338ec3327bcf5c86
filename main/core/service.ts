// The library service: every call of the contract, on top of the store, the jobs and the engine. Each module of
// service/ owns one part; service/bindings.ts binds each call to its module. Transports (Electron IPC, the web
// host, the CLI) validate inputs and forward here.
import path from 'node:path';
import { JobManager } from './jobs/job-manager';
import { appPaths } from './paths';
import { createAnalysis } from './service/analysis';
import { bindCalls } from './service/bindings';
import { createDatasets } from './service/datasets';
import { createEngineHost } from './service/engine-host';
import { createEvents } from './service/events';
import { createExplain } from './service/explain';
import { createExports } from './service/exports';
import { createFileBrowser } from './service/file-browser';
import { createImages } from './service/images';
import { openLibrary } from './service/library';
import { createMedia } from './service/media';
import { createModels } from './service/models';
import { createReviewCalls } from './service/review-calls';
import { createRuns } from './service/runs';
import type { CoreService, CreateCoreService } from './service-types';

export const createCoreService: CreateCoreService = async (options) => {
  const paths = appPaths();
  const samplesDir = options.samplesDir ?? paths.samplesDir;
  const library = openLibrary(options.libraryFile ?? path.join(options.dataDir, 'library.db'), { preload: options.galleryPreload ?? true });
  const { store } = library;
  const events = createEvents();
  const jobs = new JobManager(events.jobProgress);
  const host = createEngineHost(options, paths, samplesDir, store);

  const exports = createExports(library, paths);
  /** Tags, saved views and the paths export. */
  const review = createReviewCalls({ db: library.db, query: library.query, store, dataset: library.dataset, runOf: library.runOf, selection: exports.selection });
  const calls = bindCalls({
    host,
    datasets: createDatasets(library, host, jobs),
    runs: createRuns(library, host, jobs, options),
    images: createImages(library, review.withTags),
    review,
    explain: createExplain(library, host),
    analysis: createAnalysis(library, host),
    exports,
    models: createModels(store, host, samplesDir),
    files: createFileBrowser(store, host.registry),
  });
  const media = createMedia(store);

  let closing: Promise<void> | null = null;
  const service: CoreService = {
    ...calls,
    on: events.on,
    readMedia: media.readMedia,
    imagePath: media.imagePath,
    exportCsvTo: exports.exportCsvTo,
    close() {
      closing ??= (async () => {
        await jobs.cancelAll();
        await host.close();
        events.clear();
        library.close();
      })();
      return closing;
    },
  };
  return service;
};
