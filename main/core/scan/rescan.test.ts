// The scan only reads: on real photos it reports what is new, unchanged, touched, changed and gone against
// what the library knows, and leaves recording it to the import job.
import { cpSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import type { KnownFile } from '../base/scan-diff';
import { hashFile } from './hash';
import { scanFolder } from './rescan';

const samples = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-rescan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const noTruth = () => ({ trueLabel: null, trueIndex: null, trueLevel: null });

it('reports a diff against the known files without a store', async () => {
  for (const name of ['001_goldfish', '008_hen']) cpSync(path.join(samples, name), path.join(tmp, name), { recursive: true });
  const fish = '001_goldfish/gcompris_fish25.webp';
  const hen = '008_hen/gcompris_chicken.webp';

  const first = await scanFolder(tmp, new Map(), noTruth);
  expect(first.entries.map((e) => [e.kind, e.relPath]).sort()).toEqual([['added', fish], ['added', hen]]);
  expect(first.summary).toEqual({ added: 2, changed: 0, removed: 0, unchanged: 0 });

  const statOf = (rel: string) => statSync(path.join(tmp, rel));
  const known = new Map<string, KnownFile>([
    [fish, { id: 1, size: statOf(fish).size, mtimeMs: statOf(fish).mtimeMs, contentHash: await hashFile(path.join(tmp, fish)), removed: false }],
    [hen, { id: 2, size: statOf(hen).size, mtimeMs: statOf(hen).mtimeMs, contentHash: await hashFile(path.join(tmp, hen)), removed: false }],
    ['gone.jpg', { id: 3, size: 1, mtimeMs: 1, contentHash: 'x', removed: false }],
  ]);
  utimesSync(path.join(tmp, fish), new Date(), new Date(2000, 0, 1));
  writeFileSync(path.join(tmp, hen), Buffer.concat([Buffer.from(statOf(hen).size.toString()), Buffer.alloc(10)]));

  const again = await scanFolder(tmp, known, noTruth);
  expect(again.entries.map((e) => [e.kind, e.relPath, 'id' in e ? e.id : null]).sort()).toEqual([
    ['changed', hen, 2],
    ['touched', fish, 1],
  ]);
  expect(again.removedIds).toEqual([3]);
  expect(again.summary).toEqual({ added: 0, changed: 1, removed: 1, unchanged: 1 });
});
