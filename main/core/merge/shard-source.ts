// A shard library opened read-only for a merge: which shards of which runs it holds, and the files it saw.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { Db } from '../store/database';
import { migrations } from '../store/migrations';
import { describeShard, type Shard } from '../store/shard-owner';

/** The schema version that records shards. */
const SHARD_SCHEMA = migrations.findIndex((sql) => sql.includes('CREATE TABLE shard_runs')) + 1;

export interface ShardRun {
  /** Ids in the shard library. */
  runId: number;
  datasetId: number;
  shard: Shard;
  /** Its `analyze --shard` finished: every file of the shard has a result or an error. */
  complete: boolean;
  rootPath: string;
  modelHash: string;
  method: string;
  layer: string;
  options: string;
  /** What makes the run the same in every library: dataset root, model, method, layer and options. */
  key: string;
}

export class ShardSource {
  private constructor(
    readonly file: string,
    readonly db: Db,
    readonly runs: readonly ShardRun[],
  ) {}

  /** Opens `file` read-only; throws a message naming it when it is not a shard library of this version. */
  static open(file: string): ShardSource {
    if (!existsSync(file)) throw new Error(`${file} does not exist`);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const version = userVersion(db, file);
      if (version === 0) throw new Error(`${file} is not a Sightline library`);
      // An older shard merges as it is: the copy takes the columns both libraries have.
      if (version > migrations.length) {
        throw new Error(`${file} was written by a newer Sightline (schema ${version}, this one ${migrations.length}): merge with that version`);
      }
      if (version < SHARD_SCHEMA) throw new Error(`${file} holds no shard: it was written by a Sightline without --shard`);
      const runs = (
        db
          .prepare(
            `SELECT s.run_id, r.dataset_id, s.shard_index, s.shard_count, s.completed_at, r.state, d.root_path, m.hash, r.method, r.layer, r.options
             FROM shard_runs s JOIN runs r ON r.id = s.run_id JOIN datasets d ON d.id = r.dataset_id JOIN models m ON m.id = r.model_id
             ORDER BY s.run_id`,
          )
          .all() as ShardRunRow[]
      ).map(toShardRun);
      if (runs.length === 0) throw new Error(`${file} holds no shard: it was not written by sightline analyze --shard`);
      return new ShardSource(file, db, runs);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** The live files the shard's scan recorded, with their content hashes (null: unreadable). */
  files(datasetId: number): Map<string, string | null> {
    const rows = this.db
      .prepare('SELECT rel_path, content_hash FROM images WHERE dataset_id = ? AND removed_at IS NULL')
      .raw()
      .all(datasetId) as [string, string | null][];
    return new Map(rows);
  }

  close(): void {
    this.db.close();
  }
}

/** The schema version; a file SQLite cannot read is named as not a library. */
function userVersion(db: Db, file: string): number {
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    throw new Error(`${file} is not a Sightline library (${(err as Error).message})`);
  }
}

/** "shard 1/3 of /photos (GradCAM at conv_pw_13_relu)", for messages. */
export function describeShardRun(run: ShardRun): string {
  return `shard ${describeShard(run.shard)} of ${describeRun(run)}`;
}

export function describeRun(run: Pick<ShardRun, 'rootPath' | 'method' | 'layer'>): string {
  return `${run.rootPath} (${run.method} at ${run.layer})`;
}

interface ShardRunRow {
  run_id: number;
  dataset_id: number;
  shard_index: number;
  shard_count: number;
  completed_at: string | null;
  state: string;
  root_path: string;
  hash: string;
  method: string;
  layer: string;
  options: string;
}

function toShardRun(row: ShardRunRow): ShardRun {
  return {
    runId: row.run_id,
    datasetId: row.dataset_id,
    shard: { index: row.shard_index, count: row.shard_count },
    complete: row.completed_at !== null && row.state === 'done',
    rootPath: row.root_path,
    modelHash: row.hash,
    method: row.method,
    layer: row.layer,
    options: row.options,
    key: JSON.stringify([row.root_path, row.hash, row.method, row.layer, row.options]),
  };
}
