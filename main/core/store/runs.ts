// The runs: one per dataset × model × method × layer × options, with its state and the process that owns it
// while it runs.
import type { CamMethod, JobState, RunInfo } from '../../../common/types';
import type { Db } from './database';

export interface RunKey {
  datasetId: number;
  modelId: number;
  method: string;
  layer: string;
  /** Method options; part of the run's identity, so it must serialise deterministically. */
  options: Record<string, unknown>;
  backend: string;
}

interface RunDbRow {
  id: number;
  dataset_id: number;
  model_id: number;
  model_name: string;
  model_hash: string;
  method: CamMethod;
  layer: string;
  backend: string;
  state: JobState;
  created_at: string;
  options: string;
}

const RUN_SELECT = `SELECT r.id, r.dataset_id, r.model_id, m.name AS model_name, m.hash AS model_hash, r.method, r.layer, r.backend,
  r.state, r.created_at, r.options FROM runs r JOIN models m ON m.id = r.model_id`;

export class Runs {
  constructor(private readonly db: Db) {}

  /** The run for this dataset × model × method × layer × options, created on first use. */
  ensure(key: RunKey): number {
    const options = JSON.stringify(key.options);
    this.db
      .prepare(
        `INSERT INTO runs (dataset_id, model_id, method, layer, options, backend, state) VALUES (?, ?, ?, ?, ?, ?, 'queued')
         ON CONFLICT (dataset_id, model_id, method, layer, options) DO UPDATE SET backend = excluded.backend`,
      )
      .run(key.datasetId, key.modelId, key.method, key.layer, options, key.backend);
    const row = this.db
      .prepare('SELECT id FROM runs WHERE dataset_id = ? AND model_id = ? AND method = ? AND layer = ? AND options = ?')
      .get(key.datasetId, key.modelId, key.method, key.layer, options) as { id: number };
    return row.id;
  }

  /**
   * Runs left 'queued' or 'running' by a process that is gone (killed, crashed). Runs owned by a live
   * process (another app sharing the data folder, or this one) are left alone. The results they wrote
   * stay, and importing the folder again resumes them.
   */
  markInterrupted(): void {
    const open = this.db.prepare("SELECT id, owner_pid FROM runs WHERE state IN ('queued', 'running')").all() as {
      id: number;
      owner_pid: number | null;
    }[];
    const mark = this.db.prepare("UPDATE runs SET state = 'cancelled' WHERE id = ?");
    for (const run of open) if (run.owner_pid === null || !processAlive(run.owner_pid)) mark.run(run.id);
  }

  /** Records the run's state; a running run is owned by this process. */
  setState(runId: number, state: JobState): void {
    this.db.prepare('UPDATE runs SET state = ?, owner_pid = ? WHERE id = ?').run(state, state === 'running' ? process.pid : null, runId);
  }

  get(runId: number): RunInfo | null {
    const row = this.db.prepare(`${RUN_SELECT} WHERE r.id = ?`).get(runId) as RunDbRow | undefined;
    return row ? toRunInfo(row) : null;
  }

  list(datasetId: number): RunInfo[] {
    const rows = this.db.prepare(`${RUN_SELECT} WHERE r.dataset_id = ? ORDER BY r.id`).all(datasetId) as RunDbRow[];
    return rows.map(toRunInfo);
  }

  latestId(datasetId: number): number | null {
    const row = this.db.prepare('SELECT MAX(id) AS id FROM runs WHERE dataset_id = ?').get(datasetId) as { id: number | null };
    return row.id;
  }

  /** The class names of the run's model, indexed by class; empty for an unknown run. */
  labels(runId: number): string[] {
    const row = this.db
      .prepare('SELECT m.labels FROM runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?')
      .get(runId) as { labels: string } | undefined;
    return row ? (JSON.parse(row.labels) as string[]) : [];
  }
}

function toRunInfo(row: RunDbRow): RunInfo {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    modelId: row.model_id,
    modelName: row.model_name,
    modelHash: row.model_hash,
    method: row.method,
    layer: row.layer,
    backend: row.backend,
    state: row.state,
    createdAt: row.created_at,
    options: JSON.parse(row.options) as Record<string, unknown>,
  };
}

/** Whether a process with this id exists (EPERM: it exists but belongs to another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
