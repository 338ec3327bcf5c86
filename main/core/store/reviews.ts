// The reviewer's verdict and note on each image.
import type { Verdict } from '../../../common/types';
import type { Db } from './database';

/** Sets an image's verdict and note; false when the image is unknown. */
export function setReview(db: Db, imageId: number, verdict: Verdict | null, note: string): boolean {
  const known = db.prepare('SELECT 1 FROM images WHERE id = ?').get(imageId);
  if (!known) return false;
  db.prepare(
    `INSERT INTO reviews (image_id, verdict, note) VALUES (?, ?, ?)
     ON CONFLICT (image_id) DO UPDATE SET verdict = excluded.verdict, note = excluded.note,
       updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  ).run(imageId, verdict, note);
  return true;
}
