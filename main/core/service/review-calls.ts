// The contract's calls for tags, saved views and the paths export (issue 15), on the gallery's connection.
import type { CallInput, CallOutputs } from '../../../common/contract';
import { UserError } from '../../../common/errors';
import type { ImageFilter } from '../../../common/query';
import type { ImageRow } from '../../../common/types';
import { linkFolder, pathList, pathListFileName } from '../export/paths';
import type { Db } from '../store/database';
import type { LibraryQuery } from '../store/query';
import type { DatasetRecord, Store } from '../store/store';
import { ImageTags } from '../store/tags';
import { SavedViews } from '../store/views';

export interface ReviewCallsContext {
  db: Db;
  /** The gallery's query, told of tags written so that its columns stay current. */
  query: Pick<LibraryQuery, 'writeTags' | 'writeUnseen'>;
  store: Store;
  /** The dataset, or a UserError. */
  dataset(datasetId: number): DatasetRecord;
  /** The run asked for after checking it belongs to the dataset, else the latest. */
  runOf(datasetId: number, runId: number | undefined): number | null;
  /** The ids a filter keeps, or null for every image. */
  selection(datasetId: number, runId: number | null, filter: ImageFilter | undefined): number[] | null;
}

export type ReviewCalls = {
  [K in 'setTags' | 'restoreTags' | 'listViews' | 'saveView' | 'deleteView' | 'exportPaths']: (input: CallInput<K>) => Promise<CallOutputs[K]>;
} & {
  /** The rows with their tags filled in. */
  withTags<R extends ImageRow>(rows: R[]): R[];
};

export function createReviewCalls(context: ReviewCallsContext): ReviewCalls {
  const tags = new ImageTags(context.db);
  const views = new SavedViews(context.db);
  return {
    async setTags(input) {
      return { previous: context.query.writeTags(() => tags.change(input.imageIds, input.add ?? [], input.remove ?? [])) };
    },
    async restoreTags(input) {
      return { previous: context.query.writeTags(() => tags.restore(input.changes)) };
    },
    async listViews(input) {
      return views.list(context.dataset(input.datasetId).id);
    },
    async saveView(input) {
      if (input.datasetId !== null) context.dataset(input.datasetId);
      return context.query.writeUnseen(() => views.save(input.datasetId, input.name, input.state));
    },
    async deleteView(input) {
      return { deleted: context.query.writeUnseen(() => views.delete(input.viewId)) };
    },
    async exportPaths(input) {
      const target = context.dataset(input.datasetId);
      const runId = context.runOf(target.id, input.runId);
      const ids = context.selection(target.id, runId, input.filter);
      const relPaths = [...context.store.exportRows(target.id, runId, ids)].map((row) => row.relPath);
      if (input.kind === 'list') {
        return { kind: 'list', fileName: pathListFileName(target.name, runId), text: pathList(target.rootPath, relPaths), count: relPaths.length };
      }
      if (!input.dir) throw new UserError('Name the folder for the links (dir): it is made on the machine that runs the library');
      return { kind: 'links', ...(await linkFolder(input.dir, target.rootPath, relPaths)) };
    },
    withTags(rows) {
      const byImage = tags.of(rows.map((row) => row.id));
      return rows.map((row) => ({ ...row, tags: byImage.get(row.id) ?? [] }));
    },
  };
}
