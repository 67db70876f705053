/** Integrity checks of a database, whichever store it is. */
import { isPostgresUrl } from './open-store.js';

/** The verdict of an integrity check. */
export interface IntegrityVerdict {
  /** What ran: SQLite's `quick_check` or `integrity_check`; `none` on PostgreSQL. */
  check: 'quick_check' | 'integrity_check' | 'none';
  /**
   * ok / problems: the check finished. timeout: it did not finish in the time allowed.
   * unreadable: the database could not be opened for it. skipped: the store has no such check.
   */
  result: 'ok' | 'problems' | 'timeout' | 'unreadable' | 'skipped';
  /** The first problems reported (problems), or the error (unreadable). */
  problems: string[];
  elapsedMs: number;
}

export interface IntegrityOptions {
  /** SQLite: integrity_check (also compares every index with its table) instead of quick_check. */
  full?: boolean;
  /** Give up after this long (the verdict is then `timeout`); unbounded when absent. */
  timeoutMs?: number;
  /** Stop after this many problems. */
  maxProblems?: number;
}

/**
 * Checks a database's integrity on a fresh connection of its own (the caller's may be broken).
 * PostgreSQL has no equivalent a client can run cheaply (pg_amcheck is a server tool): skipped.
 */
export async function checkIntegrity(
  location: string,
  options: IntegrityOptions = {},
): Promise<IntegrityVerdict> {
  if (isPostgresUrl(location)) {
    return { check: 'none', result: 'skipped', problems: [], elapsedMs: 0 };
  }
  const { checkSqliteIntegrity } = await import('./sqlite/integrity-check.js');
  return checkSqliteIntegrity(location, options);
}
