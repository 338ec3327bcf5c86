// A rescan: walk the folder, compare with what the library knows, and say what was added, changed (other
// bytes) and removed. A file whose mtime moved but whose bytes did not keeps its results. The scan only
// reads: the import job records the diff in the store.
import path from 'node:path';
import type { ScanSummary } from '../../../common/types';
import type { GroundTruth, KnownFile, ScanDiff, ScanEntry } from '../base/scan-diff';
import { hashFile } from './hash';
import { walkImages } from './walk';

/** Hashes in flight at once when many files look changed (a copied folder has new mtimes everywhere). */
const HASH_CONCURRENCY = 4;

export async function scanFolder(
  rootPath: string,
  known: ReadonlyMap<string, KnownFile>,
  truthFor: (relPath: string) => GroundTruth,
  signal?: AbortSignal,
): Promise<ScanDiff> {
  const files = await walkImages(rootPath, signal);
  const entries: ScanEntry[] = new Array(files.length);
  const summary: ScanSummary = { added: 0, changed: 0, removed: 0, unchanged: 0 };
  const classify = async (index: number): Promise<void> => {
    const file = { ...files[index], ...truthFor(files[index].relPath) };
    const before = known.get(file.relPath);
    let entry: ScanEntry;
    if (!before) entry = { kind: 'added', ...file };
    else if (before.size === file.size && before.mtimeMs === file.mtimeMs) entry = { kind: 'unchanged', id: before.id, ...file };
    else {
      const same = before.contentHash !== null && (await hashFile(path.join(rootPath, file.relPath)).catch(() => null)) === before.contentHash;
      entry = { kind: same ? 'touched' : 'changed', id: before.id, ...file };
    }
    entries[index] = entry;
    // A file that comes back after a removal counts as added for the person reading the summary.
    if (entry.kind === 'added' || before?.removed) summary.added++;
    else if (entry.kind === 'changed') summary.changed++;
    else summary.unchanged++;
  };
  for (let start = 0; start < files.length; start += HASH_CONCURRENCY) {
    signal?.throwIfAborted();
    await Promise.all(files.slice(start, start + HASH_CONCURRENCY).map((_, offset) => classify(start + offset)));
  }
  const present = new Set(files.map((f) => f.relPath));
  const removedIds = [...known].filter(([relPath, k]) => !k.removed && !present.has(relPath)).map(([, k]) => k.id);
  summary.removed = removedIds.length;
  signal?.throwIfAborted();
  return { entries, removedIds, summary };
}
