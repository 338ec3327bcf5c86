// The reviewer's verdicts and note on each image. A verdict on a map ("OK", "Misattended", "Unsure") belongs to the
// run whose map it judges (run_verdicts); "Label error", a verdict given while the dataset had no run, the note and
// the expected box belong to the photo (reviews) and show under every run (migration 11).
import type { Verdict } from '../../../common/types';
import { type Db, prepared } from './database';

/**
 * Joins each image `i` (and its review `r`) to its verdict under the run (an SQL expression: a bound name or a
 * column); VERDICT_UNDER_RUN is then the verdict the image shows under that run.
 */
export const runVerdictJoin = (run: string): string => `LEFT JOIN run_verdicts v ON v.run_id = ${run} AND v.image_id = i.id`;
/** The photo's verdict wins: a label error (or one given without a run) over the run's judgement of its map. */
export const VERDICT_UNDER_RUN = 'COALESCE(r.verdict, v.verdict)';

/** The verdict that judges the photo rather than one run's map. */
const PHOTO_VERDICT: Verdict = 'label_error';

/** Sets an image's verdict under a run (none: the dataset has no run) and its note; false when the image is unknown. */
export function setReview(db: Db, imageId: number, runId: number | null, verdict: Verdict | null, note: string): boolean {
  if (!db.prepare('SELECT 1 FROM images WHERE id = ?').get(imageId)) return false;
  db.transaction(() => {
    db.prepare(
      `INSERT INTO reviews (image_id, note) VALUES (?, ?)
       ON CONFLICT (image_id) DO UPDATE SET note = excluded.note, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    ).run(imageId, note);
    setVerdict(db, imageId, runId, verdict);
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

/**
 * Makes `verdict` the one the image shows under the run. A label error is the photo's (every run shows it, and the
 * runs' own verdicts wait behind it); another verdict, or none, is the run's, and replaces a label error, which
 * the person has just judged wrong. Without a run (a dataset never analysed), the verdict is the photo's.
 */
export function setVerdict(db: Db, imageId: number, runId: number | null, verdict: Verdict | null): void {
  const setPhoto = prepared(
    db,
    `INSERT INTO reviews (image_id, verdict) VALUES (?, ?)
     ON CONFLICT (image_id) DO UPDATE SET verdict = excluded.verdict, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  );
  if (runId === null || verdict === PHOTO_VERDICT) {
    setPhoto.run(imageId, verdict);
    return;
  }
  const photo = (prepared(db, 'SELECT verdict FROM reviews WHERE image_id = ?').get(imageId) as { verdict: Verdict | null } | undefined)?.verdict;
  if (photo && photo !== PHOTO_VERDICT) {
    // Given before the dataset had a run: it showed under every run, and still does under the others.
    prepared(
      db,
      `INSERT OR IGNORE INTO run_verdicts (run_id, image_id, verdict)
       SELECT ru.id, i.id, ? FROM images i JOIN runs ru ON ru.dataset_id = i.dataset_id WHERE i.id = ?`,
    ).run(photo, imageId);
  }
  if (photo) setPhoto.run(imageId, null);
  if (verdict === null) {
    prepared(db, 'DELETE FROM run_verdicts WHERE run_id = ? AND image_id = ?').run(runId, imageId);
  } else {
    prepared(
      db,
      `INSERT INTO run_verdicts (run_id, image_id, verdict) VALUES (?, ?, ?)
       ON CONFLICT (run_id, image_id) DO UPDATE SET verdict = excluded.verdict, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    ).run(runId, imageId, verdict);
  }
}
