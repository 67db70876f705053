/**
 * A worker and the jobs' recorded context and cancellation, over real stores and real processes:
 * jobs run in their directory with their environment; a cancelled running job is stopped by its
 * holder within a second of the cancel (the wake-up, not the heartbeat), wherever it runs; a
 * cancelled job whose worker died ends cancelled. A busy worker that stopped listening under a
 * flood of commits still stops a cancelled job within a second, and listens again when idle.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logPath } from '../../src/core/output-files.js';
import { Queue } from '../../src/core/queue.js';
import { hostId, isProcessAlive } from '../../src/worker/process-info.js';
import { Worker } from '../../src/worker/worker.js';
import { describePg, freshPgUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { openTracked, runTracked } from '../helpers/workers.js';

const open = openTracked;

/** Starts a worker on its own connection; `host` stands for another machine. */
async function startWorker(db: string, logDir: string, host?: string): Promise<Worker> {
  const before = process.env.QUEUECTL_HOST;
  if (host) process.env.QUEUECTL_HOST = host;
  const worker = new Worker({ store: await open(db), logDir });
  if (before === undefined) delete process.env.QUEUECTL_HOST;
  else process.env.QUEUECTL_HOST = before;
  runTracked(worker);
  return worker;
}

/** A job that starts a background child (recording its pid) and waits for it. */
const withChild = (dir: string, name: string) => `sleep 30 & echo $! > ${dir}/${name}; wait`;

function childPid(dir: string, name: string): number {
  return Number(readFileSync(join(dir, name), 'utf8'));
}

/**
 * Cancels the running jobs `ids` and measures how long until each is `cancelled`. Heartbeats
 * come every 2 s (lease-timeout 60s), so a stop within a second came from the wake-up.
 */
async function cancelAndTime(queue: Queue, ids: string[]): Promise<number> {
  const asked = performance.now();
  const result = await queue.cancel(ids);
  expect(result.map((r) => r.stopping)).toEqual(ids.map(() => true));
  await waitFor(
    async () => {
      for (const id of ids) if ((await queue.store.jobGet(id))?.state !== 'cancelled') return false;
      return true;
    },
    { timeoutMs: 10_000, intervalMs: 10, what: 'the jobs to be cancelled' },
  );
  return performance.now() - asked;
}

function describeStore(name: string, url: () => string) {
  describe(`cancelling running jobs (${name})`, () => {
    it('stops a running job and its children within a second, on any host', async () => {
      const db = url();
      const queue = new Queue(await open(db));
      await queue.configSet('lease-timeout', '60s');
      const dir = tempDir();
      await queue.enqueue({ id: 'on-a', command: withChild(dir, 'a'), max_retries: 3 });
      await queue.enqueue({ id: 'on-b', command: withChild(dir, 'b'), max_retries: 3 });
      await startWorker(db, tempDir(), 'host-a');
      await startWorker(db, tempDir(), 'host-b');
      await waitFor(() => existsSync(join(dir, 'a')) && existsSync(join(dir, 'b')), {
        what: 'both jobs to start',
      });
      // Past each run's first heartbeat (it reports the job's pid): the next is 2 s away.
      const holders = await waitFor(async () => {
        const held = await queue.store.jobListHeld();
        return held.length === 2 && held.every((h) => h.jobPid !== null) ? held : null;
      });
      expect(holders.map((h) => h.host).sort()).toEqual(['host-a', 'host-b']);
      const took = await cancelAndTime(queue, ['on-a', 'on-b']);
      expect(took).toBeLessThan(1000);
      for (const child of [childPid(dir, 'a'), childPid(dir, 'b')]) {
        await waitFor(() => !isProcessAlive(child, null), { what: 'the background child to die' });
      }
      const { attempts, job } = await queue.show('on-a');
      expect(job).toMatchObject({ state: 'cancelled', attempts: 1, last_error: 'cancelled' });
      expect(attempts.map((a) => [a.outcome, a.error])).toEqual([['cancelled', 'cancelled']]);
    });

    it('a busy worker deaf to a flood of commits still stops a cancelled job within a second, and hears commits again once a slot is free', async () => {
      const db = url();
      const queue = new Queue(await open(db));
      await queue.configSet('lease-timeout', '60s');
      await queue.configSet('poll-interval', '1h'); // a wake-up can only come from listening
      const dir = tempDir();
      await queue.enqueue({ id: 'long', command: withChild(dir, 'long'), max_retries: 3 });
      // The worker's store counts its looks for cancels (a look reads the method once).
      let looks = 0;
      const store = new Proxy(await open(db), {
        get(target, property) {
          if (property === 'jobListCancelRequested') looks++;
          return Reflect.get(target, property) as unknown;
        },
      });
      const worker = new Worker({ store, logDir: tempDir() });
      runTracked(worker);
      await waitFor(() => existsSync(join(dir, 'long')), { what: 'the job to start' });
      expect(worker.listening).toBe(true);
      // Commits faster than the worker asks about cancels (jobs it has no slot for yet).
      let flood = 0;
      await waitFor(
        async () => {
          await queue.enqueue({ id: `flood-${flood++}`, command: 'true' });
          return !worker.listening;
        },
        { intervalMs: 10, what: 'the busy worker to stop listening' },
      );
      // Deaf and with no commits coming, it still looks every 100 ms (a heartbeat: every 2 s).
      const deafLooks = looks;
      await waitFor(() => looks >= deafLooks + 5, {
        timeoutMs: 1500,
        what: 'five looks for a cancel',
      });
      expect(await cancelAndTime(queue, ['long'])).toBeLessThan(1000);
      await waitFor(() => !isProcessAlive(childPid(dir, 'long'), null), {
        what: 'the background child to die',
      });
      // Its slot free, it runs the flood and listens again: a new job wakes it, not the poll.
      await waitFor(async () => (await queue.store.jobCountByState()).completed === flood, {
        what: 'the flood to run',
      });
      expect(worker.listening).toBe(true);
      await queue.enqueue({ id: 'late', command: 'true' });
      await waitFor(async () => (await queue.get('late')).state === 'completed', {
        timeoutMs: 5000,
        what: 'the late job, woken by its commit',
      });
    });
  });
}

describeStore('SQLite', () => join(tempDir(), 'q.db'));
describePg('PostgreSQL', () => describeStore('PostgreSQL', freshPgUrl));

describe('a worker and recorded context (SQLite)', () => {
  it('runs a job in its directory with its environment; a missing directory fails the run', async () => {
    const db = join(tempDir(), 'q.db');
    const logDir = join(tempDir(), 'logs');
    const queue = new Queue(await open(db));
    const cwd = tempDir();
    const gone = join(tempDir(), 'gone');
    await queue.enqueue({
      id: 'here',
      command: 'pwd; echo "$SECRET $QUEUECTL_JOB_ID"',
      cwd,
      env: { SECRET: 's3cret', QUEUECTL_JOB_ID: 'fake' },
    });
    await queue.enqueue({ id: 'nowhere', command: 'true', cwd: gone, max_retries: 0 });
    await new Worker({ store: await open(db), logDir, drain: true }).run();
    expect(readFileSync(logPath(logDir, 'here', 1, 'stdout'), 'utf8')).toBe(
      `${cwd}\ns3cret here\n`,
    );
    expect(await queue.get('nowhere')).toMatchObject({
      state: 'dead',
      last_error: `working directory ${gone} does not exist on host ${hostId()}`,
    });
    expect((await queue.show('nowhere')).attempts[0]!.outcome).toBe('spawn_failed');
  });

  it('a cancelled job whose worker died ends cancelled, not retried', async () => {
    const db = join(tempDir(), 'q.db');
    const store = await open(db);
    const queue = new Queue(store);
    // A worker of this host whose process is gone.
    const gone = spawnSync('true').pid!;
    await store.workerRegister({ id: 'w-dead', host: hostId(), pid: gone, pidStart: null });
    await queue.enqueue({ id: 'orphan', command: 'true', max_retries: 5 });
    await store.jobClaim({ workerId: 'w-dead', leaseMs: 60_000 });
    expect((await queue.cancel(['orphan']))[0]!.stopping).toBe(true);
    await startWorker(db, tempDir());
    await waitFor(async () => (await queue.get('orphan')).state === 'cancelled', {
      what: 'the rescuer to settle the orphan as cancelled',
    });
    expect((await queue.show('orphan')).attempts.map((a) => a.outcome)).toEqual(['worker_lost']);
  });
});
