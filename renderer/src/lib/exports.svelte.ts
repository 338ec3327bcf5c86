// Exports from the gallery: the CSV table, the HTML report and the paths of the photos (a list, or a folder of
// links on the machine that runs the library), of the whole dataset, the current view or the flagged photos.
// The desktop asks where to save; the browser downloads, and either way the app says where the file went.
import type { Api } from '../../../common/contract';
import { EMPTY_FILTER, FLAGGED_VERDICTS, type ImageFilter } from '../../../common/query-values';
import { downloadText } from './download';
import { scopedFileName } from './export-names';
import { errorMessage } from './format';

export const EXPORT_SCOPES = ['all', 'view', 'flagged'] as const;
export type ExportScope = (typeof EXPORT_SCOPES)[number];
export const EXPORT_FORMATS = ['csv', 'html', 'list', 'links'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const SCOPE_LABELS: Record<ExportScope, string> = {
  all: 'The whole dataset',
  view: 'The current view (filters and search)',
  flagged: 'Flagged only (misattended, label error, unsure)',
};
export const FORMAT_LABELS: Record<ExportFormat, string> = {
  csv: 'CSV table (every metric, verdicts, notes, tags)',
  html: 'HTML report (one self-contained file)',
  list: 'List of file paths (for retraining)',
  links: 'Folder of links to the files (for retraining)',
};

/** What the export covers: undefined for the whole dataset. */
export function scopeFilter(scope: ExportScope, view: ImageFilter): ImageFilter | undefined {
  if (scope === 'view') return view;
  if (scope === 'flagged') return { ...EMPTY_FILTER, verdicts: [...FLAGGED_VERDICTS] };
  return undefined;
}

export interface ExportRequest {
  datasetId: number;
  runId: number | null;
  scope: ExportScope;
  format: ExportFormat;
  /** The gallery's filter now (for the 'view' scope). */
  view: ImageFilter;
  /** The folder for 'links'. */
  dir?: string;
}

const MIME: Record<'csv' | 'html' | 'list', string> = {
  csv: 'text/csv;charset=utf-8',
  html: 'text/html;charset=utf-8',
  list: 'text/plain;charset=utf-8',
};

export class Exports {
  busy = $state(false);
  /** Where the last export went, said once it is there. */
  notice = $state<string | null>(null);
  error = $state<string | null>(null);

  readonly #api: Api;

  constructor(api: Api) {
    this.#api = api;
  }

  get canSaveAs(): boolean {
    return typeof this.#api.saveFile === 'function';
  }

  /** Makes the export and saves it; true when it is saved (false when cancelled or refused, with the reason). */
  async run(request: ExportRequest): Promise<boolean> {
    const filter = scopeFilter(request.scope, request.view);
    const target = { datasetId: request.datasetId, runId: request.runId ?? undefined, ...(filter ? { filter } : {}) };
    this.busy = true;
    this.error = null;
    try {
      if (request.format === 'links') {
        const dir = request.dir?.trim();
        if (!dir) throw new Error('Type the folder for the links: a new or empty folder, made if it does not exist');
        const made = await this.#api.exportPaths({ ...target, kind: 'links', dir });
        this.notice = `Made ${made.count} link${made.count === 1 ? '' : 's'} in ${made.kind === 'links' ? made.dir : dir}`;
        return true;
      }
      const file = await this.#file(request.format, target);
      return await this.#save(scopedFileName(file.fileName, request.scope), file.text, MIME[request.format]);
    } catch (error) {
      this.error = errorMessage(error);
      return false;
    } finally {
      this.busy = false;
    }
  }

  dismiss(): void {
    this.notice = null;
  }

  async #file(format: 'csv' | 'html' | 'list', target: { datasetId: number; runId?: number; filter?: ImageFilter }) {
    if (format === 'csv') {
      const { fileName, csv } = await this.#api.exportCsv(target);
      return { fileName, text: csv };
    }
    if (format === 'html') {
      const { fileName, html } = await this.#api.exportHtml(target);
      return { fileName, text: html };
    }
    const list = await this.#api.exportPaths({ ...target, kind: 'list' });
    if (list.kind !== 'list') throw new Error('The library answered a list export with links');
    return { fileName: list.fileName, text: list.text };
  }

  async #save(fileName: string, text: string, mime: string): Promise<boolean> {
    if (this.#api.saveFile) {
      const saved = await this.#api.saveFile(fileName, text);
      if (saved) this.notice = `Saved ${saved}`;
      return saved !== null;
    }
    downloadText(fileName, text, mime);
    this.notice = `Saved ${fileName} to your Downloads folder`;
    return true;
  }
}
