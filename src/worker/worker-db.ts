/**
 * How a worker process learns its database: through the environment, never argv. Any user can
 * read another's argv (`ps`), while /proc/<pid>/environ is readable only by its owner, and a
 * PostgreSQL URL may hold a password. The worker removes the variable before it starts a job.
 */
export const WORKER_DB_VARIABLE = 'QUEUECTL_WORKER_DB';

/** Reads and removes the variable, so the jobs this worker starts do not inherit it. */
export function takeWorkerDb(): string | undefined {
  const location = process.env[WORKER_DB_VARIABLE];
  delete process.env[WORKER_DB_VARIABLE];
  return location || undefined;
}
