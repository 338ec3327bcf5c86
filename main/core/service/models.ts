// The model registry's calls (issue 13): the library's models, adding one, its setup, the active model, and a
// preview of a setup on one photo.
import type { Service } from '../../../common/contract';
import { DEFAULT_RUN } from '../../../common/types';
import { previewOn, previewPhoto } from '../models/preview';
import type { Store } from '../store/store';
import type { EngineHost } from './engine-host';

export type ModelCalls = Pick<Service, 'listModels' | 'addModel' | 'setModelSetup' | 'setActiveModel' | 'previewModel'>;

export function createModels(store: Store, host: EngineHost, samplesDir: string): ModelCalls {
  const { registry, ready } = host;
  return {
    async listModels() {
      await ready;
      return registry.list().map((model) => registry.summary(model));
    },
    async addModel(input) {
      // A library whose bundled model failed to load can still take another.
      await ready.catch(() => undefined);
      const model = await registry.add(input.path, input.activate ?? false);
      if (input.activate) host.startInBackground(model);
      return registry.summary(model);
    },
    async setModelSetup(input) {
      await ready;
      return registry.summary(registry.setSetup(input.modelId, input.setup));
    },
    async setActiveModel(input) {
      await ready;
      const model = registry.activate(input.modelId);
      host.startInBackground(model);
      return registry.summary(model);
    },
    async previewModel(input) {
      const model = await host.modelOf(input.modelId);
      const setup = registry.checkedSetup(model, input.setup ?? {});
      const photo = await previewPhoto(store, input.imageId, samplesDir);
      const engine = await registry.temporaryEngine(model, setup);
      try {
        return { imageId: photo.imageId, ...(await previewOn(engine, photo.file, setup, input.method ?? DEFAULT_RUN.method)) };
      } finally {
        await engine.dispose();
      }
    },
  };
}
