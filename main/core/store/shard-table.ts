// The shard a library computes (`sightline analyze --shard i/n --library shard-i.db`): which shard of each run,
// whether it completed, and the content hashes that tell which files belong to it.
import { prepared, type Db } from './database';
import { describeShard, shardOfFile, type Shard } from './shard-owner';

export interface PendingFile {
  id: number;
  relPath: string;
  /** Null until the file has been hashed (a new or changed file). */
  contentHash: string | null;
}

export class ShardTable {
  constructor(private readonly db: Db) {}

  /** Starts (or resumes) shard `shard` of the run; a library holds one shard of a run, never two. */
  begin(runId: number, shard: Shard): void {
    const held = this.of(runId);
    if (held && (held.index !== shard.index || held.count !== shard.count)) {
      throw new Error(
        `This library holds shard ${describeShard(held)} of the run, not ${describeShard(shard)}: give each shard a library of its own (--library)`,
      );
    }
    this.db
      .prepare(
        `INSERT INTO shard_runs (run_id, shard_index, shard_count) VALUES (?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET completed_at = NULL`,
      )
      .run(runId, shard.index, shard.count);
  }

  complete(runId: number): void {
    this.db.prepare("UPDATE shard_runs SET completed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE run_id = ?").run(runId);
  }

  of(runId: number): Shard | null {
    const row = this.db.prepare('SELECT shard_index AS "index", shard_count AS count FROM shard_runs WHERE run_id = ?').get(runId);
    return (row as Shard | undefined) ?? null;
  }

  /** The dataset's live images without this run's results, with the content hash the library has for each. */
  pendingFiles(datasetId: number, runId: number): PendingFile[] {
    return this.db
      .prepare(
        `SELECT i.id, i.rel_path AS relPath, i.content_hash AS contentHash FROM images i
         WHERE i.dataset_id = ? AND i.removed_at IS NULL AND NOT EXISTS
           (SELECT 1 FROM predictions p WHERE p.run_id = ? AND p.image_id = i.id AND p.rank = 0)
         ORDER BY i.rel_path`,
      )
      .all(datasetId, runId) as PendingFile[];
  }

  /** Records the hashes of files that were read only to find their shard. */
  recordHashes(files: readonly { id: number; contentHash: string }[]): void {
    const update = prepared(this.db, 'UPDATE images SET content_hash = ? WHERE id = ?');
    this.db.transaction(() => files.forEach((f) => update.run(f.contentHash, f.id)))();
  }

  /** How many of the dataset's live images belong to the shard. */
  countOwned(datasetId: number, shard: Shard): number {
    const rows = this.db
      .prepare('SELECT rel_path, content_hash FROM images WHERE dataset_id = ? AND removed_at IS NULL')
      .raw()
      .all(datasetId) as [string, string | null][];
    return rows.filter(([relPath, hash]) => shardOfFile(hash, relPath, shard.count) === shard.index).length;
  }
}
