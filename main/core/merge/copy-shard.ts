// Copies one shard of a run into the merged library, in one transaction, with ids remapped by what identifies a
// row everywhere: a dataset by its root, a model by its hash, a run by its key, an image by its relative path.
// Every file the shard saw gets a row (in the shard's order, so ids follow the folder walk as on one machine); the
// files of the shard get their state, results and thumbnail from it, replacing what the merged library had, and
// every file its class under the run's model.
// Columns are those both libraries have, so columns added by later migrations travel without changes here.
import type { Db } from '../store/database';
import { shardOfFile } from '../store/shard-owner';
import type { ShardPart } from './plan';

type Row = Record<string, unknown>;

export interface CopiedShard {
  targetRunId: number;
  images: number;
}

/** Copies the shard (complete or not) and records it as merged; returns the merged library's run id. */
export function copyShard(target: Db, { source, run }: ShardPart): CopiedShard {
  const copy = (table: string) => new TableCopy(source.db, target, table);
  return target.transaction((): CopiedShard => {
    const datasetId = copyKeyed(copy('datasets'), source.db, 'SELECT * FROM datasets WHERE id = ?', run.datasetId, {}, 'root_path');
    const modelId = copyKeyed(copy('models'), source.db, 'SELECT m.* FROM models m JOIN runs r ON r.model_id = m.id WHERE r.id = ?', run.runId, {}, 'hash');
    const runId = copyKeyed(copy('runs'), source.db, 'SELECT * FROM runs WHERE id = ?', run.runId, { dataset_id: datasetId, model_id: modelId, state: 'queued', owner_pid: null }, [
      'dataset_id',
      'model_id',
      'method',
      'layer',
      'options',
    ]);

    // Image rows: every file, then the shard's own files in full.
    const images = copy('images');
    const targetImageId = target.prepare('SELECT id FROM images WHERE dataset_id = ? AND rel_path = ?').pluck();
    const owned = new Map<number, number>();
    const everyImage = new Map<number, number>();
    for (const image of images.rows('SELECT * FROM images WHERE dataset_id = ? ORDER BY id', run.datasetId)) {
      const mine = shardOfFile(image.content_hash as string | null, image.rel_path as string, run.shard.count) === run.shard.index;
      const row = mine ? { ...image, dataset_id: datasetId } : { ...image, dataset_id: datasetId, status: 'pending', error: null, width: null, height: null };
      images.insert(row, mine ? { update: ['dataset_id', 'rel_path'] } : { ignore: true });
      const imageId = targetImageId.get(datasetId, image.rel_path) as number;
      everyImage.set(image.id as number, imageId);
      if (mine) owned.set(image.id as number, imageId);
    }
    copyTruth(source.db, target, run.runId, modelId, everyImage);

    for (const table of ['predictions', 'heatmaps', 'metrics']) {
      const drop = target.prepare(`DELETE FROM ${table} WHERE run_id = ? AND image_id = ?`);
      for (const imageId of owned.values()) drop.run(runId, imageId);
      const rows = copy(table);
      for (const row of rows.rows(`SELECT * FROM ${table} WHERE run_id = ?`, run.runId)) {
        const imageId = owned.get(row.image_id as number);
        // Agreement with another run is not merged: that run is not part of the shard.
        if (imageId !== undefined) rows.insert({ ...row, run_id: runId, image_id: imageId, ...(table === 'metrics' ? { agreement: null, agreement_run_id: null } : {}) });
      }
    }
    const dropThumbnail = target.prepare('DELETE FROM thumbnails WHERE image_id = ?');
    for (const imageId of owned.values()) dropThumbnail.run(imageId);
    const thumbnails = copy('thumbnails');
    for (const row of thumbnails.rows('SELECT t.* FROM thumbnails t JOIN images i ON i.id = t.image_id WHERE i.dataset_id = ?', run.datasetId)) {
      const imageId = owned.get(row.image_id as number);
      if (imageId !== undefined) thumbnails.insert({ ...row, image_id: imageId });
    }

    target
      .prepare('INSERT OR REPLACE INTO merged_shards (run_id, shard_index, shard_count, complete, source) VALUES (?, ?, ?, ?, ?)')
      .run(runId, run.shard.index, run.shard.count, Number(run.complete), source.file);
    const merged = target.prepare('SELECT COUNT(*) FROM merged_shards WHERE run_id = ? AND complete = 1').pluck().get(runId) as number;
    // A run with shards still to come is resumable, like an interrupted import.
    target.prepare('UPDATE runs SET state = ? WHERE id = ?').run(merged === run.shard.count ? 'done' : 'cancelled', runId);
    return { targetRunId: runId, images: owned.size };
  })();
}

/**
 * The class of each file under the run's model, as the shard's scan recorded it: image_truth, or in a shard
 * written before it (schema 8 and older) the images' own true_index.
 */
function copyTruth(source: Db, target: Db, sourceRunId: number, modelId: number, imageIds: ReadonlyMap<number, number>): void {
  const perModel = source.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'image_truth'").get() !== undefined;
  const sql = perModel
    ? `SELECT t.image_id, t.true_index FROM image_truth t JOIN runs r ON r.model_id = t.model_id JOIN images i ON i.id = t.image_id
       WHERE r.id = ? AND i.dataset_id = r.dataset_id`
    : 'SELECT i.id AS image_id, i.true_index FROM images i JOIN runs r ON r.dataset_id = i.dataset_id WHERE r.id = ? AND i.true_index IS NOT NULL';
  const put = target.prepare('INSERT OR REPLACE INTO image_truth (image_id, model_id, true_index) VALUES (?, ?, ?)');
  for (const row of source.prepare(sql).iterate(sourceRunId) as IterableIterator<{ image_id: number; true_index: number }>) {
    put.run(imageIds.get(row.image_id), modelId, row.true_index);
  }
}

/**
 * Inserts the one source row `sql` selects unless a row with the same `key` columns exists, and returns the
 * merged library's id of that row.
 */
function copyKeyed(copy: TableCopy, source: Db, sql: string, param: unknown, overrides: Row, key: string | string[]): number {
  const row = source.prepare(sql).get(param) as Row;
  const values = { ...row, ...overrides };
  copy.insert(values, { ignore: true });
  const columns = Array.isArray(key) ? key : [key];
  const where = columns.map((c) => `"${c}" = ?`).join(' AND ');
  return copy.target.prepare(`SELECT id FROM "${copy.table}" WHERE ${where}`).pluck().get(...columns.map((c) => values[c])) as number;
}

/** Rows of one table from the shard into the merged library, by the columns both have (not the row id). */
class TableCopy {
  private readonly columns: string[];
  private readonly statements = new Map<string, ReturnType<Db['prepare']>>();

  constructor(
    private readonly source: Db,
    readonly target: Db,
    readonly table: string,
  ) {
    // table_info leaves out generated columns, which cannot be inserted.
    const names = (db: Db) => db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];
    const inSource = new Set(names(source));
    this.columns = names(target).filter((name) => name !== 'id' && inSource.has(name));
  }

  rows(sql: string, param: unknown): IterableIterator<Row> {
    return this.source.prepare(sql).iterate(param) as IterableIterator<Row>;
  }

  /** Inserts the row; on a conflict `ignore` keeps the existing row and `update` overwrites it (on those key columns). */
  insert(row: Row, conflict: { ignore: true } | { update: string[] } | null = null): void {
    const mode = conflict === null ? 'plain' : 'ignore' in conflict ? 'ignore' : `update:${conflict.update.join(',')}`;
    let statement = this.statements.get(mode);
    if (!statement) {
      const list = this.columns.map((c) => `"${c}"`).join(', ');
      const values = this.columns.map((c) => `@${c}`).join(', ');
      let onConflict = '';
      if (conflict && 'ignore' in conflict) onConflict = ' ON CONFLICT DO NOTHING';
      if (conflict && 'update' in conflict) {
        const set = this.columns.filter((c) => !conflict.update.includes(c)).map((c) => `"${c}" = excluded."${c}"`);
        onConflict = ` ON CONFLICT (${conflict.update.map((c) => `"${c}"`).join(', ')}) DO UPDATE SET ${set.join(', ')}`;
      }
      statement = this.target.prepare(`INSERT INTO "${this.table}" (${list}) VALUES (${values})${onConflict}`);
      this.statements.set(mode, statement);
    }
    statement.run(Object.fromEntries(this.columns.map((c) => [c, row[c] ?? null])));
  }
}
