/** `queuectl migrate`: create or upgrade the database schema (SQLite or PostgreSQL) and say so. */
import { migrateStore, type MigrateResult } from '../../store/migrate-store.js';

export async function migrate(db: string | undefined): Promise<MigrateResult> {
  return migrateStore(db);
}

export function renderMigrate(result: MigrateResult): string {
  if (result.from === result.to) {
    return `${result.location}: schema is up to date (version ${result.to})`;
  }
  return `${result.location}: schema migrated from version ${result.from} to ${result.to}`;
}
