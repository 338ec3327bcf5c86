// A large library opened without its saved columns (gallery-snapshot.ts): while the worker reads the dataset's
// columns, the page's first queries are answered at once from the library's indexes (`early`): the dataset list with
// its image count, the first window of photos in file-name order with its rows, the facets pending. Real SQLite
// files and a real worker read, through openLibrary as the service opens a library.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_FILTER, type ImageSort } from '../../../common/query';
import { createDatasets } from './datasets';
import { createImages } from './images';
import { openLibrary, type Library } from './library';
import { writeToyLibrary } from './test-support/toy-library';

/** File names in an order of their own: case folded as SQLite's NOCASE does, ties broken by the folder. */
const FILES = ['b.jpg', 'A.jpg', 'cat/c.jpg', 'dog/a.jpg', 'e.jpg', 'D.jpg', 'cat/B.jpg'];
let dir: string;
let file: string;
let library: Library | null = null;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-early-'));
  file = path.join(dir, 'library.db');
  writeToyLibrary(file, FILES);
});
afterEach(() => {
  library?.close();
  library = null;
  rmSync(dir, { recursive: true, force: true });
});

/** The service's calls on a library opened as the service opens it, every dataset counting as large (read in the worker). */
function start() {
  library = openLibrary(file, { preload: true, preloadFrom: 1 });
  const images = createImages(library, (rows) => rows);
  // The engine host and the jobs serve other calls than the list.
  const datasets = createDatasets(library, {} as never, {} as never);
  return { library, images, datasets };
}

const byName: ImageSort = { key: 'fileName', descending: false };
const ask = { datasetId: 1, filter: EMPTY_FILTER, sort: byName, offset: 0, limit: 5, rows: 3 };

describe('early answers while the dataset is read', () => {
  it('list the dataset and show the first photos at once, then count once the read is done', async () => {
    const { library, images, datasets } = start();
    expect(library.query.readInFlight()).toBe(true);
    // Asked before this thread lets the worker's answer in: the read is in flight for both.
    const [listed, early, earlyBack] = await Promise.all([
      datasets.listDatasets({ early: true }),
      images.queryImages({ ...ask, early: true }),
      images.queryImages({ ...ask, sort: { key: 'fileName', descending: true }, early: true }),
    ]);
    expect(listed).toMatchObject([{ id: 1, imageCount: FILES.length, doneCount: 0, errorCount: 0, countsPending: true, labelLevels: [] }]);
    expect(early.pending).toBe(true);
    expect(early.count).toBe(FILES.length);
    expect(early.facets.predicted).toEqual([]);
    expect(early.rows!.map((row) => row.id)).toEqual(early.ids.slice(0, 3));

    await library.query.idle();
    const full = await images.queryImages(ask);
    expect(full.pending).toBeUndefined();
    // The same photos in the same order as the columns give them, and rows as getImages gives them.
    expect(early.ids).toEqual(full.ids);
    expect(early.rows).toEqual(full.rows);
    expect(full.ids.map((id) => FILES[id - 1])).toEqual(['A.jpg', 'dog/a.jpg', 'b.jpg', 'cat/B.jpg', 'cat/c.jpg']);
    expect(earlyBack.ids).toEqual((await images.queryImages({ ...ask, sort: { key: 'fileName', descending: true } })).ids);
    expect(full.facets.predicted.reduce((sum, facet) => sum + facet.count, 0)).toBe(FILES.length);
    const counted = await datasets.listDatasets({ early: true });
    expect(counted[0]).toMatchObject({ imageCount: FILES.length, doneCount: FILES.length, errorCount: 0 });
    expect(counted[0].countsPending).toBeUndefined();
  });

  it('makes a query that needs the columns (a filter, a score order) wait for the read, and answers nothing early once they are in use', async () => {
    const { library, images } = start();
    const [filtered, byScore] = await Promise.all([
      images.queryImages({ ...ask, filter: { ...EMPTY_FILTER, predicted: [1] }, early: true }),
      images.queryImages({ ...ask, sort: { key: 'confidence', descending: true }, early: true }),
    ]);
    expect(filtered.pending).toBeUndefined();
    expect(filtered.count).toBe(2);
    expect(byScore.pending).toBeUndefined();
    expect(byScore.ids[0]).toBe(FILES.length);
    expect(library.query.readInFlight()).toBe(false);
    expect((await images.queryImages({ ...ask, early: true })).pending).toBeUndefined();
  });

  it('waits for the read without `early`, as before', async () => {
    const { images, datasets } = start();
    const [listed, answer] = await Promise.all([datasets.listDatasets({}), images.queryImages(ask)]);
    expect(listed[0].countsPending).toBeUndefined();
    expect(listed[0].doneCount).toBe(FILES.length);
    expect(answer.pending).toBeUndefined();
  });
});
