// Importing a folder again starts here: scan it against what the library knows, then record the diff.
import type { ScanSummary } from '../../../common/types';
import type { ModelTruth } from '../base/scan-diff';
import { scanFolder } from '../scan/rescan';
import type { DatasetRecord, Store } from '../store/store';

export async function rescan(
  store: Store,
  dataset: Pick<DatasetRecord, 'id' | 'rootPath'>,
  truth: ModelTruth,
  signal?: AbortSignal,
): Promise<ScanSummary> {
  const diff = await scanFolder(dataset.rootPath, store.knownFiles(dataset.id), truth.truthFor, signal);
  store.applyScan(dataset.id, diff.entries, diff.removedIds, truth.modelId);
  return diff.summary;
}
