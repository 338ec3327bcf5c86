// Maps on demand: the detail view's top classes, each with its map at the method and layer asked for.
import type { Service } from '../../../common/contract';
import { UserError } from '../../../common/errors';
import { pixelsOfRun } from '../models/registry';
import { resolveLayer } from '../models/setup';
import { decodeImage } from '../scan/decode';
import { displayName } from '../scan/labels';
import type { EngineHost } from './engine-host';
import type { Library } from './library';

/** How many classes the detail view lists, each with a map on demand. */
const TOP_CLASSES = 5;

export type ExplainCalls = Pick<Service, 'explainImage'>;

export function createExplain(library: Library, host: EngineHost): ExplainCalls {
  const { store, query } = library;
  return {
    // Maps on demand come from the run's model (the active one before any run), at the model's default layer or the
    // requested one; they are kept in the library only when they belong to the run asked for (same method and layer).
    async explainImage(input) {
      const image = store.getImage(input.imageId, input.runId);
      if (!image) throw new UserError(`No image with id ${input.imageId}`, 404);
      const { method } = input;
      const runId = library.runOf(image.datasetId, input.runId);
      const run = runId === null ? null : store.getRun(runId);
      const model = run ? await host.modelOfRun(run) : await host.modelOf();
      const layer = resolveLayer(model, input.layer);
      const keep = run !== null && run.method === method && run.layer === layer ? run.id : null;
      const stored = keep === null ? null : query.heatmap(keep, image.id, input.classIndex);
      if (stored && image.top.length >= TOP_CLASSES) return { top: image.top.slice(0, TOP_CLASSES), heatmap: stored, method, layer, cached: true };

      const { engine, release } = await host.registry.lease(model, run ? pixelsOfRun(model, run.options) : model.setup);
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
        if (keep !== null) query.saveHeatmap(keep, image.id, heatmap);
        return { top: top(result.top), heatmap, method, layer, cached: false };
      } finally {
        release();
      }
    },
  };
}
