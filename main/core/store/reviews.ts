// The reviewer's verdicts and note on each image. A verdict on a map ("OK", "Misattended", "Unsure") belongs to the
// run whose map it judges (run_verdicts); "Label error", a verdict given while the dataset had no run, the note and
// the expected box belong to the photo (reviews). A run shows its own verdict, else the photo's (migration 11).
import type { Verdict } from '../../../common/types';
import { type Db, prepared } from './database';

/**
 * Joins each image `i` (and its review `r`) to its verdict under the run (an SQL expression: a bound name or a
 * column); VERDICT_UNDER_RUN is then the verdict the image shows under that run.
 */
export const runVerdictJoin = (run: string): string => `LEFT JOIN run_verdicts v ON v.run_id = ${run} AND v.image_id = i.id`;
/**
 * The run's own verdict on its map, else the photo's (a label error): a label error found on one model's map shows
 * in every run whose map has no verdict yet, and a verdict on one run's map never takes it from the others.
 */
export const VERDICT_UNDER_RUN = 'COALESCE(v.verdict, r.verdict)';

/** The verdict that judges the photo rather than one run's map. */
const PHOTO_VERDICT: Verdict = 'label_error';

/** What is stored behind the verdict an image shows under a run: the run's own verdict and the photo's. */
export interface StoredVerdicts {
  run: Verdict | null;
  photo: Verdict | null;
}

/**
 * Sets an image's note, and its verdict under a run (none: the dataset has no run) unless `verdict` is left out (the
 * note alone); false when the image is unknown.
 */
export function setReview(db: Db, imageId: number, runId: number | null, verdict: Verdict | null | undefined, note: string): boolean {
  if (!db.prepare('SELECT 1 FROM images WHERE id = ?').get(imageId)) return false;
  db.transaction(() => {
    db.prepare(
      `INSERT INTO reviews (image_id, note) VALUES (?, ?)
       ON CONFLICT (image_id) DO UPDATE SET note = excluded.note, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    ).run(imageId, note);
    if (verdict !== undefined && verdictUnder(db, imageId, runId) !== verdict) setVerdict(db, imageId, runId, verdict);
  })();
  return true;
}

/** The verdict the image shows under the run (none: the dataset has no run); undefined for an unknown image. */
export function verdictUnder(db: Db, imageId: number, runId: number | null): Verdict | null | undefined {
  const row = prepared(
    db,
    `SELECT ${VERDICT_UNDER_RUN} AS verdict FROM images i LEFT JOIN reviews r ON r.image_id = i.id ${runVerdictJoin('?')} WHERE i.id = ?`,
  ).get(runId, imageId) as { verdict: Verdict | null } | undefined;
  return row ? row.verdict : undefined;
}

/** The run's own verdict and the photo's (the image shows the first that is set), for an undo that puts both back. */
function storedVerdicts(db: Db, imageId: number, runId: number | null): StoredVerdicts {
  const photo = prepared(db, 'SELECT verdict FROM reviews WHERE image_id = ?').get(imageId) as { verdict: Verdict | null } | undefined;
  const run = runId === null ? undefined : (prepared(db, 'SELECT verdict FROM run_verdicts WHERE run_id = ? AND image_id = ?').get(runId, imageId) as { verdict: Verdict } | undefined);
  return { run: run?.verdict ?? null, photo: photo?.verdict ?? null };
}

/**
 * Makes `verdict` the one the image shows under the run, as a person choosing it there means it:
 * - a label error is the photo's, and replaces this run's own verdict (other runs keep theirs);
 * - OK, Misattended or Unsure is this run's own, and leaves the photo's label error to the other runs;
 * - none clears what the run shows: its own verdict, else the photo's label error.
 * Without a run (a dataset never analysed) the verdict is the photo's. `exact` instead puts back both stored
 * verdicts as this returned them before (an undo). Returns what was stored before.
 */
export function setVerdict(db: Db, imageId: number, runId: number | null, verdict: Verdict | null, exact?: StoredVerdicts): StoredVerdicts {
  const before = storedVerdicts(db, imageId, runId);
  const setPhoto = prepared(
    db,
    `INSERT INTO reviews (image_id, verdict) VALUES (?, ?)
     ON CONFLICT (image_id) DO UPDATE SET verdict = excluded.verdict, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  );
  if (runId === null) {
    setPhoto.run(imageId, exact ? exact.photo : verdict);
    return before;
  }
  const setRun = (value: Verdict | null): void => {
    if (value === null) prepared(db, 'DELETE FROM run_verdicts WHERE run_id = ? AND image_id = ?').run(runId, imageId);
    else
      prepared(
        db,
        `INSERT INTO run_verdicts (run_id, image_id, verdict) VALUES (?, ?, ?)
         ON CONFLICT (run_id, image_id) DO UPDATE SET verdict = excluded.verdict, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      ).run(runId, imageId, value);
  };
  if (exact) {
    setPhoto.run(imageId, exact.photo);
    setRun(exact.run === PHOTO_VERDICT ? null : exact.run);
    return before;
  }
  const stored = { ...before };
  if (stored.photo !== null && stored.photo !== PHOTO_VERDICT) {
    // Given before the dataset had a run: each run keeps it as its own, as each showed it.
    prepared(
      db,
      `INSERT OR IGNORE INTO run_verdicts (run_id, image_id, verdict)
       SELECT ru.id, i.id, ? FROM images i JOIN runs ru ON ru.dataset_id = i.dataset_id WHERE i.id = ?`,
    ).run(stored.photo, imageId);
    setPhoto.run(imageId, null);
    stored.run ??= stored.photo;
    stored.photo = null;
  }
  if (verdict === PHOTO_VERDICT) {
    setPhoto.run(imageId, PHOTO_VERDICT);
    setRun(null);
  } else if (verdict !== null) {
    setRun(verdict);
  } else if (stored.run !== null) {
    setRun(null);
  } else {
    setPhoto.run(imageId, null);
  }
  return before;
}
