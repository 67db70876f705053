/**
 * How the supervisor starts a worker process: the environment it gets (database, held-back
 * variables) and a worker started held, which touches nothing until it is told to go.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  takeWorkerDb,
  WORKER_DB_VARIABLE,
  workerEnvironment,
} from '../../src/worker/worker-process.js';
import { collect, sandbox } from '../helpers/cli-sandbox.js';
import { newJob } from '../helpers/job-factory.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openTracked } from '../helpers/workers.js';
import { exitOf, messageOf } from '../helpers/worker-child.js';

const CERTS = 'NODE_EXTRA_CA_CERTS';

describe('workerEnvironment and takeWorkerDb', () => {
  it('hands a SQLite worker its database and holds NODE_EXTRA_CA_CERTS back until it is taken', () => {
    const env = workerEnvironment('/data/q.db', { PATH: '/bin', [CERTS]: '/etc/certs.pem' });
    expect(env[CERTS]).toBeUndefined(); // Node would read and parse it before the worker runs
    expect(env[WORKER_DB_VARIABLE]).toBe('/data/q.db');
    expect(takeWorkerDb(env)).toBe('/data/q.db');
    // What the worker's jobs inherit is what the supervisor had.
    expect(env).toEqual({ PATH: '/bin', [CERTS]: '/etc/certs.pem' });
  });

  it('leaves NODE_EXTRA_CA_CERTS to a PostgreSQL worker, whose connection may need it', () => {
    const url = 'postgres://u@db/app';
    const env = workerEnvironment(url, { [CERTS]: '/etc/certs.pem' });
    expect(env[CERTS]).toBe('/etc/certs.pem');
    expect(takeWorkerDb(env)).toBe(url);
    expect(env).toEqual({ [CERTS]: '/etc/certs.pem' });
  });

  it('puts back only what it held, not a look-alike variable from outside', () => {
    const env = workerEnvironment('q.db', { QUEUECTL_HELD_NODE_EXTRA_CA_CERTS: '/evil.pem' });
    takeWorkerDb(env);
    expect(env).toEqual({});
  });

  it('changes nothing else, and copes with nothing to hold', () => {
    const base = { PATH: '/bin', EMPTY: '' };
    const env = workerEnvironment('q.db', base);
    expect(base).toEqual({ PATH: '/bin', EMPTY: '' });
    takeWorkerDb(env);
    expect(env).toEqual(base);
  });
});

describe('a job run by a SQLite worker', () => {
  it('inherits NODE_EXTRA_CA_CERTS, though its worker started without it', async () => {
    const s = sandbox();
    const certs = existsSync('/etc/ssl/certs/ca-certificates.crt')
      ? '/etc/ssl/certs/ca-certificates.crt'
      : join(s.home, 'none.pem');
    if (!existsSync(certs)) writeFileSync(certs, '');
    const seen = join(s.home, 'seen');
    const workerHad = join(s.home, 'worker-had');
    await s.run([
      'enqueue',
      JSON.stringify({
        id: 'certs',
        // The worker's environment as it started is /proc/<pid>/environ.
        command: `printf %s "$${CERTS}" > ${seen}; tr '\\0' '\\n' < /proc/$QUEUECTL_WORKER_PID/environ | grep -c '^${CERTS}=' > ${workerHad} || true`,
      }),
    ]);
    const result = await collect(
      s.start(['worker', 'start', '--count', '1', '--drain'], { [CERTS]: certs }),
    );
    expect(result.code).toBe(0);
    expect((await s.json<{ job: { state: string } }>(['show', 'certs'])).job.state).toBe(
      'completed',
    );
    expect(readFileSync(seen, 'utf8')).toBe(certs);
    expect(readFileSync(workerHad, 'utf8').trim()).toBe('0');
  });
});

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A worker process started held, as the supervisor would; resolves once it says it waits. */
async function heldWorker(db: string): Promise<ChildProcess> {
  const entry = fileURLToPath(new URL('../../dist/worker/worker-entry.cjs', import.meta.url));
  const child = fork(entry, ['--label', 'held', '--drain', '--quiet', '--hold'], {
    env: workerEnvironment(db),
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  children.push(child);
  await messageOf(child, 'held');
  return child;
}

describe('a worker started held', () => {
  it('opens nothing until told to go, then runs the queue', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const mark = join(dir, 'ran');
    const store = await openTracked(db);
    await store.jobInsertMany([
      [newJob({ id: 'held-job', command: `touch ${mark}`, max_retries: 0 })],
    ]);
    const worker = await heldWorker(db);
    // Started and waiting: not registered, the job untouched, the database not even open.
    expect(await store.workerList({ staleAfterMs: 60_000 })).toEqual([]);
    expect((await store.jobGet('held-job'))?.state).toBe('pending');
    expect(readFileSync(`/proc/${worker.pid}/maps`, 'utf8')).not.toContain('better_sqlite3');

    worker.send({ type: 'go' });
    expect(await exitOf(worker)).toBe(0);
    expect(existsSync(mark)).toBe(true);
    expect((await store.jobGet('held-job'))?.state).toBe('completed');
  });

  it('exits without touching the database when its supervisor goes away first', async () => {
    const dir = tempDir();
    const db = join(dir, 'never.db');
    const worker = await heldWorker(db);
    worker.disconnect();
    expect(await exitOf(worker)).toBe(0);
    expect(existsSync(db)).toBe(false);
  });
});
