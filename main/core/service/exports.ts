// The reports of a run: the CSV (whole, or streamed for any number of images) and the HTML report, each of the
// gallery's filter when one is given.
import type { CallInput, Service } from '../../../common/contract';
import { FLAGGED_VERDICTS, hasConditions, type ImageFilter } from '../../../common/query-values';
import { renderHtmlReport } from '../analysis/html-report';
import { csvFileName, csvString, writeCsv } from '../export/csv';
import { reportManifest } from '../export/manifest';
import { pixelsOfRun } from '../models/registry';
import type { AppPaths } from '../paths';
import type { CoreService } from '../service-types';
import { Store } from '../store/store';
import type { Library } from './library';

export type ExportCalls = Pick<Service, 'exportCsv' | 'exportHtml'> &
  Pick<CoreService, 'exportCsvTo'> & {
    /** The images an export covers: the gallery's filter when given (its order is the library's), else null for all. */
    selection(datasetId: number, runId: number | null, filter: CallInput<'exportCsv'>['filter']): number[] | null;
  };

/** The rows among the selected ids (all of them when there is no selection), in their order. */
const inSelection = <R extends { id: number }>(rows: R[], ids: readonly number[] | null): R[] => {
  if (ids === null) return rows;
  const chosen = new Set(ids);
  return rows.filter((row) => chosen.has(row.id));
};

export function createExports(library: Library, paths: Pick<AppPaths, 'version'>): ExportCalls {
  const { store } = library;
  const selection: ExportCalls['selection'] = (datasetId, runId, filter) =>
    filter ? library.query.images(datasetId, runId, filter, { key: 'fileName', descending: false }).ids : null;

  return {
    selection,
    async exportCsv(input) {
      const target = library.dataset(input.datasetId);
      const runId = library.runOf(target.id, input.runId);
      const rows = store.exportRows(target.id, runId, selection(target.id, runId, input.filter));
      return { fileName: csvFileName(target.name, runId), csv: await csvString(target.rootPath, rows, { bom: input.bom }) };
    },
    async exportCsvTo(input, out) {
      const target = library.dataset(input.datasetId);
      const runId = library.runOf(target.id, input.runId);
      // A connection of its own: the rows are read while other calls keep using the store's.
      const reader = new Store(library.file);
      try {
        const rows = reader.exportRows(target.id, runId, selection(target.id, runId, input.filter));
        return { rows: await writeCsv(target.rootPath, rows, out, { bom: input.bom }) };
      } finally {
        reader.close();
      }
    },
    async exportHtml(input) {
      const target = library.dataset(input.datasetId);
      const runId = library.runOf(target.id, input.runId);
      const run = runId === null ? null : store.getRun(runId);
      const runModel = run && store.models.get(run.modelId);
      const model = run && runModel ? { name: runModel.name, inputSize: runModel.inputSize, preprocessing: pixelsOfRun(runModel, run.options).preprocessing } : null;
      const metrics = runId === null ? new Map() : store.metrics.forRun(runId);
      const every = store.listImages(target.id, runId);
      const images = inSelection(every, selection(target.id, runId, input.filter));
      const html = await renderHtmlReport({
        title: target.name,
        rootPath: target.rootPath,
        generatedAt: new Date().toISOString(),
        images,
        scope: images.length < every.length ? { what: scopeOf(input.filter), of: every.length } : null,
        suspicion: new Map([...metrics].map(([imageId, m]) => [imageId, m.suspicion])),
        photo: async (imageId) => store.thumbnail(imageId),
        manifest: reportManifest({
          appVersion: paths.version,
          run,
          model,
          sqliteVersion: store.sqliteVersion(),
          sanity: runId === null ? null : store.metrics.sanity(runId),
        }),
      });
      return { fileName: csvFileName(target.name, runId, 'html'), html };
    },
  };
}

/** What part of a dataset a report's filter keeps, in words. */
function scopeOf(filter: ImageFilter | undefined): string {
  if (!filter) return 'a part of the dataset';
  const flaggedOnly =
    !hasConditions({ ...filter, verdicts: [] }) &&
    filter.verdicts.length === FLAGGED_VERDICTS.length &&
    FLAGGED_VERDICTS.every((verdict) => filter.verdicts.includes(verdict));
  return flaggedOnly ? 'the flagged photos only' : 'the photos of a filtered view';
}
