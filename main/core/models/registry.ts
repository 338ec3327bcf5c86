// The library's models: adding a model folder or file (its setup proposed from what the engine finds in it),
// changing its setup, the active model, and one engine pool per model and setup, started on first use.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../../common/errors';
import type { ModelFormat, ModelSetup, ModelSummary } from '../../../common/types';
import { createEngine } from '../engine/index';
import { readAnyModelFolder } from '../engine/model-folder';
import type { Engine, EngineOptions } from '../engine/types';
import { classEntries, displayName, LabelMatcher, storedClassLabels, type ImagenetClass } from '../scan/labels';
import type { ModelEntry } from '../store/models-table';
import type { Store } from '../store/store';
import { changeSetup, folderLabelsFile, proposeSetup, setupLabels, type SetupChange } from './setup';

/** What an engine's results depend on besides the model: the part of a setup that reaches the pixels. */
export type PixelSetup = Pick<ModelSetup, 'preprocessing' | 'resize'>;

export interface RegistryOptions {
  store: Store;
  /** Passed to every engine (backend, runtime, the ONNX cache). */
  engineOptions: Pick<EngineOptions, 'backend' | 'runtime' | 'onnxCacheDir'>;
  /** The bundled ImageNet class table (appPaths().labelsFile). */
  imagenetFile: string;
}

/** How many class names a model's summary shows. */
const LABELS_PREVIEW = 5;
const FORMATS: Record<string, ModelFormat> = { onnx: 'onnx', layers: 'tfjs-layers', graph: 'tfjs-graph' };
/** Keras files become layers models: their format is the file's. */
const FILE_FORMATS: Record<string, ModelFormat> = { '.h5': 'keras-h5', '.hdf5': 'keras-h5', '.keras': 'keras-v3' };

/** An engine held by a caller until it calls release (an import holds its engine until it ends). */
export interface EngineLease {
  engine: Engine;
  release(): void;
}

/** One engine pool: a model's engine under one setup, and how many callers hold it now. */
interface Pool {
  key: string;
  modelId: number;
  engine: Promise<Engine>;
  started: Engine | null;
  users: number;
  /** No longer handed out (its model's setup changed): disposed once no caller holds it. */
  retired: boolean;
}

export class ModelRegistry {
  /** The pools handed out, by model and setup. */
  private readonly pools = new Map<string, Pool>();
  /** Every pool not yet disposed, retired ones included. */
  private readonly open = new Set<Pool>();
  /** Why a model's engine did not start, by model id, until one does. */
  private readonly problems = new Map<number, string>();
  private readonly labelCache = new Map<string, { labels: string[]; matcher: LabelMatcher }>();
  private imagenet: ImagenetClass[] | null = null;

  constructor(private readonly options: RegistryOptions) {}

  /**
   * Adds the model at `modelPath` (a model folder, or a model file the engine reads, such as an .onnx file) with the
   * setup its folder and the engine propose; the same bytes again give the entry they already have (its setup kept,
   * its path updated).
   */
  async add(modelPath: string, activate = false): Promise<ModelEntry> {
    const location = path.resolve(modelPath);
    if (!existsSync(location)) throw new UserError(`Cannot add the model at ${location}: there is no such file or folder`, 404);
    let hash: string;
    let format: ModelFormat;
    let labelsFile: string | null;
    try {
      const folder = readAnyModelFolder(location);
      hash = folder.hash;
      format = FILE_FORMATS[path.extname(folder.file ?? '').toLowerCase()] ?? FORMATS[folder.format];
      labelsFile = folderLabelsFile(folder.dir, folder.settings.labels);
    } catch (error) {
      throw new UserError(`Cannot add the model at ${location}: ${(error as Error).message}`);
    }
    const { models } = this.options.store;
    const known = models.byHash(hash);
    if (known && known.path !== location) models.moved(known.id, location);
    const id = known?.id ?? (await this.register(location, format, labelsFile));
    if (activate || !models.active()) models.activate(id);
    return this.get(id);
  }

  list(): ModelEntry[] {
    return this.options.store.models.list();
  }

  get(id: number): ModelEntry {
    const model = this.options.store.models.get(id);
    if (!model) throw new UserError(`No model with id ${id} in the library`, 404);
    return model;
  }

  active(): ModelEntry {
    const model = this.options.store.models.active();
    if (!model) throw new UserError('The library has no model yet', 409);
    return model;
  }

  activate(id: number): ModelEntry {
    this.options.store.models.activate(this.get(id).id);
    return this.get(id);
  }

  /** Checks and stores a setup change; runs made before keep theirs (their options name what differs). */
  setSetup(id: number, change: SetupChange): ModelEntry {
    const model = this.get(id);
    const setup = this.checkedSetup(model, change);
    this.options.store.models.setSetup(id, setup, this.labels(model.classCount, setup).map(displayName));
    const changed = this.get(id);
    this.retireStale(changed);
    return changed;
  }

  /** The model's setup with `change` applied, checked against the model. */
  checkedSetup(model: ModelEntry, change: SetupChange): ModelSetup {
    return changeSetup(model.setup, change, model);
  }

  /** The class names (with their synonyms, as the engine and the ground truth use them) of a setup. */
  labels(classCount: number, setup: ModelSetup): string[] {
    return this.labelsOf(classCount, setup).labels;
  }

  /** Matches folder names to the model's classes under its current setup, by their stored names (classNames). */
  matcher(model: ModelEntry): LabelMatcher {
    return this.classNames(model).matcher;
  }

  /**
   * The engine of `model` under its current labels and `pixels` (default its setup's), started on first use and
   * kept while the setup stays; each request names its layer. Release the lease when done with the engine.
   */
  async lease(model: ModelEntry, pixels: PixelSetup = model.setup): Promise<EngineLease> {
    const pool = this.pool(model, pixels);
    pool.users += 1;
    let engine: Engine;
    try {
      engine = await pool.engine;
    } catch (error) {
      this.release(pool);
      throw error;
    }
    let held = true;
    const release = () => {
      if (held) this.release(pool);
      held = false;
    };
    return { engine, release };
  }

  /** Starts the model's engine under its setup before it is asked for (it explains `warmUp` first). */
  warm(model: ModelEntry, warmUp: EngineOptions['warmUp']): void {
    this.pool(model, model.setup, warmUp).engine.catch(() => undefined);
  }

  /** A one-worker engine of `model` under `setup` (not kept: the caller disposes it). */
  temporaryEngine(model: ModelEntry, setup: ModelSetup): Promise<Engine> {
    const engineSetup = this.engineSetup({ ...model, setup }, setup, this.labels(model.classCount, setup));
    return this.start(model, { modelDir: model.path, ...this.options.engineOptions, workers: 1, layer: setup.layer, setup: engineSetup });
  }

  /** The model's engine under its current setup once it has started, else null. */
  startedEngine(model: ModelEntry): Engine | null {
    return this.pools.get(poolKey(model, model.setup))?.started ?? null;
  }

  summary(model: ModelEntry): ModelSummary {
    const { labels, ...rest } = model;
    const gone = existsSync(model.path) ? null : `${model.path} is gone: add the model again where it is now`;
    return { ...rest, labelsPreview: labels.slice(0, LABELS_PREVIEW), error: gone ?? this.problems.get(model.id) ?? null };
  }

  async close(): Promise<void> {
    await Promise.all([...this.open].map((pool) => this.dispose(pool)));
  }

  private pool(model: ModelEntry, pixels: PixelSetup, warmUp?: EngineOptions['warmUp']): Pool {
    const key = poolKey(model, pixels);
    const known = this.pools.get(key);
    if (known) return known;
    const options = { modelDir: model.path, ...this.options.engineOptions, warmUp, setup: this.engineSetup(model, pixels) };
    const pool: Pool = { key, modelId: model.id, engine: this.start(model, options), started: null, users: 0, retired: false };
    pool.engine.then(
      (engine) => (pool.started = engine),
      () => {
        // A pool that did not start is not kept: the next caller tries again.
        if (this.pools.get(key) === pool) this.pools.delete(key);
        this.open.delete(pool);
      },
    );
    this.pools.set(key, pool);
    this.open.add(pool);
    return pool;
  }

  private release(pool: Pool): void {
    pool.users -= 1;
    if (pool.retired && pool.users === 0) void this.dispose(pool);
  }

  /** The model's pools under a setup other than its current one close once no caller holds them. */
  private retireStale(model: ModelEntry): void {
    const current = poolKey(model, model.setup);
    for (const pool of [...this.pools.values()]) {
      if (pool.modelId !== model.id || pool.key === current) continue;
      pool.retired = true;
      this.pools.delete(pool.key);
      if (pool.users === 0) void this.dispose(pool);
    }
  }

  private async dispose(pool: Pool): Promise<void> {
    if (!this.open.delete(pool)) return;
    const engine = await pool.engine.catch(() => null);
    await engine?.dispose();
  }

  /** Opens the model once (one worker) to learn what it offers, and records it with the proposed setup. */
  private async register(location: string, format: ModelFormat, labelsFile: string | null): Promise<number> {
    const engine = await createEngine({ modelDir: location, ...this.options.engineOptions, workers: 1 }).catch((error: Error) => {
      throw new UserError(`Cannot add the model at ${location}: ${error.message}`);
    });
    try {
      const info = engine.model;
      const proposed = proposeSetup(info, labelsFile);
      const classCount = info.labels.length;
      return this.options.store.models.register({
        hash: info.hash,
        name: info.name,
        path: location,
        format,
        inputSize: info.inputSize,
        classCount,
        labels: this.labels(classCount, proposed).map(displayName),
        setup: proposed,
        proposed,
        candidateLayers: info.candidateLayers.map((layer) => ({ ...layer })),
      });
    } finally {
      await engine.dispose();
    }
  }

  /** Starts an engine for `model`, refusing one whose bytes are no longer the ones its runs belong to. */
  private async start(model: ModelEntry, options: EngineOptions): Promise<Engine> {
    try {
      const engine = await createEngine(options);
      if (engine.model.hash !== model.hash) {
        await engine.dispose();
        throw new Error(`its bytes changed since it was added (runs belong to the bytes they were made with): add it again as a new model`);
      }
      this.problems.delete(model.id);
      return engine;
    } catch (error) {
      const problem = `The model ${model.name} (${model.path}) could not be loaded: ${(error as Error).message}`;
      this.problems.set(model.id, problem);
      throw new Error(problem);
    }
  }

  /** `labels`: the model's stored names (classNames), or those of a setup tried before it is stored. */
  private engineSetup(model: ModelEntry, pixels: PixelSetup, labels = this.classNames(model).labels): NonNullable<EngineOptions['setup']> {
    return { preprocessing: pixels.preprocessing, resize: pixels.resize, labels };
  }

  /**
   * The model's classes as the registry keeps them: the names stored when it was added or its setup last changed,
   * which its runs' predictions and reports show, with the synonyms its labels give where they still name the same
   * class. A labels file edited in place since then changes nothing (the ground truth would otherwise name classes by
   * the new file and the predictions by the stored names) until the setup names it again (setSetup reads it).
   */
  private classNames(model: ModelEntry): { labels: string[]; matcher: LabelMatcher } {
    const read = this.labelsOf(model.classCount, model.setup);
    const labels = storedClassLabels(model.labels, read.labels);
    if (labels.every((label, index) => label === read.labels[index])) return read;
    return { labels, matcher: new LabelMatcher(classEntries(labels, this.imagenetClasses())) };
  }

  private labelsOf(classCount: number, setup: ModelSetup): { labels: string[]; matcher: LabelMatcher } {
    const key = JSON.stringify([classCount, setup.labelSource, setup.labelsFile]);
    let cached = this.labelCache.get(key);
    if (!cached) {
      const labels = setupLabels(setup, classCount, this.options.imagenetFile);
      cached = { labels, matcher: new LabelMatcher(classEntries(labels, this.imagenetClasses())) };
      // A labels file is read again when the setup names it again (it may have been edited).
      if (setup.labelSource !== 'file') this.labelCache.set(key, cached);
    }
    return cached;
  }

  private imagenetClasses(): ImagenetClass[] {
    this.imagenet ??= JSON.parse(readFileSync(this.options.imagenetFile, 'utf8')) as ImagenetClass[];
    return this.imagenet;
  }
}

/** The pool of a model's engine under its current labels and these pixel settings. */
function poolKey(model: ModelEntry, pixels: PixelSetup): string {
  return JSON.stringify([model.id, pixels.preprocessing, pixels.resize, model.setup.labelSource, model.setup.labelsFile]);
}

/**
 * What a run's options record of its model's setup: the preprocessing and resize mode where they differ from what
 * Sightline proposed, so that a changed setup starts a new run instead of mixing into one made before.
 */
export function runOptionsOf(model: ModelEntry): Partial<PixelSetup> {
  const { setup, proposed } = model;
  return {
    ...(setup.preprocessing !== proposed.preprocessing && { preprocessing: setup.preprocessing }),
    ...(setup.resize !== proposed.resize && { resize: setup.resize }),
  };
}

/** The preprocessing and resize mode a run was made with (see runOptionsOf). */
export function pixelsOfRun(model: ModelEntry, options: Record<string, unknown> = {}): PixelSetup {
  const recorded = options as Partial<PixelSetup>;
  return { preprocessing: recorded.preprocessing ?? model.proposed.preprocessing, resize: recorded.resize ?? model.proposed.resize };
}
