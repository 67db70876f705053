/**
 * The worker `queuectl worker start` forks before it has loaded anything (early-worker.cts):
 * which command lines fork one, what it starts with (nothing secret, nothing opened), how its go
 * message makes it a worker, and that the supervisor takes it as its first worker and starts the
 * others only after that worker's first claim.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  discardEarlyWorker,
  forkEarlyWorker,
  type EarlyWorker,
} from '../../src/worker/early-worker.cjs';
// The built one: it forks the built worker beside it (dist/worker/worker-entry.cjs).
import { startSupervisor, type Supervisor } from '../../dist/worker/supervisor.js';
import { newJob } from '../helpers/job-factory.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { exitOf, messageOf } from '../helpers/worker-child.js';
import { openTracked } from '../helpers/workers.js';

const ENTRY = fileURLToPath(new URL('../../dist/worker/worker-entry.cjs', import.meta.url));
const CERTS = 'NODE_EXTRA_CA_CERTS';

const forked: EarlyWorker[] = [];
const supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const early of forked.splice(0)) early.child.kill('SIGKILL');
  for (const supervisor of supervisors.splice(0)) {
    supervisor.abort();
    await supervisor.done;
  }
});

function early(args: string[], env: NodeJS.ProcessEnv = {}): EarlyWorker | null {
  const worker = forkEarlyWorker(args, ENTRY, { PATH: process.env.PATH, ...env });
  if (worker) forked.push(worker);
  return worker;
}

describe('forkEarlyWorker', () => {
  it('forks for a plain worker start on SQLite, however its options are spelled', () => {
    for (const args of [
      ['worker', 'start'],
      ['worker'],
      ['--db', 'q.db', 'worker', 'start', '--count', '2', '--drain'],
      ['worker', '-n', '3', 'start', '--queue', 'emails', '--db=sqlite://q.db'],
      ['worker', 'start', '--concurrency', '8', '--poll-interval', '250ms', '-v'],
    ]) {
      expect(early(args), args.join(' ')).not.toBeNull();
    }
  });

  it('forks nothing for another command, help, --detach, --stop or PostgreSQL', () => {
    for (const args of [
      ['enqueue', '{"command":"true"}'],
      ['worker', 'status'],
      ['worker', 'stop'],
      ['worker', 'start', '--help'],
      ['worker', '-h'],
      ['worker', 'start', '--detach'],
      ['worker', 'start', '--stop'],
      ['--db', 'postgres://u@db/app', 'worker', 'start'],
      ['worker', 'start', '--db=postgresql://u@db/app'],
      ['status', 'worker'],
      [],
    ]) {
      expect(early(args), args.join(' ')).toBeNull();
    }
    // The database in the environment counts as well: a PostgreSQL worker needs its certificates.
    expect(early(['worker', 'start'], { QUEUECTL_DB: 'postgres://u@db/app' })).toBeNull();
    expect(forkEarlyWorker(['worker', 'start'], '/nonexistent/worker-entry.cjs')).toBeNull();
  });

  it('starts held, with nothing of the command line and without the certificates variable', async () => {
    const worker = early(['--db', 'secret-place.db', 'worker', 'start', '--count', '2'], {
      [CERTS]: '/etc/certs.pem',
    })!;
    await messageOf(worker.child, 'held');
    const argv = readFileSync(`/proc/${worker.child.pid}/cmdline`, 'utf8').split('\0');
    expect(argv.slice(1, -1)).toEqual([ENTRY, '--hold']);
    const environ = readFileSync(`/proc/${worker.child.pid}/environ`, 'utf8').split('\0');
    expect(environ).not.toContain(`${CERTS}=/etc/certs.pem`);
    expect(environ).toContain(`QUEUECTL_HELD_${CERTS}=/etc/certs.pem`);
    expect(readFileSync(`/proc/${worker.child.pid}/maps`, 'utf8')).not.toContain('better_sqlite3');
  });

  it('is killed by discardEarlyWorker unless a supervisor took it', async () => {
    const left = early(['worker', 'start'])!;
    discardEarlyWorker(left);
    await exitOf(left.child);
    expect(left.child.signalCode).toBe('SIGKILL');

    const taken = early(['worker', 'start'])!;
    taken.adopted = true;
    discardEarlyWorker(taken);
    await messageOf(taken.child, 'held'); // still there, waiting for its go
    discardEarlyWorker(null); // nothing forked: nothing to do
  });

  it('exits by itself, touching nothing, when its command goes away before saying go', async () => {
    const worker = early(['worker', 'start'])!;
    await messageOf(worker.child, 'held');
    worker.child.disconnect();
    expect(await exitOf(worker.child)).toBe(0);
  });

  it('finishes its job and exits 0 when its command dies while it runs', async () => {
    const dir = tempDir();
    const db = join(dir, 'orphan.db');
    const mark = join(dir, 'ran');
    const store = await openTracked(db);
    await store.jobInsertMany([[newJob({ id: 'orphan', command: `sleep 0.3; touch ${mark}` })]]);
    const worker = forkEarlyWorker(['worker', 'start'], ENTRY, { PATH: process.env.PATH })!;
    forked.push(worker);
    const firstClaim = messageOf(worker.child, 'first-claim');
    worker.child.send({ type: 'go', db, args: ['--label', 'worker 1', '--quiet'] });
    await firstClaim;
    worker.child.disconnect(); // as when `worker start` is SIGKILLed: a graceful stop
    expect(await exitOf(worker.child)).toBe(0);
    expect(existsSync(mark)).toBe(true);
    expect((await store.jobGet('orphan'))?.state).toBe('completed');
  });

  it('becomes a worker on the database and with the arguments its go message names', async () => {
    const dir = tempDir();
    const db = join(dir, 'early.db');
    const mark = join(dir, 'ran');
    const store = await openTracked(db);
    await store.jobInsertMany([[newJob({ id: 'early-job', command: `touch ${mark}` })]]);
    const worker = early(['worker', 'start'])!;
    const firstClaim = messageOf(worker.child, 'first-claim');
    worker.child.send({ type: 'go', db, args: ['--label', 'worker 1', '--drain', '--quiet'] });
    await firstClaim; // told to its supervisor, which starts the other workers then
    expect(await exitOf(worker.child)).toBe(0); // --drain came with the message
    expect(existsSync(mark)).toBe(true);
    expect((await store.jobGet('early-job'))?.state).toBe('completed');
  });
});

describe('the supervisor', () => {
  it('takes the early worker as its first and starts the others after its first claim', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const mark = join(dir, 'first');
    const store = await openTracked(db);
    await store.jobInsertMany([
      [newJob({ id: 'slow', command: `touch ${mark}; sleep 30`, max_retries: 0 })],
    ]);
    const first = early(['worker', 'start', '--count', '3'])!;
    const supervisor = startSupervisor({ db, count: 3, quiet: true, early: first, held: true });
    supervisors.push(supervisor);
    expect(first.adopted).toBe(true);
    expect(supervisor.pids()).toEqual([first.child.pid]);
    supervisor.release();
    const pids = await supervisor.forked;
    expect(pids).toHaveLength(3);
    expect(pids[0]).toBe(first.child.pid);
    // The first worker had claimed the job before the others were forked.
    expect((await store.jobGet('slow'))?.state).toBe('processing');
    await waitFor(async () => (await store.workerList({ staleAfterMs: 60_000 })).length === 3, {
      what: 'all three workers registered',
    });
    await waitFor(() => existsSync(mark), { what: 'the job running' });
    const claimedBy = (await store.jobGet('slow'))?.worker_id;
    const workers = await store.workerList({ staleAfterMs: 60_000 });
    expect(workers.find((worker) => worker.id === claimedBy)?.pid).toBe(first.child.pid);
  });

  it('does not take an early worker whose output must go through pipes, and kills it', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const first = early(['worker', 'start'])!;
    const lines: string[] = [];
    const supervisor = startSupervisor({
      db,
      count: 1,
      drain: true,
      early: first,
      onWorkerLine: (line) => lines.push(line),
    });
    supervisors.push(supervisor);
    await exitOf(first.child);
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(supervisor.pids()).not.toContain(first.child.pid);
    await supervisor.done; // its own worker found nothing to drain
  });

  it('starts the others a second after the go when the first cannot claim yet', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    await openTracked(db); // created and migrated
    // Another connection holds the write lock: the first worker waits in SQLite (busy_timeout)
    // before it can register or claim, its event loop blocked, and says nothing meanwhile.
    const blocker = new Database(db);
    blocker.exec('BEGIN EXCLUSIVE');
    try {
      const supervisor = startSupervisor({ db, count: 2, quiet: true });
      supervisors.push(supervisor);
      const started = Date.now();
      expect(await supervisor.forked).toHaveLength(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
  });

  it('starts the others when the first dies before claiming', async () => {
    const dir = tempDir();
    // A directory where the database should be: the worker cannot open it and exits.
    const supervisor = startSupervisor({ db: dir, count: 2, quiet: true });
    supervisors.push(supervisor);
    expect(await supervisor.forked).toHaveLength(2);
  });
});
