// Free-form tags on images: add and remove on many images in one transaction, put whole tag sets back for an
// undo, and read an image's tags. A tag is one row in `tags` (unique regardless of case, spelled as first
// typed); a tag no image has any more is deleted, so the facet never lists empty tags.
import type { TagChange } from '../../../common/query';
import type { Db } from './database';

export class ImageTags {
  constructor(private readonly db: Db) {}

  /** Adds and removes these tags on each image; returns each image's tags from before. Unknown ids are skipped. */
  change(imageIds: readonly number[], add: readonly string[], remove: readonly string[]): TagChange[] {
    return this.db.transaction(() => {
      const previous = this.existing(imageIds);
      const known = previous.map((p) => p.imageId);
      const removeIds = remove.map((name) => this.tagId(name)).filter((tagId): tagId is number => tagId !== null);
      const addIds = add.map((name) => this.ensureTag(name));
      const unlink = this.db.prepare('DELETE FROM image_tags WHERE image_id = ? AND tag_id = ?');
      const link = this.db.prepare('INSERT OR IGNORE INTO image_tags (image_id, tag_id) VALUES (?, ?)');
      for (const imageId of known) {
        for (const tagId of removeIds) unlink.run(imageId, tagId);
        for (const tagId of addIds) link.run(imageId, tagId);
      }
      this.dropUnused();
      return previous;
    })();
  }

  /** Gives each image exactly these tags; returns the tags they had. Unknown ids are skipped. */
  restore(changes: readonly TagChange[]): TagChange[] {
    return this.db.transaction(() => {
      const previous = this.existing(changes.map((c) => c.imageId));
      const known = new Set(previous.map((p) => p.imageId));
      const clear = this.db.prepare('DELETE FROM image_tags WHERE image_id = ?');
      const link = this.db.prepare('INSERT OR IGNORE INTO image_tags (image_id, tag_id) VALUES (?, ?)');
      for (const change of changes) {
        if (!known.has(change.imageId)) continue;
        clear.run(change.imageId);
        for (const name of change.tags) link.run(change.imageId, this.ensureTag(name));
      }
      this.dropUnused();
      return previous;
    })();
  }

  /** Each image's tags, sorted by name; images without tags get an empty list. */
  of(imageIds: readonly number[]): Map<number, string[]> {
    const tags = new Map<number, string[]>(imageIds.map((id) => [id, []]));
    const rows = this.db
      .prepare(
        `SELECT it.image_id AS imageId, t.name FROM image_tags it JOIN tags t ON t.id = it.tag_id
         WHERE it.image_id IN (SELECT value FROM json_each(?)) ORDER BY t.name COLLATE NOCASE`,
      )
      .all(JSON.stringify(imageIds)) as { imageId: number; name: string }[];
    for (const row of rows) tags.get(row.imageId)?.push(row.name);
    return tags;
  }

  /** The known images among these ids, each with its tags now. */
  private existing(imageIds: readonly number[]): TagChange[] {
    const known = this.db
      .prepare('SELECT id FROM images WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id')
      .pluck()
      .all(JSON.stringify([...new Set(imageIds)])) as number[];
    const tags = this.of(known);
    return known.map((imageId) => ({ imageId, tags: tags.get(imageId) ?? [] }));
  }

  private tagId(name: string): number | null {
    return (this.db.prepare('SELECT id FROM tags WHERE name = ?').pluck().get(name) as number | undefined) ?? null;
  }

  private ensureTag(name: string): number {
    return this.tagId(name) ?? Number(this.db.prepare('INSERT INTO tags (name) VALUES (?)').run(name).lastInsertRowid);
  }

  private dropUnused(): void {
    this.db.prepare('DELETE FROM tags WHERE NOT EXISTS (SELECT 1 FROM image_tags it WHERE it.tag_id = tags.id)').run();
  }
}
