/** Temporary directories, stores, big databases and running workers for the benchmark. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../dist/store/open-store.js';
import { CLI, cliEnv, exited } from './processes.mjs';
import { waitFor } from './measure.mjs';

/** A fresh directory that `cleanup()` removes; `db` is a database path inside it. */
export function tempPlace(name) {
  const dir = mkdtempSync(join(tmpdir(), `queuectl-bench-${name}-`));
  return {
    dir,
    db: join(dir, 'queue.db'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Opens the real store (migrations included); `durable` as the CLI (true) or a worker (false). */
export function openBenchStore(db, durable = true) {
  return openStore({ db, durable });
}

/** `count` jobs running `command`, with ids `${prefix}-1…`. */
export function jobs(count, command = 'true', prefix = 'job') {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i + 1}`,
    command,
    priority: 0,
    max_retries: 0,
    timeout_seconds: null,
    run_at: null,
    cwd: null,
    env: null,
    queue: 'default',
    unique_key: null,
    after: [],
  }));
}

/**
 * Builds a database with `completed` finished jobs (each with its attempt record) and `pending`
 * jobs, fast: the schema comes from the real store's migrations, the rows from one transaction
 * of set-based inserts. With `queues` (a number), job n goes to queue `q<n % queues>`; the first
 * `paused` queues are paused and the next `limited` ones have a concurrency limit of 2.
 */
export async function buildJobsDatabase(
  db,
  { completed, pending, queues = 0, paused = 0, limited = 0 },
) {
  const store = await openBenchStore(db, false);
  await store.close();
  const raw = new Database(db);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = OFF');
  const base = Date.now() - 86_400_000;
  const series = 'WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count)';
  const queueOf = queues ? `printf('q%02d', n % ${queues})` : `'default'`;
  raw.transaction(() => {
    for (let q = 0; q < queues; q++) {
      const name = `q${String(q).padStart(2, '0')}`;
      raw
        .prepare('INSERT INTO queues (name, paused, concurrency) VALUES (?, ?, ?)')
        .run(name, q < paused ? 1 : 0, q >= paused && q < paused + limited ? 2 : null);
    }
    raw
      .prepare(
        `${series} INSERT INTO jobs (id, command, state, attempts, runs, max_retries, run_at,
           created_at, updated_at, started_at, finished_at, last_exit_code, queue)
         SELECT 'done-' || n, 'echo ' || n, 'completed', 1, 1, 3, :base + n, :base + n,
           :base + n + 5, :base + n + 1, :base + n + 5, 0, ${queueOf} FROM s`,
      )
      .run({ count: completed, base });
    raw
      .prepare(
        `${series} INSERT INTO attempts (job_id, attempt, worker_id, host, pid, started_at,
           finished_at, exit_code, outcome, queue)
         SELECT 'done-' || n, 1, 'w-gone', 'bench', 1, :base + n + 1, :base + n + 5, 0, 'completed',
           ${queueOf}
         FROM s`,
      )
      .run({ count: completed, base });
    raw
      .prepare(
        `${series} INSERT INTO jobs (id, command, state, max_retries, run_at, created_at, updated_at, queue)
         SELECT 'todo-' || n, 'true', 'pending', 3, :base, :base, :base, ${queueOf} FROM s`,
      )
      .run({ count: pending, base });
  })();
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.close();
}

/**
 * Starts `queuectl worker start --count N [--concurrency M]` (with `env` added to its
 * environment) and waits until all N workers are registered.
 * `stop()` stops them gracefully and waits for the supervisor to exit.
 */
export async function startWorkers(home, db, count, store, env = {}, concurrency = 1) {
  const slots = concurrency === 1 ? [] : ['--concurrency', String(concurrency)];
  const child = spawn(
    process.execPath,
    [CLI, 'worker', 'start', '--count', String(count), ...slots, '--quiet', '--db', db],
    {
      env: cliEnv(home, env),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const workers = await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`worker start exited: ${stderr.trim()}`);
      const list = await store.workerList({ staleAfterMs: 60_000 });
      return list.length === count && list;
    },
    { what: `${count} workers to register` },
  );
  return {
    pids: workers.map((worker) => worker.pid),
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}
