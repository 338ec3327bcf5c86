// Tags, saved views and the paths export on a real SQLite library with real photo files: tags filter the gallery
// any-of with facet counts and go into the CSV, an undo puts whole tag sets back, views keep their scope, and the
// flagged photos become a path list or a folder of links that open the photos.
import { parse } from 'csv-parse/sync';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseInput } from '../../../common/contract';
import { UserError } from '../../../common/errors';
import { EMPTY_FILTER, FLAGGED_VERDICTS, type ImageFilter, type ViewState } from '../../../common/query';
import { csvString } from '../export/csv';
import { openDatabase, type Db } from '../store/database';
import { LibraryQuery } from '../store/query';
import { Store } from '../store/store';
import { createReviewCalls, type ReviewCalls } from './review-calls';

const FILES = ['cat/a.jpg', 'cat/b.jpg', 'dog/c.jpg', 'dog/d.jpg', 'e.jpg'];
let dir: string;
let photos: string;
let store: Store;
let db: Db;
let library: LibraryQuery;
let calls: ReviewCalls;
let datasetId: number;
let runId: number;
let ids: Record<string, number>;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-review-'));
  photos = path.join(dir, 'photos');
  for (const file of FILES) {
    mkdirSync(path.dirname(path.join(photos, file)), { recursive: true });
    writeFileSync(path.join(photos, file), `photo ${file}`);
  }
  const file = path.join(dir, 'library.db');
  store = new Store(file);
  const dataset = store.ensureDataset(photos);
  datasetId = dataset.id;
  const modelId = store.ensureModel({ hash: 'f00d', name: 'toy', dir: '/m', inputSize: 224, labels: ['cat', 'dog'] });
  runId = store.ensureRun({ datasetId, modelId, method: 'GradCAM', layer: 'conv', options: {}, backend: 'cpu' });
  store.applyScan(
    datasetId,
    FILES.map((relPath) => ({ kind: 'added' as const, relPath, size: 1, mtimeMs: 1, trueLabel: null, trueIndex: null })),
    [],
  );
  ids = Object.fromEntries(store.pendingImages(datasetId, runId).map((p) => [p.relPath, p.id]));
  db = openDatabase(file);
  library = new LibraryQuery(db);
  const selection = (id: number, run: number | null, filter: ImageFilter | undefined) =>
    filter ? library.images(id, run, filter, { key: 'fileName', descending: false }).ids : null;
  calls = createReviewCalls({
    db,
    query: library,
    store,
    dataset: (id) => {
      const found = store.getDataset(id);
      if (!found) throw new UserError(`No dataset with id ${id}`, 404);
      return found;
    },
    runOf: (id, run) => run ?? store.latestRunId(id),
    selection,
  });
});
afterEach(() => {
  library.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const shown = (filter: Partial<ImageFilter>) => library.images(datasetId, runId, { ...EMPTY_FILTER, ...filter }, { key: 'fileName', descending: false });
const pathsOf = (found: number[]) => found.map((id) => Object.keys(ids).find((k) => ids[k] === id));
const tagsOf = async (...files: string[]) => (await calls.withTags(files.map((f) => store.getImage(ids[f])!))).map((row) => row.tags);

describe('tags', () => {
  it('adds and removes tags on many photos, filters any-of with counts, and an undo puts the sets back', async () => {
    const first = await calls.setTags({ imageIds: [ids['cat/a.jpg'], ids['cat/b.jpg'], ids['dog/c.jpg']], add: ['blurry', 'Studio'] });
    expect(first.previous).toEqual([ids['cat/a.jpg'], ids['cat/b.jpg'], ids['dog/c.jpg']].map((imageId) => ({ imageId, tags: [] })));
    // Same tag in another case is the same tag, spelled as first typed.
    const second = await calls.setTags({ imageIds: [ids['cat/b.jpg'], ids['e.jpg']], add: ['watermark'], remove: ['STUDIO'] });
    expect(second.previous).toEqual([
      { imageId: ids['cat/b.jpg'], tags: ['blurry', 'Studio'] },
      { imageId: ids['e.jpg'], tags: [] },
    ]);
    expect(await tagsOf('cat/a.jpg', 'cat/b.jpg', 'e.jpg', 'dog/d.jpg')).toEqual([['blurry', 'Studio'], ['blurry', 'watermark'], ['watermark'], []]);

    expect(pathsOf(shown({ tags: ['studio'] }).ids)).toEqual(['cat/a.jpg', 'dog/c.jpg']);
    expect(pathsOf(shown({ tags: ['Studio', 'watermark'] }).ids)).toEqual(['cat/a.jpg', 'cat/b.jpg', 'dog/c.jpg', 'e.jpg']);
    const facets = shown({ tags: ['watermark'], search: 'cat/' }).facets.tags;
    // The tag facet counts with the other filters applied (the search), not its own.
    expect(facets).toEqual([
      { value: 'blurry', label: 'blurry', count: 2 },
      { value: 'Studio', label: 'Studio', count: 1 },
      { value: 'watermark', label: 'watermark', count: 1 },
    ]);
    expect(pathsOf(shown({ tags: ['watermark'], search: 'cat/' }).ids)).toEqual(['cat/b.jpg']);

    await calls.restoreTags({ changes: second.previous });
    expect(await tagsOf('cat/b.jpg', 'e.jpg')).toEqual([['blurry', 'Studio'], []]);
    // A tag nobody has any more is gone from the facet.
    expect(shown({}).facets.tags.map((t) => t.value)).toEqual(['blurry', 'Studio']);
    await calls.restoreTags({ changes: first.previous });
    expect(shown({}).facets.tags).toEqual([]);
  });

  it('writes the tags into the CSV, and the CSV of a filtered view holds only its rows', async () => {
    await calls.setTags({ imageIds: [ids['dog/c.jpg']], add: ['=cmd()', 'occluded'] });
    await calls.setTags({ imageIds: [ids['e.jpg']], add: ['occluded'] });
    const only = library.images(datasetId, runId, { ...EMPTY_FILTER, tags: ['occluded'] }, { key: 'fileName', descending: false }).ids;
    const records = parse(await csvString(photos, store.exportRows(datasetId, runId, only)), { columns: true }) as Record<string, string>[];
    expect(records.map((r) => [r.relative_path, r.tags])).toEqual([
      ['dog/c.jpg', "'=cmd(); occluded"],
      ['e.jpg', 'occluded'],
    ]);
  });

  it('refuses empty tags and tags with commas with a message that says so', () => {
    expect(() => parseInput('setTags', { imageIds: [1], add: ['  '] })).toThrow(/add\.0: a tag cannot be empty/);
    expect(() => parseInput('setTags', { imageIds: [1], add: ['a,b'] })).toThrow(/no commas/);
    expect(() => parseInput('setTags', { imageIds: [], add: ['a'] })).toThrow(/imageIds/);
    expect(parseInput('setTags', { imageIds: [1], add: ['  sharp  '] }).add).toEqual(['sharp']);
  });
});

describe('saved views', () => {
  const state = (search: string): ViewState => ({
    filter: { ...EMPTY_FILTER, verdicts: ['misattended'], search },
    sort: { key: 'suspicion', descending: true },
    overlay: { visible: true, opacity: 0.7, colormap: 'viridis', threshold: 40, scale: 'dataset' },
  });

  it('lists a dataset its own views and the views for every dataset; the same name replaces; delete removes', async () => {
    const other = store.ensureDataset(path.join(dir, 'other')).id;
    await calls.saveView({ datasetId, name: 'Flagged cats', state: state('cat') });
    await calls.saveView({ datasetId: null, name: 'Everywhere', state: state('') });
    await calls.saveView({ datasetId: other, name: 'Not here', state: state('') });
    const replaced = await calls.saveView({ datasetId, name: 'flagged CATS', state: state('cat/a') });
    const views = await calls.listViews({ datasetId });
    expect(views.map((v) => [v.name, v.datasetId])).toEqual([
      ['Everywhere', null],
      ['flagged CATS', datasetId],
    ]);
    expect(views[1]).toEqual(replaced);
    expect(replaced.state).toEqual(state('cat/a'));
    expect(await calls.deleteView({ viewId: replaced.id })).toEqual({ deleted: true });
    expect(await calls.deleteView({ viewId: replaced.id })).toEqual({ deleted: false });
    expect((await calls.listViews({ datasetId: other })).map((v) => v.name)).toEqual(['Everywhere', 'Not here']);
    await expect(calls.saveView({ datasetId: 999, name: 'x', state: state('') })).rejects.toThrow(/No dataset with id 999/);
  });

  it('leaves out a stored view that no longer reads instead of failing the list', async () => {
    await calls.saveView({ datasetId, name: 'Good', state: state('') });
    db.prepare("INSERT INTO saved_views (dataset_id, name, state) VALUES (?, 'Damaged', '{\"filter\":1}')").run(datasetId);
    expect((await calls.listViews({ datasetId })).map((v) => v.name)).toEqual(['Good']);
    expect(() => parseInput('saveView', { datasetId, name: '  ', state: state('') })).toThrow(/a view needs a name/);
  });
});

describe('exporting the paths of the flagged photos', () => {
  const flagged: ImageFilter = { ...EMPTY_FILTER, verdicts: [...FLAGGED_VERDICTS] };
  beforeEach(() => {
    library.setVerdicts([
      { imageId: ids['cat/b.jpg'], verdict: 'misattended' },
      { imageId: ids['dog/d.jpg'], verdict: 'label_error' },
      { imageId: ids['e.jpg'], verdict: 'ok' },
    ], () => runId);
  });

  it('lists their absolute paths, one a line', async () => {
    const list = await calls.exportPaths({ datasetId, filter: flagged, kind: 'list' });
    expect(list).toEqual({
      kind: 'list',
      fileName: `sightline-photos-run${runId}.paths.txt`,
      text: `${path.join(photos, 'cat/b.jpg')}\n${path.join(photos, 'dog/d.jpg')}\n`,
      count: 2,
    });
    const all = await calls.exportPaths({ datasetId, kind: 'list' });
    expect(all.kind === 'list' && all.text.split('\n').filter(Boolean)).toHaveLength(FILES.length);
  });

  it('makes a folder of links that mirrors the subfolders and opens the photos; again adds, never overwrites', async () => {
    const out = path.join(dir, 'retrain');
    expect(await calls.exportPaths({ datasetId, filter: flagged, kind: 'links', dir: out })).toEqual({ kind: 'links', dir: out, count: 2 });
    expect(lstatSync(path.join(out, 'cat/b.jpg')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(out, 'cat/b.jpg'))).toBe(path.join(photos, 'cat/b.jpg'));
    expect(readFileSync(path.join(out, 'dog/d.jpg'), 'utf8')).toBe('photo dog/d.jpg');
    expect(realpathSync(path.join(out, 'dog/d.jpg'))).toBe(realpathSync(path.join(photos, 'dog/d.jpg')));

    // Once more with the whole dataset: the links already there stay, the others join them.
    expect((await calls.exportPaths({ datasetId, kind: 'links', dir: out })).count).toBe(FILES.length);
    expect(readFileSync(path.join(out, 'e.jpg'), 'utf8')).toBe('photo e.jpg');

    const busy = path.join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'notes.txt'), 'mine');
    await expect(calls.exportPaths({ datasetId, filter: flagged, kind: 'links', dir: busy })).rejects.toThrow(/already holds other files/);
    await expect(calls.exportPaths({ datasetId, filter: flagged, kind: 'links', dir: path.join(photos, 'links') })).rejects.toThrow(
      /inside the dataset's folder/,
    );
    await expect(calls.exportPaths({ datasetId, filter: flagged, kind: 'links', dir: path.join(busy, 'notes.txt') })).rejects.toThrow(/is a file/);
    await expect(calls.exportPaths({ datasetId, filter: flagged, kind: 'links' })).rejects.toThrow(/Name the folder/);
    expect(readFileSync(path.join(busy, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
