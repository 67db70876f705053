/**
 * How the supervisor starts a worker process: which file, with which Node options, with what in
 * its environment.
 *
 * - The file: worker-entry.cjs, which runs the CommonJS bundle the build makes of worker-main.js
 *   (one file, no ES module loader) from V8's code cache (core/cached-require.cts); without the
 *   bundle (a checkout not built with it), worker-main.js itself.
 * - Node options: none. Any V8 flag costs each worker ~15 ms of its start (Node then cannot use
 *   the code cache of its own built-in modules), so the young generation that --max-semi-space-size
 *   kept small is kept small by the worker itself once running (worker-main.ts). V8 flags are also part of
 *   what a code cache is checked against, so the build warms the worker's cache with these same
 *   options (scripts/warm-code-cache.mjs), whatever they are.
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
import { holdVariables, restoreHeldVariables } from './early-worker.cjs';

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

export { WORKER_NODE_OPTIONS } from './early-worker.cjs';

/** A V8 flag a worker sets once running, and what sets it back to V8's default. */
export interface RuntimeFlag {
  set: string;
  reset: readonly string[];
  /** false: not set in a --verbose worker. */
  inVerbose?: boolean;
}

/**
 * The V8 flags a worker sets once running (worker-main.ts favourMemory says why). V8 stamps a code
 * cache with the flags of the moment it is made, so the build's warm-up (scripts/warm-code-cache.mjs)
 * runs a worker, then applies every `reset` before writing the worker's cache.
 */
export const WORKER_RUNTIME_FLAGS: readonly RuntimeFlag[] = [
  { set: '--semi-space-growth-factor=1', reset: ['--semi-space-growth-factor=2'] },
  { set: '--always-sparkplug', reset: ['--no-always-sparkplug'] },
  { set: '--no-opt', reset: ['--opt'], inVerbose: false },
];

export const WORKER_DB_VARIABLE = 'QUEUECTL_WORKER_DB';

/** The environment to start a worker process on `location` with. */
export function workerEnvironment(
  location: string,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, [WORKER_DB_VARIABLE]: location };
  return isPostgresUrl(location) ? env : holdVariables(env);
}

/**
 * In the worker: reads and removes the database variable, so the jobs this worker starts do not
 * inherit it, and puts the held variables back under their own names. A worker forked early
 * (early-worker.cts) has no database variable: its go message names the database.
 */
export function takeWorkerDb(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const location = env[WORKER_DB_VARIABLE];
  delete env[WORKER_DB_VARIABLE];
  restoreHeldVariables(env);
  return location || undefined;
}
