/** Placeholder until the PostgreSQL store lands (issue 7): a clear message instead of a crash. */
import type { Clock } from '../../core/clock.js';
import type { JobStore } from '../job-store.js';

export async function openPostgresStore(
  _url: string,
  _options: { clock: Clock },
): Promise<JobStore> {
  throw new Error('PostgreSQL stores are not supported by this build yet; use a SQLite file path');
}
