// `sightline analyze|serve`: the product without the desktop shell. Bundled to out/main/cli.js.
import { createWriteStream, mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CAM_METHOD_NAMES, DEFAULT_RUN, type AppInfo, type BackendName, type CamMethod, type JobProgress, type ModelSummary, type RuntimeReport } from '../common/types';
import { RUNTIME_TITLES, describeEngineChoice } from '../common/engine';
import { EMPTY_FILTER, FLAGGED_VERDICTS } from '../common/query';
import { ENGINE_RUNTIMES, type EngineRuntimeChoice } from './core/engine/types';
import { mergeShards } from './core/merge/merge';
import { readLabelsFile } from './core/models/setup';
import { prepareGallery } from './core/service/prepare-gallery';
import { defaultDataDir } from './core/base/data-dir';
import { appPaths } from './core/paths';
import { createCoreService } from './core/service';
import { ENGINE_STARTS, type CoreService, type EngineStart } from './core/service-types';
import { hasImageExtension } from './core/scan/walk';
import { describeShard, type Shard } from './core/store/shard-owner';
import { userFolder } from './core/user-path';
import { startWebHost } from './web/host';
import { activateModel, chooseModel, libraryModels, wayBack } from './cli-model';

const HELP = `Sightline: batch explainability review of image classifiers.

Usage:
  sightline start                    open the desktop app (falls back to serve without Electron)
  sightline analyze <folder> --out <report.csv> [--html <report.html>] [--method NAME] [--layer NAME] [--maps N]
                   [--bom] [--faithfulness N|all] [--compare METHOD] [--sanity] [--data-dir DIR] [--backend NAME]
                   [--runtime auto|onnx|tfjs] [--model PATH|ID|NAME] [--flagged <paths.txt>]
                   [--flagged-links DIR] [--library FILE]
                                     classify every photo, compute class-activation maps and their metrics, write a
                                     CSV report (and an HTML one); analysing the folder again rescans it and does
                                     only new or changed files
  sightline analyze <folder> --shard I/N --library <shard-I.db> [--method NAME] [--layer NAME] [--maps N] [--data-dir DIR]
                                     compute shard I of N of the folder (the files whose content hash falls in it), for
                                     sightline merge; each shard reads every file once to hash it
  sightline merge <shard.db>... --into <library.db> [--allow-partial]
                                     combine the shard libraries into one library, as if one machine had analysed
                                     the folder; merging again skips shards already merged; a missing or unfinished
                                     shard stops the merge, unless --allow-partial (which says what is missing)
  sightline serve [--port N] [--host 127.0.0.1] [--data-dir DIR] [--backend NAME] [--runtime NAME]
                  [--model PATH|ID|NAME] [--engine eager|on-demand] [--library FILE]
                                     open the gallery in a browser
  sightline models [--data-dir DIR] [--library FILE]
                                     list the library's models (* marks the active one) with id, name, format,
                                     input size, classes, hash and runs: --model ID (or NAME) uses one of them
  sightline --help

Options:
  --data-dir DIR   the library folder (default: SIGHTLINE_DATA_DIR, else ${defaultDataDir()})
  --model PATH|ID|NAME  a model folder (model.onnx or a TF.js model.json) or a model file (.onnx, Keras .h5 or
                   .keras), added to the library's models with the setup its sightline.json and labels propose (kept
                   when it is there already); or the id or name of one of the library's models (sightline models
                   lists them; a path that exists wins, a name two models share is refused). It becomes the active
                   model: for analyze once it has loaded (one that does not load leaves the model active before as it
                   was), for serve at once, as the gallery's Models view does
  --library FILE   the library database (default: library.db in the library folder, which keeps the caches)
  --backend NAME   force one of tensorflow-gpu, tensorflow, wasm, cpu (default: the first that works)
  --runtime NAME   what runs a TF.js layers model: onnx (ONNX Runtime), tfjs, or auto (default: ONNX Runtime
                   when the model converts, else TF.js, saying why)
  --engine WHEN    serve: eager (default) starts the model's engine at once, so the first import runs at full
                   speed; on-demand starts it with the first import, run or map asked for, and keeps its
                   memory (about 450 MB) free on a server that is there for review
  --method NAME    ${CAM_METHOD_NAMES.join(', ')} (default ${DEFAULT_RUN.method})
  --layer NAME     the layer the maps come from (default: the model's last spatial layer)
  --maps N         maps for the top N classes, 0 to 3 (default 3)
  --html FILE      also write the self-contained HTML report
  --flagged FILE   also write the absolute paths of the photos flagged in the gallery on this run's maps
                   (misattended, unsure) or as a label error, one a line, for retraining
  --flagged-links DIR  also make DIR (new or empty) hold a link to each flagged photo, in its subfolder
  --bom            start the CSV with a UTF-8 byte-order mark (for Excel)
  --faithfulness N|all  deletion/insertion AUC and blur drop for the first N maps (or all): ~19 passes each
  --compare METHOD run METHOD too and store each map's rank correlation with it (agreement)
  --sanity         model randomisation check of the run: prints the similarity and warns if maps barely change
Method names are case-insensitive (gradcam, scorecam, gradcamplusplus …).
`;

const BACKENDS: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        out: { type: 'string', short: 'o' },
        'data-dir': { type: 'string' },
        backend: { type: 'string' },
        runtime: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        method: { type: 'string' },
        layer: { type: 'string' },
        maps: { type: 'string' },
        html: { type: 'string' },
        flagged: { type: 'string' },
        'flagged-links': { type: 'string' },
        bom: { type: 'boolean' },
        faithfulness: { type: 'string' },
        compare: { type: 'string' },
        sanity: { type: 'boolean' },
        model: { type: 'string' },
        shard: { type: 'string' },
        library: { type: 'string' },
        into: { type: 'string' },
        'allow-partial': { type: 'boolean' },
        engine: { type: 'string' },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || !command || command === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    const common = {
      dataDir: path.resolve(values['data-dir'] ?? defaultDataDir()),
      backend: backendOption(values.backend),
      runtime: runtimeOption(values.runtime),
      model: values.model,
      libraryFile: values.library === undefined ? undefined : path.resolve(values.library),
    };
    switch (command) {
      case 'analyze': {
        if (rest.length !== 1) throw new UsageError('analyze takes one folder');
        const shard = shardOption(values.shard);
        if (shard) refuseWithShard(values);
        else if (!values.out) throw new UsageError('analyze needs --out <report.csv>');
        const run = { method: methodOption(values.method), layer: values.layer, camTopK: mapsOption(values.maps) };
        const steps: AnalysisSteps = {
          html: values.html,
          flaggedList: values.flagged,
          flaggedLinks: values['flagged-links'],
          bom: values.bom ?? false,
          faithfulness: faithfulnessOption(values.faithfulness),
          compare: methodOption(values.compare),
          sanity: values.sanity ?? false,
        };
        return await analyze(rest[0], values.out, run, steps, { ...common, shard });
      }
      case 'merge':
        if (rest.length === 0) throw new UsageError('merge takes the shard libraries to merge');
        if (!values.into) throw new UsageError('merge needs --into <library.db>');
        return merge(rest, values.into, values['allow-partial'] ?? false);
      case 'models':
        if (rest.length > 0) throw new UsageError(`models takes no arguments, got ${rest.join(' ')}`);
        return await models(common);
      case 'serve':
        if (rest.length > 0) throw new UsageError(`serve takes no arguments, got ${rest.join(' ')}`);
        return await serve({ ...common, host: values.host ?? '127.0.0.1', port: portOption(values.port), engineStart: engineStartOption(values.engine) });
      default:
        throw new UsageError(`Unknown command "${command}"`);
    }
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`sightline: ${(err as Error).message}\n${usage ? 'Run sightline --help for usage.\n' : ''}`);
    return usage ? 2 : 1;
  }
}

interface CommonOptions {
  dataDir: string;
  backend: BackendName | undefined;
  runtime: EngineRuntimeChoice | undefined;
  /** `--model`: a model folder or file (added to the library), else the id or name of one of its models. */
  model: string | undefined;
  libraryFile: string | undefined;
}

interface RunOptions {
  method: CamMethod | undefined;
  layer: string | undefined;
  camTopK: number | undefined;
  /** The model `--model` named (default: the active one). */
  modelId?: number;
}

interface AnalysisSteps {
  html: string | undefined;
  /** Files for the photos flagged in the gallery: a list of their paths, a folder of links to them. */
  flaggedList: string | undefined;
  flaggedLinks: string | undefined;
  bom: boolean;
  /** Measure faithfulness for this many images (Infinity: all); null: skip. */
  faithfulness: number | null;
  compare: CamMethod | undefined;
  sanity: boolean;
}

/** Without `out`, a shard (`options.shard`): its library is merged and exported later, not here. */
async function analyze(
  folder: string,
  out: string | undefined,
  run: RunOptions,
  steps: AnalysisSteps,
  options: CommonOptions & { shard: Shard | undefined },
): Promise<number> {
  // A folder that is not there (or a file) is said at once, not after the model has loaded.
  const root = await userFolder(folder);
  const { dataDir, libraryFile, backend, runtime, shard } = options;
  // With --model nothing starts before the model is chosen: the engine of the one it names starts once it is made active.
  const engineStart = options.model === undefined ? 'eager' : 'on-demand';
  const service = await createCoreService({ dataDir, libraryFile, backend, runtime, shard, engineStart, mode: 'web', galleryPreload: false });
  let prepareFor: number | null = null;
  /** The model active before --model made another one active: active again unless that one loads. */
  let restore: ModelSummary | null = null;
  const cancelOnSignal = () => void service.listJobs({}).then((jobs) => jobs.forEach((j) => void service.cancelJob({ jobId: j.jobId })));
  process.once('SIGINT', cancelOnSignal);
  const watch = new JobWatch(service);
  try {
    process.stderr.write('Loading the model…\n');
    let modelId: number | undefined;
    if (options.model !== undefined) {
      const chosen = await useModel(service, options.model);
      process.stderr.write(describeSetup(chosen.model) + chosen.note);
      modelId = chosen.model.id;
      restore = chosen.previous;
    }
    // The import waits for the model's engine: a model that does not load fails here, saying how to go back.
    const { jobId, datasetId, runId } = await service
      .importFolder({ path: folder, ...run, ...(modelId !== undefined && { modelId }) })
      .catch(async (error: unknown) => {
        throw await loadFailure(service, error, modelId, restore);
      });
    restore = null;
    process.stderr.write(describeModel(await service.getInfo({})));
    const runInfo = (await service.listRuns({ datasetId })).find((r) => r.id === runId);
    if (runInfo) process.stderr.write(`Run ${runId}: ${runInfo.method} at ${runInfo.layer}, ${JSON.stringify(runInfo.options)}\n`);
    const bar = new ProgressBar(process.stderr);
    const end = await watch.wait(jobId, (p) => bar.update(p));
    const { last } = end;
    bar.end(last);
    if (last.scan) {
      const { added, changed, removed, unchanged } = last.scan;
      process.stderr.write(`Scan: ${added} added, ${changed} changed, ${removed} removed, ${unchanged} unchanged\n`);
      if (added + changed + unchanged === 0) process.stderr.write(`${noPhotosNote(root)}\n`);
    }
    let healthy = last.state === 'done';
    if (out === undefined) {
      const shard = options.shard ? `shard ${describeShard(options.shard)}, ` : '';
      process.stderr.write(`${describeEnd(end, shard)}\n`);
      return healthy ? 0 : 1;
    }
    if (last.state === 'done') prepareFor = datasetId;
    if (healthy) healthy = await analysisSteps(service, watch, datasetId, runId, folder, { ...run, modelId }, steps);
    const target = path.resolve(out);
    mkdirSync(path.dirname(target), { recursive: true });
    const { rows } = await service.exportCsvTo({ datasetId, runId, bom: steps.bom }, createWriteStream(target));
    const reports = [`${target} (${rows} rows)`];
    if (steps.html) {
      const htmlTarget = path.resolve(steps.html);
      mkdirSync(path.dirname(htmlTarget), { recursive: true });
      writeFileSync(htmlTarget, (await service.exportHtml({ datasetId, runId })).html);
      reports.push(htmlTarget);
    }
    reports.push(...(await flaggedExports(service, datasetId, runId, steps)));
    process.stderr.write(`${describeEnd(end, '')}. Report: ${reports.join(', ')}\n`);
    return healthy ? 0 : 1;
  } finally {
    process.off('SIGINT', cancelOnSignal);
    watch.stop();
    await service.close();
    const library = libraryFile ?? path.join(dataDir, 'library.db');
    if (restore) activateModel(library, restore.id);
    if (prepareFor !== null) await prepareGalleryOf(library, prepareFor);
  }
}

/** What an empty folder (for the scan) is told: where it looked and for what. */
function noPhotosNote(folder: string): string {
  const extensions = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.bmp', '.avif', '.heic'].filter((ext) => hasImageExtension(`photo${ext}`));
  return (
    `Note: no photos found in ${folder} (looked for ${extensions.slice(0, -1).join(', ')} and ${extensions.at(-1)} files, and other ` +
    'files that start like an image, in it and its subfolders; hidden files and folders are left out)'
  );
}

/** Saves a large dataset's gallery columns beside the library for the next start (a shard's are not: it is merged). */
async function prepareGalleryOf(libraryFile: string, datasetId?: number): Promise<void> {
  const started = performance.now();
  if (await prepareGallery(libraryFile, datasetId).catch(() => false)) {
    process.stderr.write(`Gallery: saved beside the library for the next start (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}

/** The flagged photos' path list and folder of links, when asked for; what was written, for the report line. */
async function flaggedExports(service: CoreService, datasetId: number, runId: number, steps: AnalysisSteps): Promise<string[]> {
  const flagged = { ...EMPTY_FILTER, verdicts: [...FLAGGED_VERDICTS] };
  const written: string[] = [];
  if (steps.flaggedList) {
    const target = path.resolve(steps.flaggedList);
    const list = await service.exportPaths({ datasetId, runId, filter: flagged, kind: 'list' });
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, list.kind === 'list' ? list.text : '');
    written.push(`${target} (${list.count} flagged)`);
  }
  if (steps.flaggedLinks) {
    const links = await service.exportPaths({ datasetId, runId, filter: flagged, kind: 'links', dir: steps.flaggedLinks });
    written.push(`${links.kind === 'links' ? links.dir : steps.flaggedLinks} (${links.count} links)`);
  }
  return written;
}

/** The explicit analysis steps after the import; false when the sanity check warns. */
async function analysisSteps(service: CoreService, watch: JobWatch, datasetId: number, runId: number, folder: string, run: RunOptions, steps: AnalysisSteps): Promise<boolean> {
  if (steps.faithfulness !== null) {
    process.stderr.write('Measuring faithfulness (deletion/insertion AUC, blur drop)…\n');
    const limit = Number.isFinite(steps.faithfulness) ? steps.faithfulness : undefined;
    const { measured } = await service.measureFaithfulness({ runId, limit });
    process.stderr.write(`Faithfulness measured for ${measured} maps\n`);
  }
  if (steps.compare) {
    process.stderr.write(`Computing ${steps.compare} maps for the agreement…\n`);
    const other = await service.importFolder({ path: folder, ...run, method: steps.compare });
    const { last: ended } = await watch.wait(other.jobId, () => undefined);
    if (ended.state !== 'done') throw new Error(`The ${steps.compare} run stopped (${ended.state}): ${ended.message ?? ''}`);
    const { compared, meanAgreement } = await service.compareRuns({ runId, otherRunId: other.runId });
    process.stderr.write(`Agreement with ${steps.compare}: mean rank correlation ${meanAgreement?.toFixed(3) ?? '—'} over ${compared} maps\n`);
  }
  if (!steps.sanity) return true;
  process.stderr.write('Sanity check: randomising the top layers and recomputing a sample of maps…\n');
  const sanity = await service.sanityCheck({ runId });
  process.stdout.write(
    `Sanity check (model randomisation, ${sanity.randomizedLayers.join(', ')}; ${sanity.sampleSize} images): ` +
      `rank correlation with the trained maps ${sanity.similarity.toFixed(3)}${sanity.warning ? `\nWARNING: ${sanity.warning}` : ' — the maps depend on the weights'}\n`,
  );
  return sanity.warning === null;
}

/** Merges shard libraries (core/merge) and prints what it did; 1 when something is missing or refused. */
async function merge(shardFiles: string[], into: string, allowPartial: boolean): Promise<number> {
  const report = mergeShards({ shardFiles, into, allowPartial });
  process.stderr.write(report.lines.map((line) => `${line}\n`).join(''));
  if (report.ok) await prepareGalleryOf(into);
  return report.ok ? 0 : 1;
}

/** `sightline models`: the library's models as a table. */
async function models(options: CommonOptions): Promise<number> {
  const service = await createCoreService({ ...options, mode: 'web', galleryPreload: false });
  try {
    process.stdout.write(modelTable(await service.listModels({})));
    return 0;
  } finally {
    await service.close();
  }
}

function modelTable(models: ModelSummary[]): string {
  const header = ['', 'ID', 'NAME', 'FORMAT', 'INPUT', 'CLASSES', 'HASH', 'RUNS'];
  const rows = models.map((m) => [m.active ? '*' : '', String(m.id), m.name, m.format, `${m.inputSize}×${m.inputSize}`, String(m.classCount), m.hash.slice(0, 12), String(m.runCount)]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const lines = [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
  const problems = models.filter((m) => m.error).map((m) => `Model ${m.id}: ${m.error}`);
  return [...lines, '* the active model: imports and runs use it unless they name another; --model ID makes another one active', ...problems].map((line) => `${line}\n`).join('');
}

/**
 * `--model` of analyze: the model it names (added first when it is a path), made active the way the gallery's Models
 * view does it (setActiveModel, which starts and warms up its engine); `previous` is the model active before, when
 * another one. The caller makes `previous` active again unless the import gets the new one's engine.
 */
async function useModel(service: CoreService, value: string): Promise<{ model: ModelSummary; previous: ModelSummary | null; note: string }> {
  const models = await service.listModels({});
  const previous = models.find((m) => m.active) ?? null;
  const choice = chooseModel(value, () => models);
  const model = 'path' in choice ? await service.addModel({ path: choice.path }) : models.find((m) => m.id === choice.id)!;
  await service.setActiveModel({ modelId: model.id });
  const known = 'path' in choice && models.some((m) => m.id === model.id);
  return { model, previous: previous?.id === model.id ? null : previous, note: known ? keptSetupNote(model, choice.path) : '' };
}

/**
 * A model added again (the same bytes) keeps the setup it has in the library: say so when the labels file beside the
 * path given names other classes than the library's setup does, since that file is then not read.
 */
function keptSetupNote(model: ModelSummary, given: string): string {
  const folder = statSync(given, { throwIfNoEntry: false })?.isDirectory() ? given : path.dirname(given);
  const differing = ['labels.json', 'labels.txt']
    .map((name) => path.join(folder, name))
    .find((file) => {
      const names = labelNames(file, model.classCount);
      return names !== null && model.labelsPreview.some((label, i) => names[i] !== label);
    });
  if (!differing) return '';
  return (
    `Note: this model (the same bytes) is already in the library as model ${model.id}, ${model.name}, and keeps its setup: ` +
    `its classes are ${model.labelsPreview.slice(0, 3).join(', ')}, …, not those of ${differing}. Change the setup in the gallery's Models view.\n`
  );
}

/** A labels file's names, read as the Models view reads one, or null when there is none or it does not fit the model. */
function labelNames(file: string, classCount: number): string[] | null {
  try {
    return readLabelsFile(file, classCount);
  } catch {
    return null;
  }
}

/** The import's error, with how to go back to another model when it is the model's load failure. */
async function loadFailure(service: CoreService, error: unknown, modelId: number | undefined, previous: ModelSummary | null): Promise<unknown> {
  const models = await service.listModels({}).catch(() => [] as ModelSummary[]);
  const failed = models.find((m) => (modelId === undefined ? m.active : m.id === modelId));
  if (!failed?.error || !(error instanceof Error)) return error;
  return new Error(`${error.message}\n${wayBack(failed, previous, models)}`);
}

/** A model `--model` named, with its setup. */
function describeSetup(model: ModelSummary): string {
  const { setup } = model;
  const labels = setup.labelSource === 'file' ? `from ${setup.labelsFile}` : setup.labelSource === 'imagenet' ? 'ImageNet' : '"class N"';
  return (
    `Using model ${model.name} (${model.format}, ${model.inputSize}×${model.inputSize}, ${model.classCount} classes, hash ${model.hash.slice(0, 12)}) from ${model.path}\n` +
    `Setup: preprocessing ${setup.preprocessing}, resize ${setup.resize}, labels ${labels}, default layer ${setup.layer}\n`
  );
}

async function serve(options: CommonOptions & { host: string; port: number; engineStart: EngineStart }): Promise<number> {
  const { dataDir, libraryFile, backend, runtime, engineStart } = options;
  // --model makes the model active at once, as the gallery's Models view does: a path is added by the service as it
  // starts, a model of the library is made active before it starts, so that only its engine starts.
  let modelDir: string | undefined;
  if (options.model !== undefined) {
    const library = libraryFile ?? path.join(dataDir, 'library.db');
    const choice = chooseModel(options.model, () => libraryModels(library));
    if ('path' in choice) modelDir = choice.path;
    else activateModel(library, choice.id);
  }
  const service = await createCoreService({ dataDir, libraryFile, backend, runtime, engineStart, modelDir, mode: 'web' });
  if (options.model !== undefined) {
    const active = (
      await service.listModels({}).catch(async (error: unknown) => {
        await service.close();
        throw error;
      })
    ).find((m) => m.active);
    if (active) process.stdout.write(describeSetup(active));
  }
  const host = await startWebHost({ service, host: options.host, port: options.port, rendererDir: appPaths().rendererDir });
  if (host.warning) process.stderr.write(`Warning: ${host.warning}\n`);
  process.stdout.write(`Sightline is serving the gallery at ${host.url}\nLibrary: ${options.libraryFile ?? options.dataDir}\nPress Ctrl+C to stop.\n`);
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (options.engineStart === 'on-demand') process.stdout.write('Engine: starts with the first import, run or map asked for (--engine on-demand).\n');
  else void reportModelWhenLoaded(service, stopped);
  await stopped;
  await host.close();
  await service.close();
  return 0;
}

/**
 * The model loads in the background; say which backend it got once it has, or why it did not load and how to make
 * another one active (or stop asking at shutdown).
 */
async function reportModelWhenLoaded(service: CoreService, stopped: Promise<void>): Promise<void> {
  let done = false;
  void stopped.then(() => (done = true));
  while (!done) {
    const info = await service.getInfo({});
    if (info.backend) return void process.stdout.write(describeModel(info));
    const active = (await service.listModels({}).catch(() => [] as ModelSummary[])).find((m) => m.active);
    if (active?.error) {
      const back = "Make another model active in the gallery's Models view, or serve again with --model <id> (sightline models lists them).";
      return void process.stderr.write(`${active.error}\n${back}\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250).unref());
  }
}

function describeModel(info: AppInfo): string {
  if (!info.model || !info.backend) return 'The model is still loading.\n';
  const skipped = info.backend.skipped.map((s) => `  skipped ${s.name}: ${s.reason}\n`).join('');
  const model = `Model: ${info.model.name} (${info.model.inputSize}×${info.model.inputSize}, default layer ${info.model.layer})\n`;
  const engine = `Engine: ${describeEngineChoice(info.backend)}\n`;
  return `${model}${engine}Backend: ${info.backend.name}\n${skipped}${describeRuntime(info.backend.runtime)}`;
}

function describeRuntime(runtime: RuntimeReport | undefined): string {
  if (!runtime) return '';
  const provider = runtime.provider ? ` (${runtime.provider})` : '';
  const skipped = (runtime.skippedProviders ?? []).map((s) => `  skipped ${s.name}: ${s.reason}\n`).join('');
  const fallback = runtime.fallbackReason ? `  not ONNX Runtime: ${runtime.fallbackReason}\n` : '';
  return `Runtime: ${RUNTIME_TITLES[runtime.name]}${provider}\n${skipped}${fallback}`;
}

/** How a job ended: its last event, and how many of its images had results before it started. */
interface JobEnd {
  last: JobProgress;
  alreadyDone: number;
}

/**
 * The service's job events from before a job starts, so that none is missed: the first one that counts the images
 * (the job's start, after the scan) says how many were done already.
 */
class JobWatch {
  private readonly seen = new Map<string, { last: JobProgress; alreadyDone: number | null }>();
  private readonly waiting = new Map<string, { onProgress: (p: JobProgress) => void; resolve: (end: JobEnd) => void }>();
  readonly stop: () => void;

  constructor(service: CoreService) {
    this.stop = service.on('jobProgress', (p) => {
      const alreadyDone = this.seen.get(p.jobId)?.alreadyDone ?? (p.total > 0 ? p.done : null);
      this.seen.set(p.jobId, { last: p, alreadyDone });
      const waiter = this.waiting.get(p.jobId);
      if (waiter && ended(p)) this.finish(p.jobId);
      else if (waiter && p.state === 'running') waiter.onProgress(p);
    });
  }

  /** Calls `onProgress` for each event of the job from now on and resolves once it has ended. */
  wait(jobId: string, onProgress: (p: JobProgress) => void): Promise<JobEnd> {
    return new Promise((resolve) => {
      this.waiting.set(jobId, { onProgress, resolve });
      const last = this.seen.get(jobId)?.last;
      if (last && ended(last)) this.finish(jobId);
    });
  }

  private finish(jobId: string): void {
    const { last, alreadyDone } = this.seen.get(jobId)!;
    this.waiting.get(jobId)?.resolve({ last, alreadyDone: alreadyDone ?? 0 });
    this.waiting.delete(jobId);
  }
}

const ended = (p: JobProgress) => p.state !== 'running' && p.state !== 'queued';

/** "Done: 4 analysed now, 2 already analysed, 0 failed": the images this job computed and those it found done. */
function describeEnd({ last, alreadyDone }: JobEnd, shard: string): string {
  const now = last.done - alreadyDone - last.failed;
  const state = last.state === 'done' ? 'Done' : `Stopped (${last.state})`;
  return `${state}: ${shard}${now} analysed now, ${alreadyDone} already analysed, ${last.failed} failed${last.message ? ` (${last.message})` : ''}`;
}

/** One redrawn line on a terminal; otherwise a line a second, for logs. */
class ProgressBar {
  private lastLine = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(p: JobProgress): void {
    if (this.stream.isTTY) {
      this.stream.write(`\r${this.format(p)}\x1b[K`);
    } else if (Date.now() - this.lastLine >= 1000) {
      this.lastLine = Date.now();
      this.stream.write(`${this.format(p)}\n`);
    }
  }

  end(p: JobProgress): void {
    this.stream.write(`${this.stream.isTTY ? '\r' : ''}${this.format(p)}${this.stream.isTTY ? '\x1b[K' : ''}\n`);
  }

  private format(p: JobProgress): string {
    const width = 24;
    const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : 0;
    const eta = p.etaSec === null ? '--:--' : formatDuration(p.etaSec);
    const status = p.message && p.total === 0 ? `  ${p.message}` : '';
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}  failed ${p.failed}  ${p.imagesPerSec.toFixed(1)} img/s  ETA ${eta}${status}`;
  }
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}` : `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

/** "I/N", shard I of N (0 ≤ I < N). */
function shardOption(value: string | undefined): Shard | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const shard = match ? { index: Number(match[1]), count: Number(match[2]) } : null;
  if (!shard || shard.count < 1 || shard.index >= shard.count) {
    throw new UsageError(`--shard takes I/N with 0 ≤ I < N (shard I of N, e.g. 0/3), got "${value}"`);
  }
  return shard;
}

/** A shard computes part of a library: reports and analysis steps run on the merged one. */
function refuseWithShard(values: Record<string, unknown>): void {
  const steps = ['out', 'html', 'flagged', 'flagged-links', 'faithfulness', 'compare', 'sanity'].filter((name) => values[name] !== undefined);
  if (steps.length === 0) return;
  throw new UsageError(
    `${steps.map((name) => `--${name}`).join(', ')} cannot go with --shard: a shard holds part of the results. ` +
      'Merge the shards (sightline merge), then run sightline analyze <folder> --library <merged.db> with them',
  );
}

function engineStartOption(value: string | undefined): EngineStart {
  if (value === undefined) return 'eager';
  if (!(ENGINE_STARTS as readonly string[]).includes(value)) throw new UsageError(`--engine must be one of ${ENGINE_STARTS.join(', ')}`);
  return value as EngineStart;
}

function runtimeOption(value: string | undefined): EngineRuntimeChoice | undefined {
  if (value === undefined) return undefined;
  if (!(ENGINE_RUNTIMES as readonly string[]).includes(value)) throw new UsageError(`--runtime must be one of ${ENGINE_RUNTIMES.join(', ')}`);
  return value as EngineRuntimeChoice;
}

function backendOption(value: string | undefined): BackendName | undefined {
  if (value === undefined) return undefined;
  if (!(BACKENDS as readonly string[]).includes(value)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}`);
  return value as BackendName;
}

/** A method name in any case, with "++" for "PlusPlus" (gradcam, GradCAM++, scorecam …). */
function methodOption(value: string | undefined): CamMethod | undefined {
  if (value === undefined) return undefined;
  const key = (name: string) => name.toLowerCase().replace(/\+\+/g, 'plusplus').replace(/[-_\s]/g, '');
  const method = CAM_METHOD_NAMES.find((m) => key(m) === key(value));
  if (!method) throw new UsageError(`--method must be one of ${CAM_METHOD_NAMES.join(', ')} (any case)`);
  return method;
}

function faithfulnessOption(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (value === '' || value === 'all') return Infinity;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('--faithfulness takes a whole number of images ≥ 1 or all');
  return n;
}

function mapsOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const maps = Number(value);
  if (!Number.isInteger(maps) || maps < 0 || maps > 3) throw new UsageError('--maps must be a whole number from 0 to 3');
  return maps;
}

function portOption(value: string | undefined): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535`);
  return port;
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
