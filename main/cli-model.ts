// The command line's `--model`: a model folder or file to add, else the id or name of one of the library's models
// (as `sightline models` lists them), and what the CLI says when a model does not load: how to go back to another.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ModelSummary } from '../common/types';
import { Store } from './core/store/store';

type ModelRef = Pick<ModelSummary, 'id' | 'name'>;

/** A path to add, or a model the library has. */
export type ModelChoice = { path: string } | { id: number };

/**
 * What `--model VALUE` names: a file or folder that exists (a path wins), else the model with that id, else the
 * one with that name (exactly, else in any case). A name two models share is refused with their ids; `models` is
 * only asked for when VALUE is not a path.
 */
export function chooseModel(value: string, models: () => readonly ModelRef[]): ModelChoice {
  const location = path.resolve(value);
  if (existsSync(location)) return { path: location };
  const known = models();
  const wanted = value.trim();
  const byId = /^\d+$/.test(wanted) ? known.find((m) => m.id === Number(wanted)) : undefined;
  if (byId) return { id: byId.id };
  const exact = known.filter((m) => m.name === wanted);
  const named = exact.length > 0 ? exact : known.filter((m) => m.name.toLowerCase() === wanted.toLowerCase());
  if (named.length === 1) return { id: named[0].id };
  if (named.length > 1) {
    const ids = named.map((m) => m.id);
    throw new Error(
      `--model "${value}" names ${named.length} of the library's models (ids ${ids.join(', ')}): give its id instead, ` +
        `${ids.map((id) => `--model ${id}`).join(' or ')} (sightline models lists them)`,
    );
  }
  throw new Error(
    `Cannot add the model at ${location}: there is no such file or folder\n` +
      `No model of the library has the id or name "${value}" either: sightline models lists them`,
  );
}

/** The library's models, read before a service opens it (serve --model ID chooses before the engine starts). */
export function libraryModels(libraryFile: string): ModelRef[] {
  const store = new Store(libraryFile);
  try {
    return store.models.list().map(({ id, name }) => ({ id, name }));
  } finally {
    store.close();
  }
}

/** Makes a model of the library the active one, with no engine started (the service is closed or not yet open). */
export function activateModel(libraryFile: string, modelId: number): void {
  const store = new Store(libraryFile);
  try {
    store.models.activate(modelId);
  } finally {
    store.close();
  }
}

/**
 * The line after a model's load failure that says how to go back: `previous` is the model that stays active (the
 * failed one was chosen with --model), null when the failed model is the library's active one.
 */
export function wayBack(failed: ModelSummary, previous: ModelRef | null, models: readonly ModelSummary[]): string {
  if (previous) {
    return `The active model stays ${previous.name} (id ${previous.id}). sightline models lists the library's models; --model <id> analyses with one of them.`;
  }
  const other = models.find((m) => m.id !== failed.id && !m.error);
  const example = other ? ` (--model ${other.id} for ${other.name})` : '';
  return `${failed.name} (id ${failed.id}) is the library's active model: --model <id> analyses with another one and makes it active${example}; sightline models lists them.`;
}
