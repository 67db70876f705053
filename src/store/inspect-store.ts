/**
 * What `queuectl doctor` needs to know about a database, gathered without changing anything: no
 * file is created, nothing is migrated or written. Decisions about the facts are core's
 * (core/doctor.ts).
 */
import type { WorkerInfo } from '../core/job.js';
import type { FileFacts } from './file-facts.js';
import type { IntegrityVerdict } from './integrity.js';
import type { HeldJob } from './job-store.js';
import { isPostgresUrl, resolveLocation } from './open-store.js';

export interface StoreFacts {
  kind: 'sqlite' | 'postgres';
  /** The file, or the URL without its password. */
  location: string;
  /** SQLite: the database file, its `-wal` and `-shm`, and its directory. */
  files: { role: 'database' | 'wal' | 'shm' | 'directory'; facts: FileFacts }[];
  /** SQLite: processes that still have the database or its -wal open although it was deleted. */
  deletedHolders: { pid: number; path: string }[];
  /** SQLite: what the file's first bytes say it is. */
  format: 'sqlite' | 'empty' | 'not-sqlite' | null;
  /** The database could not be opened or read: the error (StoreBrokenError's text when it is one). */
  openError: { code: string; message: string } | null;
  /** Workers, held jobs or settings could not be read (a damaged table, usually). */
  readError: { code: string; message: string } | null;
  /** The schema version found (0: none), and the one this queuectl writes. */
  schemaVersion: number | null;
  knownVersion: number;
  /** SQLite without a queuectl schema: the tables that are there instead. */
  otherTables: string[];
  integrity: IntegrityVerdict | null;
  /** Read only when the schema is this queuectl's. */
  workers: (WorkerInfo & { stale: boolean })[] | null;
  held: HeldJob[] | null;
  leaseTimeoutMs: number | null;
  /** The store's clock (the server's for PostgreSQL). */
  now: number | null;
}

export interface InspectOptions {
  /** SQLite: PRAGMA integrity_check instead of quick_check. */
  full?: boolean;
}

export async function inspectStore(
  db: string | undefined,
  options: InspectOptions = {},
): Promise<StoreFacts> {
  const location = resolveLocation(db);
  if (isPostgresUrl(location)) {
    const { inspectPostgres } = await import('./postgres/inspect-postgres.js');
    return inspectPostgres(location);
  }
  const { inspectSqlite } = await import('./sqlite/inspect-sqlite.js');
  return inspectSqlite(location, options);
}

/** Facts with nothing known yet beyond the location. */
export function blankFacts(
  kind: StoreFacts['kind'],
  location: string,
  knownVersion: number,
): StoreFacts {
  return {
    kind,
    location,
    files: [],
    deletedHolders: [],
    format: null,
    openError: null,
    readError: null,
    schemaVersion: null,
    knownVersion,
    otherTables: [],
    integrity: null,
    workers: null,
    held: null,
    leaseTimeoutMs: null,
    now: null,
  };
}

/** An error as doctor shows it: the StoreBrokenError or driver code, and the message. */
export function describeFailure(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : 'ERROR', message: (error as Error).message };
}
