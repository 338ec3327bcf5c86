// The analyses of a finished run: the sanity check, faithfulness, agreement between two runs, and groups.
import path from 'node:path';
import type { Service } from '../../../common/contract';
import { UserError } from '../../../common/errors';
import { agreementOfRuns, clustersOfRun, faithfulnessOfRun, sanityOfRun } from '../analysis/run-analysis';
import { createEngine } from '../engine/index';
import { pixelsOfRun } from '../models/registry';
import type { EngineHost } from './engine-host';
import type { Library } from './library';

export type AnalysisCalls = Pick<Service, 'sanityCheck' | 'measureFaithfulness' | 'compareRuns' | 'clusterRun'>;

export function createAnalysis(library: Library, host: EngineHost): AnalysisCalls {
  const { store } = library;
  /** A run with the model that made it. */
  const analysisTarget = async (runId: number) => {
    const run = store.getRun(runId);
    if (!run) throw new UserError(`No run with id ${runId}`, 404);
    return { run, model: await host.modelOfRun(run) };
  };

  return {
    async sanityCheck(input) {
      const { run, model } = await analysisTarget(input.runId);
      // The randomised copy runs under the run's setup.
      const setup = { ...pixelsOfRun(model, run.options), labels: host.registry.labels(model.classCount, model.setup) };
      return sanityOfRun(store, run.datasetId, run.id, {
        modelDir: model.path,
        method: run.method,
        layer: run.layer,
        // The randomised copy is converted once, into its own temporary folder, not the library's cache.
        startEngine: (dir) => createEngine({ modelDir: dir, ...host.engineOptions, onnxCacheDir: path.join(dir, 'onnx-cache'), layer: run.layer, setup }),
        sample: input.sample,
        topLayers: input.topLayers,
      });
    },
    async measureFaithfulness(input) {
      const { run, model } = await analysisTarget(input.runId);
      const { engine, release } = await host.registry.lease(model, pixelsOfRun(model, run.options));
      try {
        return { measured: await faithfulnessOfRun(store, engine, run.datasetId, run.id, { limit: input.limit }) };
      } finally {
        release();
      }
    },
    async compareRuns(input) {
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
    async clusterRun(input) {
      const run = store.getRun(input.runId);
      if (!run) throw new UserError(`No run with id ${input.runId}`, 404);
      return { groups: clustersOfRun(store, run.datasetId, run.id) };
    },
  };
}
