// Each image's thumbnail: the JPEG the import made, kept in the library with the rest of its results.
import type { Db } from './database';

/** The image's thumbnail, null when it has none (not processed yet, or failed). */
export function thumbnailOf(db: Db, imageId: number): Buffer | null {
  const row = db.prepare('SELECT jpeg FROM thumbnails WHERE image_id = ?').get(imageId) as { jpeg: Buffer } | undefined;
  return row?.jpeg ?? null;
}
