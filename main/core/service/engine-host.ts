// The engines behind the library's models: the models the library starts with, the active model's engine started
// and warmed up in the background, the model a call or a run needs, and what getInfo reports of them.
import path from 'node:path';
import type { Service } from '../../../common/contract';
import { UserError } from '../../../common/errors';
import { DEFAULT_RUN } from '../../../common/types';
import { WARM_UP_BATCHES } from '../jobs/import-job';
import { ModelRegistry, type RegistryOptions } from '../models/registry';
import type { AppPaths } from '../paths';
import type { CoreServiceOptions } from '../service-types';
import type { ModelEntry } from '../store/models-table';
import type { Store } from '../store/store';

export interface EngineHost extends Pick<Service, 'getInfo'> {
  registry: ModelRegistry;
  /** What every engine of this library starts with (backend, runtime, the ONNX cache). */
  engineOptions: RegistryOptions['engineOptions'];
  /** Settles once the library's first models are in; rejects when one of them failed to load. */
  ready: Promise<void>;
  /** The model a call names, else the active one. */
  modelOf(modelId?: number): Promise<ModelEntry>;
  /** The model that made a run: runs belong to the bytes they were made with. */
  modelOfRun(run: { id: number; modelId: number; modelName: string }): Promise<ModelEntry>;
  /** Starts (and warms up) the engine an import of this model will use, before it is asked for. */
  startInBackground(model: ModelEntry): void;
  /** Waits for the first models, then disposes every engine. */
  close(): Promise<void>;
}

export function createEngineHost(options: CoreServiceOptions, paths: AppPaths, samplesDir: string, store: Store): EngineHost {
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
  const startInBackground = (model: ModelEntry) => registry.warm(model, warmUp);
  // A failure is reported by the first call that needs a model, not as an unhandled rejection.
  const onDemand = options.engineStart === 'on-demand';
  if (!onDemand) ready.then(() => startInBackground(registry.active())).catch(() => undefined);

  return {
    registry,
    engineOptions,
    ready,
    startInBackground,
    async modelOf(modelId) {
      await ready;
      return modelId === undefined ? registry.active() : registry.get(modelId);
    },
    async modelOfRun(run) {
      await ready;
      const model = store.models.get(run.modelId);
      if (!model) throw new UserError(`Run ${run.id} was made by ${run.modelName}, which is not in the library's models: add that model again`, 409);
      return model;
    },
    async getInfo() {
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
        ...(onDemand ? { engineOnDemand: true } : {}),
      };
    },
    async close() {
      await ready.catch(() => null);
      await registry.close();
    },
  };
}
