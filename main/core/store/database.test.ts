// Statements kept per connection: compiled once, per database, and working on a real file.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, prepared } from './database';

describe('prepared statements', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const open = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-db-'));
    dirs.push(dir);
    return openDatabase(path.join(dir, 'library.db'), ['CREATE TABLE t (x INTEGER)']);
  };

  it('compiles a statement once per connection and runs it each time', () => {
    const [first, second] = [open(), open()];
    const insert = prepared(first, 'INSERT INTO t (x) VALUES (?)');
    expect(prepared(first, 'INSERT INTO t (x) VALUES (?)')).toBe(insert);
    expect(prepared(second, 'INSERT INTO t (x) VALUES (?)')).not.toBe(insert);
    for (const x of [1, 2, 3]) prepared(first, 'INSERT INTO t (x) VALUES (?)').run(x);
    expect(prepared(first, 'SELECT SUM(x) AS total FROM t').get()).toEqual({ total: 6 });
    expect(prepared(second, 'SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 0 });
    first.close();
    second.close();
  });
});

describe('library file permissions', () => {
  it('creates the library, its WAL and shared-memory files readable by their owner only, whatever the umask', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-db-mode-'));
    const previous = process.umask(0o022);
    try {
      const file = path.join(dir, 'nested', 'library.db');
      const db = openDatabase(file, ['CREATE TABLE t (x INTEGER)']);
      db.prepare('INSERT INTO t (x) VALUES (1)').run();
      const mode = (f: string) => statSync(f).mode & 0o777;
      expect([mode(file), mode(`${file}-wal`), mode(`${file}-shm`), mode(path.dirname(file))]).toEqual([0o600, 0o600, 0o600, 0o700]);
      db.close();

      // A library made before, with the default mode, is narrowed when it is opened.
      const older = path.join(dir, 'older.db');
      writeFileSync(older, '');
      chmodSync(older, 0o644);
      openDatabase(older, []).close();
      expect(mode(older)).toBe(0o600);
    } finally {
      process.umask(previous);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
