// The first step of a gallery query: copy the dataset's live images, with this run's top-1 prediction, the review
// and the metrics, into a temporary table in file-name order. A search of 3 characters or more copies only the
// images whose path contains it, as the trigram index of paths (images_path_fts) finds them.
import type { Db } from './database';
import { truthOfRun } from './image-truth';

// The list and every facet count read this small table instead of joining the library again. The run's suspicion
// score and heatmap group come from its metrics (primary key lookups); images without metrics have NULL there
// and sort last. Correctness compares with the image's class under the run's model.
export const ROWS_TABLE = `CREATE TEMP TABLE IF NOT EXISTS gallery_rows_v3 (
  pos INTEGER PRIMARY KEY, image_id INTEGER NOT NULL, rel_path TEXT NOT NULL, pred INTEGER, prob REAL,
  truth TEXT, correctness TEXT NOT NULL, verdict TEXT NOT NULL, suspicion REAL, grp INTEGER, suggested INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0)`;

/** The ids of the library's images whose path contains the search (any dataset, removed ones too). */
export const HITS_TABLE = 'CREATE TEMP TABLE IF NOT EXISTS gallery_search_hits (image_id INTEGER PRIMARY KEY)';
export const SEARCH_HITS = 'INSERT INTO gallery_search_hits SELECT rowid FROM images_path_fts WHERE images_path_fts MATCH ?';

/** The dataset's images before filtering (bound: the dataset id), from the images_live index. */
export const LIVE_IMAGES = 'SELECT COUNT(*) FROM images WHERE dataset_id = ? AND removed_at IS NULL';

/**
 * How the FILL reads the images: `dataset` every live image of the dataset through the file-name index, already
 * in order; `hitsInDataset` the same walk keeping the search hits; `hits` the search hits by id, sorted after.
 */
export type FillDrive = 'dataset' | 'hitsInDataset' | 'hits';

/**
 * Reading the hits by id and sorting them beats walking the dataset's file-name index while they are at most this
 * share of the dataset: sorting a copied row costs about what walking 20 index entries does (200,000 images: 1,000
 * hits fill in 40 ms that way against 110 ms by the walk, 100,000 hits in 1.1 s against 0.35 s).
 */
const FEW_HITS_SHARE = 1 / 20;

/** The shortest search the trigram index can answer: FTS5 matches no row with a phrase under 3 characters (code points). */
const TRIGRAM = 3;

export function fillSql(drive: FillDrive): string {
  const from = {
    dataset: 'images i INDEXED BY images_by_file_name',
    hitsInDataset: 'images i INDEXED BY images_by_file_name',
    // CROSS JOIN keeps the hits outermost: the planner would otherwise walk the file-name index to skip the sort.
    hits: 'gallery_search_hits h CROSS JOIN images i ON i.id = h.image_id',
  }[drive];
  const onlyHits = drive === 'hitsInDataset' ? ' AND i.id IN (SELECT image_id FROM gallery_search_hits)' : '';
  return `INSERT INTO gallery_rows_v3 (image_id, rel_path, pred, prob, truth, correctness, verdict, suspicion, grp, suggested, failed)
  SELECT i.id, i.rel_path, p.class_index, p.prob, i.true_label,
    CASE WHEN p.class_index IS NULL THEN 'unanalysed' WHEN t.true_index IS NULL THEN 'unknown'
      WHEN p.class_index = t.true_index THEN 'correct' ELSE 'incorrect' END,
    COALESCE(r.verdict, 'none'), m.suspicion, m.cluster, COALESCE(m.suspicion >= @threshold, 0),
    i.status = 'error'
  FROM ${from}
  LEFT JOIN predictions p ON p.run_id = @run AND p.image_id = i.id AND p.rank = 0
  ${truthOfRun('@run')}
  LEFT JOIN reviews r ON r.image_id = i.id
  LEFT JOIN metrics m ON m.run_id = p.run_id AND m.image_id = i.id
  WHERE i.dataset_id = @dataset AND i.removed_at IS NULL${onlyHits}
  ORDER BY i.dataset_id, i.file_name COLLATE NOCASE, i.rel_path`;
}

/**
 * The search as one FTS5 string (`"` doubled), so that quotes, `*`, `-`, AND or NEAR in a file name are literal;
 * null under TRIGRAM characters, and with a NUL, where FTS5's query parser stops reading. The trigram tokenizer
 * folds case over all of Unicode, so its hits are a superset of LIKE's (ASCII-only case folding): the search's
 * LIKE condition still decides among them.
 */
export function ftsPhrase(search: string): string | null {
  const term = search.trim();
  return [...term].length < TRIGRAM || term.includes('\0') ? null : `"${term.replaceAll('"', '""')}"`;
}

export interface Fill {
  datasetId: number;
  runId: number | null;
  /** The run's "suggested for review" score; null: none suggested. */
  threshold: number | null;
  search: string;
}

/** What the temporary table holds: the fill's key and the library's state it was read from. */
interface Filled {
  key: string;
  /** PRAGMA data_version: moves when another connection commits a change to the library. */
  dataVersion: number;
  /** total_changes() right after the fill: moves when this connection writes (verdicts, tags). */
  changes: number;
  total: number;
}

/** Per connection, what its temporary table was last filled with. */
const filledOf = new WeakMap<Db, Filled>();

/**
 * Fills gallery_rows_v3 (unless it already holds this fill of an unchanged library: a click that only changes the
 * filters, the sort or a search under 3 characters then reads the table as it is); returns the number of the
 * dataset's live images and whether it filled.
 */
export function fillRows(db: Db, { datasetId, runId, threshold, search }: Fill): { total: number; filled: boolean } {
  const phrase = ftsPhrase(search);
  const key = JSON.stringify([datasetId, runId, threshold, phrase]);
  const dataVersion = db.pragma('data_version', { simple: true }) as number;
  const last = filledOf.get(db);
  if (last?.key === key && last.dataVersion === dataVersion && last.changes === totalChanges(db)) {
    return { total: last.total, filled: false };
  }
  db.prepare('DELETE FROM gallery_rows_v3').run();
  const total = db.prepare(LIVE_IMAGES).pluck().get(datasetId) as number;
  let drive: FillDrive = 'dataset';
  if (phrase !== null) {
    db.prepare('DELETE FROM gallery_search_hits').run();
    const hits = db.prepare(SEARCH_HITS).run(phrase).changes;
    drive = hits <= total * FEW_HITS_SHARE ? 'hits' : 'hitsInDataset';
  }
  db.prepare(fillSql(drive)).run({ threshold: threshold ?? Infinity, run: runId ?? 0, dataset: datasetId });
  filledOf.set(db, { key, dataVersion, changes: totalChanges(db), total });
  return { total, filled: true };
}

const totalChanges = (db: Db): number => db.prepare('SELECT total_changes()').pluck().get() as number;
