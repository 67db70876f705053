/** Picks and opens a store from a location: a file path (SQLite) or a postgres:// URL. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import type { JobStore } from './job-store.js';

export interface OpenStoreOptions {
  /** A path, `sqlite://path`, or `postgres://…`; defaults to QUEUECTL_DB, then the data directory. */
  db?: string;
  clock?: Clock;
  /** Sync every commit to disk (SQLite); the CLI uses it, workers do not need it. */
  durable?: boolean;
}

/** The user's data directory for queuectl (XDG): ~/.local/share/queuectl by default. */
export function dataDirectory(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'queuectl');
}

export function resolveLocation(db?: string): string {
  const location = db || process.env.QUEUECTL_DB || join(dataDirectory(), 'queuectl.db');
  if (isPostgresUrl(location)) return location;
  return resolve(location.replace(/^sqlite:\/\//, ''));
}

/**
 * A location as it may be shown: a URL's password is removed (`postgres://app@db/app`), also
 * from text that does not parse as a URL. Everything queuectl prints or logs goes through here.
 */
export function displayLocation(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const url = new URL(location);
    url.password = '';
    return url.toString();
  } catch {
    return hidePasswords(location);
  }
}

/** Removes the password of every `scheme://user:password@` in a text. */
export function hidePasswords(text: string): string {
  return text.replace(/(\w+:\/\/[^/:@\s]*):[^@/\s]*@/g, '$1@');
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

export async function openStore(options: OpenStoreOptions = {}): Promise<JobStore> {
  const location = resolveLocation(options.db);
  if (isPostgresUrl(location)) {
    const { openPostgresStore } = await import('./postgres/open-postgres-store.js');
    // Without an explicit clock PostgreSQL uses the database server's, so hosts agree on time.
    return openPostgresStore(location, { clock: options.clock });
  }
  const { openSqliteStore } = await import('./sqlite/sqlite-job-store.js');
  return openSqliteStore(location, options.clock ?? systemClock, {
    durable: options.durable ?? true,
  });
}
