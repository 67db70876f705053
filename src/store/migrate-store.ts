/**
 * Creates or upgrades a store's schema without doing anything else (`queuectl migrate`). Every
 * store also migrates itself on first use; this makes it an explicit deployment step.
 */
import { existsSync } from 'node:fs';
import { systemClock } from '../core/clock.js';
import { isPostgresUrl, resolveLocation } from './open-store.js';

export interface MigrateResult {
  kind: 'sqlite' | 'postgres';
  location: string;
  /** Schema version before (0: no schema yet) and after. */
  from: number;
  to: number;
}

export async function migrateStore(db?: string): Promise<MigrateResult> {
  const location = resolveLocation(db);
  if (isPostgresUrl(location)) {
    const { migratePostgres } = await import('./postgres/open-postgres-store.js');
    return { kind: 'postgres', ...(await migratePostgres(location)) };
  }
  const { default: Database } = await import('better-sqlite3');
  const { openSqliteStore } = await import('./sqlite/sqlite-job-store.js');
  const { sqliteClassifier } = await import('./sqlite/sqlite-errors.js');
  let from = 0;
  if (existsSync(location)) {
    try {
      const existing = new Database(location, { readonly: true, fileMustExist: true });
      from = existing.pragma('user_version', { simple: true }) as number;
      existing.close();
    } catch (error) {
      throw sqliteClassifier(location)(error) ?? error;
    }
  }
  const { SCHEMA_VERSION } = await import('./sqlite/open-database.js');
  await openSqliteStore(location, systemClock, { durable: true }).close();
  return { kind: 'sqlite', location, from, to: SCHEMA_VERSION };
}
