// The library's datasets: listing them with where their labels come from, relabelling, renaming and removing.
import type { Service } from '../../../common/contract';
import { UserError } from '../../../common/errors';
import type { DatasetSummary } from '../../../common/types';
import type { JobManager } from '../jobs/job-manager';
import type { EngineHost } from './engine-host';
import type { Library } from './library';
import { listDatasetsNow } from './prepare-gallery';

export type DatasetCalls = Pick<Service, 'listDatasets' | 'setDatasetLabels' | 'renameDataset' | 'removeDataset'>;

export function createDatasets(library: Library, host: EngineHost, jobs: JobManager): DatasetCalls {
  const { store, labels } = library;
  // The list as the service gives it (labels included), counted from the gallery's columns where they are current.
  const summaryOf = (datasetId: number) => listDatasetsNow(library).find((d) => d.id === datasetId)!;
  // The summaries count every dataset's images, results and failures (0.5–4 s at a million photos, unless the
  // gallery's columns of that dataset are in memory and current): kept until
  // anything is committed to the library. The gallery's connection sees every commit: another connection's moves
  // its data_version, its own its total_changes.
  const libraryStamp = () =>
    JSON.stringify([library.db.pragma('data_version', { simple: true }), library.db.prepare('SELECT total_changes()').pluck().get()]);
  // The list as the last close saved it, when the library is unchanged since: a start lists at once.
  const saved = library.takeSavedListing();
  let listed: { stamp: string; summaries: DatasetSummary[] } | null = saved && { stamp: libraryStamp(), summaries: saved };
  library.saveListingFrom(() => (listed?.stamp === libraryStamp() ? listed.summaries : null));

  return {
    async listDatasets(input) {
      // Early, while the worker reads a dataset's columns (seconds for a large library opened without its saved
      // columns): at once, that dataset with its image count only; this list is not kept.
      if (input?.early && library.query.readInFlight()) return listDatasetsNow(library, true);
      // A dataset the worker is reading is counted from its columns when they arrive, not by SQL on this thread.
      await library.query.loaded();
      const stamp = libraryStamp();
      if (listed?.stamp !== stamp) listed = { stamp, summaries: listDatasetsNow(library) };
      return listed.summaries;
    },
    async setDatasetLabels(input) {
      const target = library.dataset(input.datasetId);
      // Each model with runs on the dataset gets its classes, and the active one, which the next import uses.
      const modelIds = new Set([...labels.modelsWithRuns(target.id), (await host.modelOf()).id]);
      const models = [...modelIds].flatMap((id) => store.models.get(id) ?? []);
      labels.apply(
        target.id,
        input.source,
        models.map((model) => {
          const matcher = host.registry.matcher(model).withSource(input.source);
          return { modelId: model.id, truthFor: (relPath: string) => matcher.forFile(relPath) };
        }),
      );
      return summaryOf(target.id);
    },
    async renameDataset(input) {
      const target = library.dataset(input.datasetId);
      const name = input.name.trim();
      if (!name) throw new UserError('A dataset needs a name: type one', 400);
      store.renameDataset(target.id, name);
      return summaryOf(target.id);
    },
    async removeDataset(input) {
      const target = library.dataset(input.datasetId);
      const busy = jobs.list().find((job) => job.datasetId === target.id && (job.state === 'running' || job.state === 'queued'));
      if (busy) throw new UserError(`Dataset ${target.name} is being analysed: cancel that job before removing it`, 409);
      return { removed: store.removeDataset(target.id) };
    },
  };
}
