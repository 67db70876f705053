/**
 * `queuectl doctor` on PostgreSQL: connectivity, the schema version, workers and held jobs, read
 * without migrating. There is no integrity check a client can run cheaply (pg_amcheck is a
 * server-side tool), so that one is reported as skipped.
 */
import { resolveSettings } from '../../core/config.js';
import { blankFacts, describeFailure, type StoreFacts } from '../inspect-store.js';
import { createPool, parsePostgresUrl } from './connection.js';
import { currentVersion, SCHEMA_VERSION } from './migrations.js';
import { postgresClassifier } from './postgres-errors.js';
import { PostgresJobStore } from './postgres-job-store.js';

export async function inspectPostgres(url: string): Promise<StoreFacts> {
  const target = parsePostgresUrl(url);
  const facts = blankFacts('postgres', target.location, SCHEMA_VERSION);
  facts.integrity = { check: 'none', result: 'skipped', problems: [], elapsedMs: 0 };
  const pool = createPool(target);
  try {
    facts.schemaVersion = await currentVersion(pool);
    if (facts.schemaVersion !== SCHEMA_VERSION) return facts;
    const store = new PostgresJobStore(pool, target, null);
    const settings = resolveSettings(await store.configGetAll());
    facts.leaseTimeoutMs = settings.leaseTimeoutMs;
    facts.workers = await store.workerList({ staleAfterMs: settings.leaseTimeoutMs });
    facts.held = await store.jobListHeld();
    facts.now = await store.now();
  } catch (error) {
    facts.openError = describeFailure(postgresClassifier(target.location)(error) ?? error);
  } finally {
    await pool.end().catch(() => {});
  }
  return facts;
}
