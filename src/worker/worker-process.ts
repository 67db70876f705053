/**
 * How the supervisor starts a worker process: which file, with which Node options, with what in
 * its environment.
 *
 * - The file: worker-entry.cjs, which runs the CommonJS bundle the build makes of worker-main.js
 *   (one file, no ES module loader) from V8's code cache (core/cached-require.cts); without the
 *   bundle (a checkout not built with it), worker-main.js itself.
 * - Node options: a 1 MiB young generation keeps a busy worker small (65 instead of 83 MiB) at no
 *   measurable cost in jobs/s now that jobs are not started by forking the worker. V8 flags are
 *   part of what a code cache is checked against, so the build warms the worker's cache with
 *   these same options (scripts/warm-code-cache.mjs).
 * - Its database: through the environment, never argv. Any user can read another's argv (`ps`),
 *   while /proc/<pid>/environ is readable only by its owner, and a PostgreSQL URL may hold a
 *   password. The worker removes the variable before it starts a job.
 * - Variables held back: NODE_EXTRA_CA_CERTS makes Node read and parse a certificate file before
 *   any JavaScript runs (~85 ms of every start where it names the system's bundle of ~150
 *   certificates, as many machines behind a proxy do), and a worker on SQLite opens no TLS
 *   connection. It starts without it; the value travels under another name and is put back
 *   before any job starts, so jobs and hooks inherit the environment unchanged. A worker on
 *   PostgreSQL keeps it: its connection may be TLS verified by those certificates.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPostgresUrl } from '../store/open-store.js';

/**
 * The file the supervisor forks. Spelled from the parent directory so that it resolves the same
 * from this module (dist/worker/) and from a bundle that includes it (dist/cli/).
 */
export function workerEntry(): string {
  const inWorker = (name: string) => fileURLToPath(new URL(`../worker/${name}`, import.meta.url));
  return inWorker(
    existsSync(inWorker('worker-main.bundle.cjs')) ? 'worker-entry.cjs' : 'worker-main.js',
  );
}

export const WORKER_NODE_OPTIONS = ['--max-semi-space-size=1'];

export const WORKER_DB_VARIABLE = 'QUEUECTL_WORKER_DB';

const HELD = ['NODE_EXTRA_CA_CERTS'] as const;
const HELD_PREFIX = 'QUEUECTL_HELD_';

/** The environment to start a worker process on `location` with. */
export function workerEnvironment(
  location: string,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, [WORKER_DB_VARIABLE]: location };
  if (isPostgresUrl(location)) return env;
  for (const name of HELD) {
    if (env[name] === undefined) continue;
    env[`${HELD_PREFIX}${name}`] = env[name];
    delete env[name];
  }
  return env;
}

/**
 * In the worker: reads and removes the database variable, so the jobs this worker starts do not
 * inherit it, and puts the held variables back under their own names.
 */
export function takeWorkerDb(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const location = env[WORKER_DB_VARIABLE];
  delete env[WORKER_DB_VARIABLE];
  for (const name of HELD) {
    const held = `${HELD_PREFIX}${name}`;
    if (env[held] === undefined) continue;
    env[name] = env[held];
    delete env[held];
  }
  return location || undefined;
}
