/** `queuectl migrate`: create or upgrade the database schema (SQLite or PostgreSQL) and say so. */
import { migrateStore, type MigrateResult } from '../../store/migrate-store.js';
import type { DataCommand } from '../command-spec.js';

export const migrateCommand: DataCommand<MigrateResult> = {
  kind: 'data',
  run: ({ opts }) => migrateStore(opts.db),
  render: (result) => renderMigrate(result),
};

export function renderMigrate(result: MigrateResult): string {
  if (result.from === result.to) {
    return `${result.location}: schema is up to date (version ${result.to})`;
  }
  return `${result.location}: schema migrated from version ${result.from} to ${result.to}`;
}
