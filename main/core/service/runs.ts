// Runs and the jobs that make them: importing a folder, starting (or joining) a run of a dataset, and pausing,
// resuming and cancelling its job.
import { realpath } from 'node:fs/promises';
import type { CallInput, Service } from '../../../common/contract';
import { describeEngine } from '../../../common/engine';
import { DEFAULT_RUN } from '../../../common/types';
import { BATCH_SIZE, runImport } from '../jobs/import-job';
import type { JobManager } from '../jobs/job-manager';
import { runOptionsOf } from '../models/registry';
import { resolveLayer } from '../models/setup';
import type { CoreServiceOptions } from '../service-types';
import type { DatasetRecord } from '../store/store';
import { userFolder } from '../user-path';
import type { EngineHost } from './engine-host';
import type { Library } from './library';

export type RunCalls = Pick<Service, 'importFolder' | 'startRun' | 'cancelJob' | 'pauseJob' | 'resumeJob' | 'listJobs' | 'listRuns'>;

type RunChoice = Pick<CallInput<'startRun'>, 'modelId' | 'method' | 'layer' | 'camTopK'>;

export function createRuns(
  library: Library,
  host: EngineHost,
  jobs: JobManager,
  options: Pick<CoreServiceOptions, 'batchSize' | 'shard'>,
): RunCalls {
  const { store } = library;

  /** Starts (or joins) the run of `target` for this model, method, layer and number of maps. */
  const startRun = async (target: DatasetRecord, choice: RunChoice) => {
    const model = await host.modelOf(choice.modelId);
    const layer = resolveLayer(model, choice.layer);
    const labels = host.registry.matcher(model);
    const settings = { method: choice.method ?? DEFAULT_RUN.method, topK: DEFAULT_RUN.topK, camTopK: choice.camTopK ?? DEFAULT_RUN.camTopK, layer };
    // The import holds its engine until it ends.
    const { engine, release } = await host.registry.lease(model);
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
        runImport({
          store,
          engine,
          labels: labels.withSource(library.labels.source(target.id)),
          modelId: model.id,
          dataset: target,
          runId,
          settings,
          batchSize,
          control,
          progress,
          shard: options.shard,
        }).finally(release),
      );
    return { jobId, datasetId: target.id, runId };
  };

  return {
    async importFolder(input) {
      const requested = await userFolder(input.path);
      await host.modelOf(input.modelId);
      return startRun(store.ensureDataset(await realpath(requested)), input);
    },
    async startRun(input) {
      return startRun(library.dataset(input.datasetId), input);
    },
    async cancelJob(input) {
      return { cancelled: jobs.cancel(input.jobId) };
    },
    async pauseJob(input) {
      return { paused: jobs.pause(input.jobId) };
    },
    async resumeJob(input) {
      return { resumed: jobs.resume(input.jobId) };
    },
    async listJobs() {
      return jobs.list();
    },
    async listRuns(input) {
      return store.listRuns(library.dataset(input.datasetId).id);
    },
  };
}
