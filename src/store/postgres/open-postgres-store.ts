/**
 * Opens a PostgreSQL store from a postgres:// URL (`?schema=name` picks the schema, default
 * `queuectl`), creating or upgrading its schema first. Without a clock the store uses the
 * database server's; a clock (tests) replaces it in every statement.
 */
import type { Clock } from '../../core/clock.js';
import { withBrokenErrors } from '../broken-store.js';
import { createPool, parsePostgresUrl } from './connection.js';
import { migrate } from './migrations.js';
import { postgresClassifier } from './postgres-errors.js';
import { PostgresJobStore } from './postgres-job-store.js';

export async function openPostgresStore(
  url: string,
  options: { clock?: Clock } = {},
): Promise<PostgresJobStore> {
  const target = parsePostgresUrl(url);
  const classify = postgresClassifier(target.location);
  const pool = createPool(target);
  try {
    await migrate(pool, target.schema);
  } catch (error) {
    await pool.end();
    throw classify(error) ?? error;
  }
  // Errors meaning a broken database (corruption, disk full) become StoreBrokenError.
  return withBrokenErrors(new PostgresJobStore(pool, target, options.clock ?? null), classify);
}

/** `queuectl migrate` on PostgreSQL: the schema versions before and after. */
export async function migratePostgres(
  url: string,
): Promise<{ location: string; from: number; to: number }> {
  const target = parsePostgresUrl(url);
  const pool = createPool(target);
  try {
    return { location: target.location, ...(await migrate(pool, target.schema)) };
  } finally {
    await pool.end();
  }
}
