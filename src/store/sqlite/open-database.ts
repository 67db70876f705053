/** Opens a SQLite file the way every queuectl process needs it: private, WAL, migrated. */
import type Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { StoreBrokenError, ValidationError } from '../../core/errors.js';
import { dataDirectory } from '../open-store.js';
import { tightenDirectory } from '../private-directory.js';
import { MIGRATIONS } from './migrations.js';

export interface OpenOptions {
  /**
   * true: every commit is synced to disk before it returns (synchronous=FULL), so an acknowledged
   * enqueue survives power loss. false: commits reach the OS but are synced only at checkpoints
   * (synchronous=NORMAL); a power loss may roll back the latest state changes, never corrupt,
   * and the worst outcome of that is a job run again.
   */
  durable: boolean;
}

/** Long enough that contention never surfaces as "database is locked". */
const BUSY_TIMEOUT_MS = 60_000;

/**
 * better-sqlite3 is CommonJS: loading it with require() skips the ESM loader's translation and
 * export scanning of its files, a few milliseconds of every `queuectl enqueue`.
 */
const require = createRequire(import.meta.url);
const BetterSqlite3 = require('better-sqlite3') as typeof Database;

/**
 * Where node-gyp (and prebuild-install) put the addon. Naming it spares better-sqlite3's
 * `bindings` lookup, which tries a dozen paths (~1.5 ms of every enqueue); elsewhere, the lookup.
 */
const addonPath = join(
  dirname(require.resolve('better-sqlite3/package.json')),
  'build',
  'Release',
  'better_sqlite3.node',
);
const nativeBinding = existsSync(addonPath) ? addonPath : undefined;

export function openDatabase(path: string, options: OpenOptions): Database.Database {
  if (path !== ':memory:') {
    const dir = dirname(path);
    // The data directory is queuectl's own, so one left looser than 0700 is tightened; any other
    // directory holding a --db file is the user's, made 0700 if missing but otherwise left alone.
    if (dir === dataDirectory()) tightenDirectory(dir);
    else mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Create the file readable only by its owner; SQLite gives the WAL and SHM the same mode.
    try {
      closeSync(openSync(path, 'a', 0o600));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EISDIR') {
        throw new ValidationError(
          `${path} is a directory, not a database file; name a file with --db or QUEUECTL_DB`,
        );
      }
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new StoreBrokenError(
          path,
          code,
          'cannot be written by this user: check the permissions of the file and its directory',
          (error as Error).message.replace(`${code}: `, ''),
        );
      }
      throw error;
    }
  }
  const db = new BetterSqlite3(path, { nativeBinding });
  // better-sqlite3 defaults to a 16 MiB page cache per database (main, and temp for staging);
  // 4 MiB each keeps a million-line enqueue and every worker lean at no measurable cost. The
  // settings go in one exec: each pragma() is a statement prepared and run of its own.
  db.exec(
    `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA synchronous = ${options.durable ? 'FULL' : 'NORMAL'};` +
      ' PRAGMA cache_size = -4000; PRAGMA temp.cache_size = -4000',
  );
  const version = db.pragma('user_version', { simple: true }) as number;
  // A new database gives deleted jobs' pages back to the file system (the cleaner runs
  // incremental_vacuum after deleting); this can only be chosen before the first table exists.
  if (version === 0) db.pragma('auto_vacuum = INCREMENTAL');
  if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
  if (version !== SCHEMA_VERSION) migrate(db);
  return db;
}

/**
 * Whether a connection that must change nothing (doctor, integrity checks) opens the file
 * read-only. SQLite creates the `-wal` and `-shm` of a WAL database for any connection and leaves
 * them behind after a read-only one; so when they do not exist yet, such a connection opens
 * read-write (and sets query_only) and SQLite removes them again when it closes.
 */
export function inspectReadOnly(path: string): boolean {
  return existsSync(`${path}-wal`);
}

/** A connection for looking only: never creates the database, never migrates, never writes. */
export function openForInspection(path: string): Database.Database {
  const db = new BetterSqlite3(path, {
    nativeBinding,
    readonly: inspectReadOnly(path),
    fileMustExist: true,
  });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('query_only = ON');
  return db;
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings an older (or new) database to SCHEMA_VERSION. */
function migrate(db: Database.Database): void {
  // IMMEDIATE: when many workers start at once, one migrates and the others wait, then see it done.
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `the database was written by a newer queuectl (schema ${current}, this one knows ${SCHEMA_VERSION}); upgrade queuectl`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version > current) db.exec(migration.sql);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
