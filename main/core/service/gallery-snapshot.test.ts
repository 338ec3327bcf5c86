// The gallery's columns saved beside the library at close and used on the next start (gallery-snapshot.ts), through
// openLibrary as the service opens a library: real SQLite files, a real worker read.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_FILTER, type ImageFilter } from '../../../common/query';
import { openLibrary, type Library } from './library';
import { listDatasetsNow, prepareGallery } from './prepare-gallery';
import { writeToyLibrary } from './test-support/toy-library';
import { openDatabase } from '../store/database';
import { readColumns, withOrders } from '../store/gallery-index';
import { fileStamp, readSnapshot, snapshotFile, writeSnapshot } from '../store/gallery-snapshot';

let dir: string;
let file: string;
const DATASET = 1;
const RUN = 1;
const byName = { key: 'fileName', descending: false } as const;
const open: Library[] = [];

/** Six photos, two of them verdict "ok"; the run predicts class i % 3 with confidence (i + 1) / 10. */
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-snapshot-'));
  file = path.join(dir, 'library.db');
  writeToyLibrary(file, ['p0.jpg', 'p1.jpg', 'p2.jpg', 'p3.jpg', 'p4.jpg', 'p5.jpg'], 2);
});
afterEach(() => {
  for (const library of open.splice(0)) library.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens the library as the service does, every dataset counting as large (`preloadFrom`, default 1). */
function start(preloadFrom = 1, checkAfterMs = 0): Library {
  const library = openLibrary(file, { preload: true, preloadFrom, checkAfterMs });
  open.push(library);
  return library;
}
function stop(library: Library): void {
  open.splice(open.indexOf(library), 1);
  library.close();
}
/** A start that reads the dataset, then a close: the snapshot is saved. */
async function saveSnapshot(): Promise<void> {
  const library = start();
  await library.query.ready(DATASET, RUN);
  stop(library);
}
const query = (library: Library, filter: Partial<ImageFilter> = {}) =>
  library.query.images(DATASET, RUN, { ...EMPTY_FILTER, ...filter }, byName);
/** What a page shows: the ids and every facet, without the timing. */
const shown = (library: Library, filter: Partial<ImageFilter> = {}) => {
  const { elapsedMs: _, ...rest } = query(library, filter);
  return rest;
};
/** Runs a statement on a connection of another program, closed again (the library file changes). */
function writeElsewhere(sql: string): void {
  const db = openDatabase(file);
  db.prepare(sql).run();
  db.close();
}

describe('the gallery snapshot', () => {
  it('is saved at close, and the next start answers from it at once with what a read of the library gives', async () => {
    const first = start();
    await first.query.ready(DATASET, RUN);
    const before = shown(first, { verdicts: ['ok'] });
    expect(before.count).toBe(2);
    stop(first);
    expect(existsSync(snapshotFile(file))).toBe(true);

    const second = start();
    expect(second.query.source).toBe('snapshot');
    expect(shown(second, { verdicts: ['ok'] })).toEqual(before);
    // It is checked all the same: the worker's read of the library replaces it, and shows the same.
    await second.query.idle();
    expect(second.query.source).toBe('worker');
    expect(shown(second, { verdicts: ['ok'] })).toEqual(before);
  });

  it('keeps the verdicts set since the last start, through a second close and start', async () => {
    await saveSnapshot();
    const second = start();
    await second.query.idle();
    const id = query(second).ids[5];
    second.query.setVerdicts([{ imageId: id, verdict: 'ok' }], () => RUN);
    stop(second);

    const third = start();
    expect(third.query.source).toBe('snapshot');
    expect(query(third, { verdicts: ['ok'] }).ids).toContain(id);
    expect(query(third, { verdicts: ['ok'] }).count).toBe(3);
  });

  it('is not used after another program changed the library, and is removed', async () => {
    await saveSnapshot();
    writeElsewhere("UPDATE run_verdicts SET verdict = 'misattended'");

    const second = start();
    expect(second.query.source).toBeNull();
    expect(existsSync(snapshotFile(file))).toBe(false);
    await second.query.ready(DATASET, RUN);
    expect(query(second, { verdicts: ['ok'] }).count).toBe(0);
    expect(query(second, { verdicts: ['misattended'] }).count).toBe(2);
  });

  it('is replaced by the read of the library when it differs from it though the file matched', async () => {
    await saveSnapshot();
    // A write that slipped in as the library closed: the saved columns say every photo is "ok", the library two.
    const snapshot = readSnapshot(file, fileStamp(file))!;
    snapshot.columns.verdict.fill(snapshot.columns.verdict[0]);
    expect(writeSnapshot(file, snapshot)).toBe(true);

    const second = start();
    expect(second.query.source).toBe('snapshot');
    expect(query(second, { verdicts: ['ok'] }).count).toBe(6);
    await second.query.idle();
    expect(query(second, { verdicts: ['ok'] }).count).toBe(2);
  });

  it('is not written while another connection holds commits in the WAL, nor used', async () => {
    const first = start();
    await first.query.ready(DATASET, RUN);
    const other = openDatabase(file);
    try {
      other.pragma('wal_autocheckpoint = 0');
      first.query.setVerdicts([{ imageId: query(first).ids[4], verdict: 'unsure' }], () => RUN);
      stop(first);
      expect(existsSync(snapshotFile(file))).toBe(false);
    } finally {
      other.close();
    }
    const second = start();
    expect(second.query.source).toBeNull();
    await second.query.ready(DATASET, RUN);
    expect(query(second, { verdicts: ['unsure'] }).count).toBe(1);
  });

  it('is not written from columns another program outdated before the close', async () => {
    const first = start();
    await first.query.ready(DATASET, RUN);
    query(first);
    writeElsewhere("INSERT INTO reviews (image_id, verdict) SELECT id, 'label_error' FROM images WHERE id NOT IN (SELECT image_id FROM run_verdicts) LIMIT 2");
    stop(first);
    expect(existsSync(snapshotFile(file))).toBe(false);
    const second = start();
    await second.query.ready(DATASET, RUN);
    expect(query(second, { verdicts: ['label_error'] }).count).toBe(2);
  });

  it('is removed when damaged, and the dataset read from the library', async () => {
    await saveSnapshot();
    writeFileSync(snapshotFile(file), readFileSync(snapshotFile(file)).subarray(0, 100));

    const second = start();
    expect(second.query.source).toBeNull();
    expect(existsSync(snapshotFile(file))).toBe(false);
    await second.query.ready(DATASET, RUN);
    expect(query(second, { verdicts: ['ok'] }).count).toBe(2);
  });

  it('keeps the dataset list given at close while it is current, for the next start only', async () => {
    const first = start();
    await first.query.ready(DATASET, RUN);
    const listing = first.store.listDatasets();
    first.saveListingFrom(() => listing);
    stop(first);

    const second = start();
    expect(second.takeSavedListing()).toEqual(listing);
    expect(second.takeSavedListing()).toBeNull();
    // A list that is not current at close is not saved: the columns are.
    second.saveListingFrom(() => null);
    stop(second);
    const third = start();
    expect(third.query.source).toBe('snapshot');
    expect(third.takeSavedListing()).toBeNull();
    stop(third);
    writeElsewhere("UPDATE datasets SET name = 'renamed'");
    const fourth = start();
    expect(fourth.takeSavedListing()).toBeNull();
  });

  it('reads back what it wrote: every array (NaN and -1 included, each aligned after odd lengths), the score and the list', () => {
    const db = openDatabase(file);
    const columns = withOrders(db.transaction(() => readColumns(db, DATASET, RUN))());
    db.close();
    expect(columns.suspicion.every(Number.isNaN)).toBe(true);
    expect(columns.grp.every((g) => g === -1)).toBe(true);
    const snapshot = { columns, threshold: 0.25, listing: [] };
    expect(writeSnapshot(file, snapshot)).toBe(true);
    const back = readSnapshot(file, fileStamp(file))!;
    expect(back).toEqual(snapshot);
    expect(back.columns.prob).toBeInstanceOf(Float64Array);
    expect(back.columns.failed).toBeInstanceOf(Uint8Array);
    // Another stamp (the file changed): nothing, and the file is gone.
    expect(readSnapshot(file, { ...fileStamp(file)!, size: '1' })).toBeNull();
    expect(existsSync(snapshotFile(file))).toBe(false);
  });

  it('is used for a dataset of an odd number of photos, whose last array ends off the 8-byte boundary', async () => {
    writeElsewhere("INSERT INTO images (id, dataset_id, rel_path, size, mtime_ms, status) VALUES (7, 1, 'p6.jpg', 1, 1, 'done')");
    writeElsewhere('INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (1, 7, 0, 2, 0.75)');
    const first = start();
    await first.query.ready(DATASET, RUN);
    const before = shown(first);
    expect(before.count).toBe(7);
    stop(first);

    const second = start();
    expect(second.query.source).toBe('snapshot');
    expect(shown(second)).toEqual(before);
  });

  it('has a small dataset read right after the start, before the page asks, and reads it once', async () => {
    const library = start(1000);
    expect(library.query.source).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(library.query.source).toBe('library');
    expect(library.query.loads).toBe(1);
    expect(query(library, { verdicts: ['ok'] }).count).toBe(2);
    library.query.images(DATASET, RUN, EMPTY_FILTER, { key: 'confidence', descending: true });
    expect(library.query.loads).toBe(1);
  });

  it('never reads a large dataset on this thread to answer the first query in advance', async () => {
    await saveSnapshot();
    const second = start(1, 60_000);
    expect(second.query.source).toBe('snapshot');
    // Another program writes before the advance answer: the snapshot is outdated, and nothing is read here.
    writeElsewhere("UPDATE reviews SET note = 'x'");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(second.query.loads).toBe(1);
  });

  it('is saved by prepareGallery after a job (analyze, merge), with the list, and the next start uses both', async () => {
    expect(await prepareGallery(file, undefined, 1000)).toBe(false);
    expect(existsSync(snapshotFile(file))).toBe(false);
    expect(await prepareGallery(file, DATASET, 1)).toBe(true);
    const library = start();
    expect(library.query.source).toBe('snapshot');
    expect(library.takeSavedListing()).toEqual(listDatasetsNow(library));
    expect(query(library, { verdicts: ['ok'] }).count).toBe(2);
  });

  it('is written only for a dataset large enough to be read in the worker', () => {
    const library = start(1000);
    expect(query(library).count).toBe(6);
    stop(library);
    expect(existsSync(snapshotFile(file))).toBe(false);
  });
});
