// Which shard of a sharded analysis (`sightline analyze --shard i/n`) computes a file: the first 8 hex digits of
// its content hash (sha256) as an integer, modulo the number of shards. Byte-identical files land in the same
// shard, where the second shares the first one's results as on one machine. A file that cannot be read has no
// hash; its relative path decides instead, so that exactly one shard records its error.
import { createHash } from 'node:crypto';

export interface Shard {
  /** 0 ≤ index < count. */
  index: number;
  count: number;
}

export function shardOfFile(contentHash: string | null, relPath: string, count: number): number {
  const hash = contentHash ?? createHash('sha256').update(relPath).digest('hex');
  return Number.parseInt(hash.slice(0, 8), 16) % count;
}

export function describeShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
