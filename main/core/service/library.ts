// The library file as the service's modules share it: the store, the gallery's connection, and the two lookups
// most calls start with.
import { UserError } from '../../../common/errors';
import type { DatasetSummary } from '../../../common/types';
import { openDatabase, type Db } from '../store/database';
import { DatasetLabels } from '../store/dataset-labels';
import { fileStamp, readSnapshot, writeSnapshot } from '../store/gallery-snapshot';
import { LibraryQuery } from '../store/query';
import { Store, type DatasetRecord } from '../store/store';

export interface Library {
  /** The library database's path: a call that streams opens a connection of its own. */
  file: string;
  store: Store;
  /** The gallery's connection to the same file, for its queries, tags and views. */
  db: Db;
  query: LibraryQuery;
  labels: DatasetLabels;
  /** The dataset, or a UserError. */
  dataset(datasetId: number): DatasetRecord;
  /** The requested run after checking it belongs to the dataset, else the dataset's latest run. */
  runOf(datasetId: number, runId: number | undefined): number | null;
  /** The dataset list saved at the last close, when the library is unchanged since (gallery-snapshot.ts); given once. */
  takeSavedListing(): DatasetSummary[] | null;
  /** Where close() gets the dataset list to save with the gallery's columns: null when it is not current. */
  saveListingFrom(listing: () => DatasetSummary[] | null): void;
  /** Closes the connections, then saves the gallery's snapshot of a large dataset for the next start. */
  close(): void;
}

/**
 * Opens the library and marks the runs a previous process left running as interrupted. `preload`: start reading
 * the latest dataset for the gallery (false in a process that shows none).
 */
export function openLibrary(
  file: string,
  { preload, preloadFrom, checkAfterMs }: { preload: boolean; preloadFrom?: number; checkAfterMs?: number },
): Library {
  // Taken before this process opens the file: the gallery's columns saved at the last close are used only if the
  // file is as they left it.
  const stamp = fileStamp(file);
  const store = new Store(file);
  const db = openDatabase(file);
  const query = new LibraryQuery(db, preloadFrom, checkAfterMs);
  store.markInterruptedRuns();
  const saved = preload ? readSnapshot(file, stamp) : null;
  const latest = db.prepare('SELECT MAX(id) FROM datasets').pluck().get() as number | null;
  // The gallery opens the dataset it showed last, or the latest: a large one is ready now from the columns saved
  // at the last close, or starts loading now, off the main thread; a small one is read as soon as the service is up.
  if (saved && store.getDataset(saved.columns.datasetId)) query.useSnapshot(saved);
  else if (preload && latest !== null) query.prepare(latest, store.latestRunId(latest));
  let savedListing = saved?.listing ?? null;
  let listingNow: () => DatasetSummary[] | null = () => null;
  return {
    file,
    store,
    db,
    query,
    labels: new DatasetLabels(db),
    dataset(datasetId) {
      const found = store.getDataset(datasetId);
      if (!found) throw new UserError(`No dataset with id ${datasetId}`, 404);
      return found;
    },
    runOf(datasetId, runId) {
      if (runId === undefined) return store.latestRunId(datasetId);
      if (store.getRun(runId)?.datasetId !== datasetId) throw new UserError(`Dataset ${datasetId} has no run ${runId}`, 404);
      return runId;
    },
    takeSavedListing() {
      const listing = savedListing;
      savedListing = null;
      return listing;
    },
    saveListingFrom(listing) {
      listingNow = listing;
    },
    close() {
      const listing = listingNow();
      store.close();
      const saved = query.close();
      if (saved) writeSnapshot(file, { ...saved, listing });
    },
  };
}
