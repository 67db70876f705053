/**
 * Which SQLite errors mean the database file itself is unusable. Everything else (SQLITE_BUSY
 * after the busy timeout, SQLITE_LOCKED, constraint violations) is left as it is: the worker
 * retries those as before, and the CLI reports them.
 */
import { StoreBrokenError } from '../../core/errors.js';
import type { BrokenClassifier } from '../broken-store.js';

/** Extended result codes by prefix, the most specific first; each completes "the database X …". */
const BROKEN: readonly (readonly [prefix: string, problem: string])[] = [
  ['SQLITE_CORRUPT', 'is corrupt'],
  ['SQLITE_NOTADB', 'is not a SQLite database'],
  ['SQLITE_IOERR_NOMEM', ''], // out of memory, not the file's fault
  ['SQLITE_IOERR', 'could not be read or written'],
  ['SQLITE_CANTOPEN', 'cannot be opened: check that it and its directory exist and are yours'],
  ['SQLITE_READONLY_DBMOVED', 'was deleted or replaced while in use'],
  ['SQLITE_READONLY', 'is read-only: check the permissions of the file and its directory'],
  ['SQLITE_FULL', 'cannot grow: the disk is full'],
];

/** The problem a SQLite result code names, or null when the code is not about a broken file. */
export function sqliteProblem(code: string): string | null {
  for (const [prefix, problem] of BROKEN) {
    if (code === prefix || code.startsWith(`${prefix}_`)) return problem || null;
  }
  return null;
}

export function sqliteClassifier(location: string): BrokenClassifier {
  return (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
    const problem = sqliteProblem(code);
    return problem ? new StoreBrokenError(location, code, problem, (error as Error).message) : null;
  };
}
