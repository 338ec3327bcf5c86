// The model registry's rows: models keyed by the hash of their bytes, each with the setup chosen for it, the one
// Sightline proposed, what it offers (candidate layers, classes) and how many runs it made.
import type { CandidateLayer, ModelFormat, ModelSetup } from '../../../common/types';
import type { Db } from './database';

/** What registering a model writes. */
export interface ModelRegistration {
  hash: string;
  name: string;
  /** The folder or file as added (what the engine reads). */
  path: string;
  format: ModelFormat;
  inputSize: number;
  classCount: number;
  /** Class names under `setup`. */
  labels: string[];
  setup: ModelSetup;
  proposed: ModelSetup;
  candidateLayers: CandidateLayer[];
}

/** A model row as runs made them before the registry: enough to name the model and its classes. */
export interface ModelRecord {
  hash: string;
  name: string;
  dir: string;
  inputSize: number;
  /** Display names, indexed by class. */
  labels: string[];
}

export interface ModelEntry extends ModelRegistration {
  id: number;
  addedAt: string;
  active: boolean;
  runCount: number;
}

interface ModelDbRow {
  id: number;
  hash: string;
  name: string;
  path: string;
  format: ModelFormat;
  input_size: number;
  class_count: number;
  labels: string;
  setup: string;
  proposed_setup: string;
  candidate_layers: string;
  added_at: string;
  active: number;
  run_count: number;
}

// Rows made before the registry (setup NULL) hold runs but are not listed until their model is added again.
const SELECT = `SELECT m.id, m.hash, m.name, m.path, m.format, m.input_size, m.class_count, m.labels, m.setup,
    m.proposed_setup, m.candidate_layers, m.added_at,
    m.activation IS NOT NULL AND m.activation = (SELECT MAX(activation) FROM models) AS active,
    (SELECT COUNT(*) FROM runs r WHERE r.model_id = m.id) AS run_count
  FROM models m WHERE m.setup IS NOT NULL`;

export class ModelsTable {
  constructor(private readonly db: Db) {}

  list(): ModelEntry[] {
    return (this.db.prepare(`${SELECT} ORDER BY m.id`).all() as ModelDbRow[]).map(toEntry);
  }

  get(id: number): ModelEntry | null {
    return this.first('AND m.id = ?', id);
  }

  byHash(hash: string): ModelEntry | null {
    return this.first('AND m.hash = ?', hash);
  }

  active(): ModelEntry | null {
    return this.first('AND m.activation IS NOT NULL ORDER BY m.activation DESC LIMIT 1');
  }

  /** The model row for these bytes as runs before the registry made it: added, or renamed and moved; returns its id. */
  ensure(model: ModelRecord): number {
    this.db
      .prepare(
        `INSERT INTO models (hash, name, dir, input_size, labels) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO UPDATE SET name = excluded.name, dir = excluded.dir`,
      )
      .run(model.hash, model.name, model.dir, model.inputSize, JSON.stringify(model.labels));
    return this.idOf(model.hash);
  }

  /** Adds the model, or fills in a row its runs made before the registry; returns its id. */
  register(model: ModelRegistration): number {
    this.db
      .prepare(
        `INSERT INTO models (hash, name, dir, input_size, labels, format, path, setup, proposed_setup, candidate_layers,
           class_count, added_at)
         VALUES (@hash, @name, @path, @inputSize, @labels, @format, @path, @setup, @proposed, @candidateLayers, @classCount,
           strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ON CONFLICT (hash) DO UPDATE SET name = excluded.name, dir = excluded.dir, input_size = excluded.input_size,
           labels = excluded.labels, format = excluded.format, path = excluded.path, setup = excluded.setup,
           proposed_setup = excluded.proposed_setup, candidate_layers = excluded.candidate_layers,
           class_count = excluded.class_count, added_at = excluded.added_at`,
      )
      .run({
        ...model,
        labels: JSON.stringify(model.labels),
        setup: JSON.stringify(model.setup),
        proposed: JSON.stringify(model.proposed),
        candidateLayers: JSON.stringify(model.candidateLayers),
      });
    return this.idOf(model.hash);
  }

  /** The same bytes found at another place. */
  moved(id: number, modelPath: string): void {
    this.db.prepare('UPDATE models SET path = ?, dir = ? WHERE id = ?').run(modelPath, modelPath, id);
  }

  setSetup(id: number, setup: ModelSetup, labels: string[]): void {
    this.db.prepare('UPDATE models SET setup = ?, labels = ? WHERE id = ?').run(JSON.stringify(setup), JSON.stringify(labels), id);
  }

  activate(id: number): void {
    this.db.prepare('UPDATE models SET activation = (SELECT COALESCE(MAX(activation), 0) + 1 FROM models) WHERE id = ?').run(id);
  }

  /** The first registered model the clause after SELECT's WHERE picks, null when none. */
  private first(clause: string, ...params: unknown[]): ModelEntry | null {
    const row = this.db.prepare(`${SELECT} ${clause}`).get(...params) as ModelDbRow | undefined;
    return row ? toEntry(row) : null;
  }

  private idOf(hash: string): number {
    return (this.db.prepare('SELECT id FROM models WHERE hash = ?').get(hash) as { id: number }).id;
  }
}

function toEntry(row: ModelDbRow): ModelEntry {
  return {
    id: row.id,
    hash: row.hash,
    name: row.name,
    path: row.path,
    format: row.format,
    inputSize: row.input_size,
    classCount: row.class_count,
    labels: JSON.parse(row.labels) as string[],
    setup: JSON.parse(row.setup) as ModelSetup,
    proposed: JSON.parse(row.proposed_setup) as ModelSetup,
    candidateLayers: JSON.parse(row.candidate_layers) as CandidateLayer[],
    addedAt: row.added_at,
    active: row.active === 1,
    runCount: row.run_count,
  };
}
