import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { walkImages } from './walk';

const root = mkdtempSync(path.join(os.tmpdir(), 'sightline-walk-'));
const outside = mkdtempSync(path.join(os.tmpdir(), 'sightline-walk-outside-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});
const photo = readFileSync(new URL('../../../resources/samples/281_tabby/gcompris_cat.webp', import.meta.url));

it('lists image files recursively, skipping hidden entries, other files and symbolic links', async () => {
  const files = ['b.JPG', 'a.png', '281_tabby/cat.webp', '281_tabby/deeper/kitten.jpeg', '.hidden.jpg', '.cache/x.jpg', 'notes.txt'];
  for (const rel of files) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), 'x'.repeat(rel.length));
  }
  // Found by its content, whatever its name says.
  writeFileSync(path.join(root, 'photo.download'), photo);
  writeFileSync(path.join(outside, 'elsewhere.jpg'), 'x');
  symlinkSync(outside, path.join(root, 'linked-folder'));
  symlinkSync(path.join(outside, 'elsewhere.jpg'), path.join(root, 'linked.jpg'));
  symlinkSync(root, path.join(root, '281_tabby', 'loop'));

  const found = await walkImages(root);
  expect(found.map((f) => f.relPath)).toEqual(['281_tabby/cat.webp', '281_tabby/deeper/kitten.jpeg', 'a.png', 'b.JPG', 'photo.download']);
  expect(found[2]).toMatchObject({ size: 'a.png'.length });
  expect(found[2].mtimeMs).toBeGreaterThan(0);
});

it('stops when aborted', async () => {
  const controller = new AbortController();
  controller.abort();
  await expect(walkImages(root, controller.signal)).rejects.toThrow(/abort/i);
});
