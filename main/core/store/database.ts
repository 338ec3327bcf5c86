// Opens a library database file and brings its schema up to date.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { migrations as allMigrations } from './migrations';

export type Db = Database.Database;

const statementCaches = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * db.prepare(sql), compiled once per connection and kept: compiling costs about 30 µs, and the import ran
 * several statements per image. For statements used as they are: pluck(), raw() or expand() would change
 * the kept statement for every other caller.
 */
export function prepared(db: Db, sql: string): Database.Statement {
  let cache = statementCaches.get(db);
  if (!cache) {
    cache = new Map();
    statementCaches.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/** The library holds the paths of every photo and the reviews: readable by its owner only. */
export const LIBRARY_FILE_MODE = 0o600;

export function openDatabase(file: string, migrations: readonly string[] = allMigrations): Db {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  ownerOnly(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // WAL makes NORMAL durable across application crashes; only a power cut can lose the last commit.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  try {
    migrate(db, migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Creates the file readable by its owner only, or makes an existing one so, whatever the umask says. SQLite gives
 * the -wal and -shm files it creates the database file's mode; those left by an older version are narrowed too.
 */
function ownerOnly(file: string): void {
  if (file === ':memory:') return;
  if (!existsSync(file)) closeSync(openSync(file, 'a', LIBRARY_FILE_MODE));
  for (const part of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(part)) chmodSync(part, LIBRARY_FILE_MODE);
}

/** Applies the migrations after the one recorded in `user_version`, each in its own transaction. */
export function migrate(db: Db, migrations: readonly string[]): void {
  const applied = db.pragma('user_version', { simple: true }) as number;
  if (applied > migrations.length) {
    throw new Error(
      `The library database is at schema version ${applied}, newer than this app knows (${migrations.length}). Update Sightline.`,
    );
  }
  for (let version = applied + 1; version <= migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version - 1]);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
