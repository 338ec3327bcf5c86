// A shard's share of the pending images. Every file has to be hashed to know its shard, so this reads the files
// whose hash the library lacks (a few at a time) and keeps their hashes: a resumed shard does not read them again.
// A file that cannot be read stays unhashed; the shard its path picks records its error.
import path from 'node:path';
import { hashFile } from '../scan/hash';
import { shardOfFile, type Shard } from '../store/shard-owner';
import type { PendingImage, Store } from '../store/store';

/** Files read at once; their hashes are stored after each group, so an interrupted shard keeps them. */
const HASH_GROUP = 8;

export async function pendingInShard(
  store: Store,
  dataset: { id: number; rootPath: string },
  runId: number,
  shard: Shard,
  signal?: AbortSignal,
): Promise<PendingImage[]> {
  const pending = store.shards.pendingFiles(dataset.id, runId);
  const unhashed = pending.filter((f) => f.contentHash === null);
  for (let start = 0; start < unhashed.length; start += HASH_GROUP) {
    signal?.throwIfAborted();
    const group = unhashed.slice(start, start + HASH_GROUP);
    const hashes = await Promise.all(group.map((f) => hashFile(path.join(dataset.rootPath, f.relPath)).catch(() => null)));
    group.forEach((f, i) => (f.contentHash = hashes[i]));
    store.shards.recordHashes(group.flatMap((f) => (f.contentHash === null ? [] : [{ id: f.id, contentHash: f.contentHash }])));
  }
  return pending
    .filter((f) => shardOfFile(f.contentHash, f.relPath, shard.count) === shard.index)
    .map(({ id, relPath }) => ({ id, relPath }));
}
