// After a long job in a process that shows no gallery (`sightline analyze`, `merge`): the dataset's gallery columns
// and the dataset list saved beside the library (gallery-snapshot.ts), so that the first `serve` or app start on it
// shows its first page at once instead of after the dataset's read (4–6 s at a million photos).
import type { DatasetSummary } from '../../../common/types';
import { openLibrary, type Library } from './library';

/**
 * The dataset list as the service gives it: counted (from the gallery's columns where current) and with its labels.
 * `early`: a dataset whose columns the worker is reading has its image count only (`countsPending`), neither SQL's
 * counts nor its label levels (a pass over its images: 0.4 s at a million photos).
 */
export function listDatasetsNow(library: Library, early = false): DatasetSummary[] {
  const { query, labels } = library;
  return library.store
    .listDatasets((datasetId, runId) => query.countsIfLoaded(datasetId, runId) ?? (early ? query.pendingCounts(datasetId, runId) : null))
    .map((summary) => ({ ...summary, labelSource: labels.source(summary.id), labelLevels: summary.countsPending ? [] : labels.levels(summary.id) }));
}

/**
 * Reads the dataset (default: the latest) in the worker and closes the library, which saves the columns and the list
 * for the next start. Only a large dataset's (`preloadFrom`, as the gallery decides): false, and nothing saved, for a
 * smaller one, which the next start reads in well under a second anyway.
 */
export async function prepareGallery(file: string, datasetId?: number, preloadFrom?: number): Promise<boolean> {
  const library = openLibrary(file, { preload: false, preloadFrom });
  try {
    const id = datasetId ?? (library.db.prepare('SELECT MAX(id) FROM datasets').pluck().get() as number | null);
    if (id === null) return false;
    const read = await library.query.preloadLarge(id, library.store.latestRunId(id));
    if (read) {
      const listing = listDatasetsNow(library);
      library.saveListingFrom(() => listing);
    }
    return read;
  } finally {
    library.close();
  }
}
