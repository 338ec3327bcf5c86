// A dataset's images as the gallery reads and reviews them: rows by run, the gallery's query, verdicts, the
// expected box, and one image's metrics.
import type { Service } from '../../../common/contract';
import { UserError } from '../../../common/errors';
import { MAX_ID_WINDOW, type QueryResult } from '../../../common/query';
import { refreshBox } from '../analysis/image-metrics';
import type { Library } from './library';
import type { ReviewCalls } from './review-calls';

export type ImageCalls = Pick<
  Service,
  'listImages' | 'getImage' | 'getImages' | 'queryImages' | 'queryImageIds' | 'setReview' | 'setVerdicts' | 'getExpectedBox' | 'setExpectedBox' | 'getMetrics'
>;

export function createImages(library: Library, withTags: ReviewCalls['withTags']): ImageCalls {
  const { store, query } = library;
  return {
    async listImages(input) {
      const { id } = library.dataset(input.datasetId);
      return store.listImages(id, library.runOf(id, input.runId));
    },
    async getImage(input) {
      const image = store.getImage(input.imageId, input.runId);
      if (!image) throw new UserError(`No image with id ${input.imageId}`, 404);
      if (input.runId !== undefined) library.runOf(image.datasetId, input.runId);
      return withTags([image])[0];
    },
    async getImages(input) {
      const images = store.getImages(input.imageIds, input.runId);
      // A run asked for must belong to each image's dataset.
      if (input.runId !== undefined) for (const datasetId of new Set(images.map((image) => image.datasetId))) library.runOf(datasetId, input.runId);
      return withTags(images);
    },
    async queryImages(input) {
      const { id } = library.dataset(input.datasetId);
      const runId = library.runOf(id, input.runId);
      const window = input.offset === undefined && input.limit === undefined ? undefined : { offset: input.offset ?? 0, limit: input.limit ?? MAX_ID_WINDOW };
      const withRows = (result: QueryResult): QueryResult =>
        input.rows ? { ...result, rows: withTags(store.getImages(result.ids.slice(0, input.rows), input.runId)) } : result;
      // A large dataset's columns being read (a library opened without its saved columns: seconds at a million
      // photos): the first screen from the library's index now, the facets when the page asks again.
      const early = input.early && window && query.reading(id, runId) ? query.earlyAnswer(id, runId, input.filter, input.sort, window) : null;
      if (early) return withRows(early);
      await query.ready(id, runId);
      return withRows(query.images(id, runId, input.filter, input.sort, window));
    },
    async queryImageIds(input) {
      const { id } = library.dataset(input.datasetId);
      await query.ready(id, library.runOf(id, input.runId));
      return query.ids(id, library.runOf(id, input.runId), input.filter, input.sort, { offset: input.offset, limit: input.limit });
    },
    async setReview(input) {
      const datasetId = query.datasetOf(input.imageId);
      if (datasetId === null) throw new UserError(`No image with id ${input.imageId}`, 404);
      const runId = library.runOf(datasetId, input.runId);
      query.setReview(input.imageId, runId, input.verdict, input.note);
      return withTags([store.getImage(input.imageId, runId)!])[0];
    },
    async setVerdicts(input) {
      return { previous: query.setVerdicts(input.changes, (datasetId) => library.runOf(datasetId, input.runId)) };
    },
    async getExpectedBox(input) {
      return { box: query.expectedBox(input.imageId) };
    },
    async setExpectedBox(input) {
      if (!query.setExpectedBox(input.imageId, input.box)) throw new UserError(`No image with id ${input.imageId}`, 404);
      refreshBox(store.metrics, input.imageId);
      return { box: query.expectedBox(input.imageId) };
    },
    async getMetrics(input) {
      const image = store.getImage(input.imageId);
      if (!image) throw new UserError(`No image with id ${input.imageId}`, 404);
      const runId = library.runOf(image.datasetId, input.runId);
      return { metrics: runId === null ? null : store.metrics.get(runId, image.id) };
    },
  };
}
