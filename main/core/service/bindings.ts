// The one table that binds each call of the contract to the module that answers it. It is typed by the contract:
// a call left out, one the contract does not have, or a handler of the wrong shape is a type error here.
import type { CallInput, CallName, CallOutputs } from '../../../common/contract';
import type { AnalysisCalls } from './analysis';
import type { DatasetCalls } from './datasets';
import type { EngineHost } from './engine-host';
import type { ExplainCalls } from './explain';
import type { ExportCalls } from './exports';
import type { FileBrowserCalls } from './file-browser';
import type { ImageCalls } from './images';
import type { ModelCalls } from './models';
import type { ReviewCalls } from './review-calls';
import type { RunCalls } from './runs';

export type CallHandlers = { [K in CallName]: (input: CallInput<K>) => Promise<CallOutputs[K]> };

export interface CallModules {
  host: EngineHost;
  datasets: DatasetCalls;
  runs: RunCalls;
  images: ImageCalls;
  review: ReviewCalls;
  explain: ExplainCalls;
  analysis: AnalysisCalls;
  exports: ExportCalls;
  models: ModelCalls;
  files: FileBrowserCalls;
}

export function bindCalls({ host, datasets, runs, images, review, explain, analysis, exports, models, files }: CallModules): CallHandlers {
  return {
    getInfo: host.getInfo,

    listDatasets: datasets.listDatasets,
    setDatasetLabels: datasets.setDatasetLabels,
    renameDataset: datasets.renameDataset,
    removeDataset: datasets.removeDataset,

    importFolder: runs.importFolder,
    startRun: runs.startRun,
    cancelJob: runs.cancelJob,
    pauseJob: runs.pauseJob,
    resumeJob: runs.resumeJob,
    listJobs: runs.listJobs,
    listRuns: runs.listRuns,

    listImages: images.listImages,
    getImage: images.getImage,
    getImages: images.getImages,
    queryImages: images.queryImages,
    queryImageIds: images.queryImageIds,
    setReview: images.setReview,
    setVerdicts: images.setVerdicts,
    getExpectedBox: images.getExpectedBox,
    setExpectedBox: images.setExpectedBox,
    getMetrics: images.getMetrics,

    setTags: review.setTags,
    restoreTags: review.restoreTags,
    listViews: review.listViews,
    saveView: review.saveView,
    deleteView: review.deleteView,
    exportPaths: review.exportPaths,

    explainImage: explain.explainImage,

    sanityCheck: analysis.sanityCheck,
    measureFaithfulness: analysis.measureFaithfulness,
    compareRuns: analysis.compareRuns,
    clusterRun: analysis.clusterRun,

    exportCsv: exports.exportCsv,
    exportHtml: exports.exportHtml,

    listModels: models.listModels,
    addModel: models.addModel,
    setModelSetup: models.setModelSetup,
    setActiveModel: models.setActiveModel,
    previewModel: models.previewModel,

    browse: files.browse,
  };
}
