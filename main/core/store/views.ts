// Saved views: a named ViewState (filters, sort, overlay) for one dataset or for every dataset. Saving under a
// name the scope already has replaces that view. A stored state that no longer reads (an older or damaged
// one) is left out of the list rather than failing it.
import { viewStateSchema, type SavedView, type ViewState } from '../../../common/query';
import type { Db } from './database';

interface ViewRow {
  id: number;
  datasetId: number | null;
  name: string;
  state: string;
  createdAt: string;
}

const COLUMNS = 'id, dataset_id AS datasetId, name, state, created_at AS createdAt';

export class SavedViews {
  constructor(private readonly db: Db) {}

  /** The dataset's views and those for every dataset, by name. */
  list(datasetId: number): SavedView[] {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM saved_views WHERE dataset_id = ? OR dataset_id IS NULL ORDER BY name COLLATE NOCASE, id`)
      .all(datasetId) as ViewRow[];
    return rows.flatMap((row) => {
      const view = readView(row);
      return view ? [view] : [];
    });
  }

  save(datasetId: number | null, name: string, state: ViewState): SavedView {
    const id = this.db.transaction(() => {
      this.db.prepare('DELETE FROM saved_views WHERE COALESCE(dataset_id, 0) = ? AND name = ? COLLATE NOCASE').run(datasetId ?? 0, name);
      return Number(
        this.db.prepare('INSERT INTO saved_views (dataset_id, name, state) VALUES (?, ?, ?)').run(datasetId, name, JSON.stringify(state)).lastInsertRowid,
      );
    })();
    return readView(this.db.prepare(`SELECT ${COLUMNS} FROM saved_views WHERE id = ?`).get(id) as ViewRow)!;
  }

  delete(viewId: number): boolean {
    return this.db.prepare('DELETE FROM saved_views WHERE id = ?').run(viewId).changes > 0;
  }
}

function readView(row: ViewRow): SavedView | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.state);
  } catch {
    return null;
  }
  const state = viewStateSchema.safeParse(parsed);
  return state.success ? { id: row.id, datasetId: row.datasetId, name: row.name, state: state.data, createdAt: row.createdAt } : null;
}
