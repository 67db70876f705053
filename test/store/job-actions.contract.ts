/**
 * The contract of what users do to stored jobs — cancel, restart, delete, update — and of
 * recorded working directories and environments. Called per store like job-store.contract.ts.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import type { JobEnvironment } from '../../src/core/job.js';
import type { JobStore, Lease } from '../../src/store/job-store.js';
import { newJob } from '../helpers/job-factory.js';
import {
  failedRun,
  freshStoreEachTest,
  okRun,
  WORKER,
  type StoreFactory,
} from './job-store.contract.js';

const cancelledRun = {
  outcome: 'cancelled' as const,
  exitCode: null,
  signal: 'SIGTERM',
  error: 'cancelled',
};
const lostRun = { outcome: 'worker_lost' as const, exitCode: null, signal: null, error: 'lost' };

export function describeJobActionsContract(name: string, open: StoreFactory): void {
  describe(`JobStore contract, user actions: ${name}`, () => {
    let clock: ManualClock;
    let store: JobStore;
    freshStoreEachTest(open, (opened, openedClock) => {
      store = opened;
      clock = openedClock;
    });

    async function claim(workerId = WORKER.id) {
      return (await store.jobClaim({ workerId, leaseMs: 30_000 }))!;
    }
    const state = async (id: string) => (await store.jobGet(id))?.state;

    /** Jobs in each state: p (pending), f (failed), r (running), c (completed), d (dead). */
    async function jobsInEveryState(): Promise<Lease> {
      await store.jobInsertMany([[newJob({ id: 'c', max_retries: 0 })]]);
      await store.jobSettle({
        lease: (await claim()).lease,
        run: okRun,
        next: { state: 'completed' },
      });
      await store.jobInsertMany([[newJob({ id: 'd', max_retries: 0 })]]);
      await store.jobSettle({
        lease: (await claim()).lease,
        run: failedRun,
        next: { state: 'dead' },
      });
      await store.jobInsertMany([[newJob({ id: 'f' })]]);
      await store.jobSettle({
        lease: (await claim()).lease,
        run: failedRun,
        next: { state: 'failed', delayMs: 60_000 },
      });
      await store.jobInsertMany([[newJob({ id: 'r' })]]);
      const running = (await claim()).lease;
      await store.jobInsertMany([[newJob({ id: 'p' })]]);
      return running;
    }

    describe('cancel', () => {
      it('cancels pending and failed jobs at once, without a run record', async () => {
        await jobsInEveryState();
        clock.advance(500);
        const result = await store.jobCancel({ ids: ['p', 'f'] });
        expect(result.map((r) => [r.job.id, r.job.state, r.stopping])).toEqual([
          ['p', 'cancelled', false],
          ['f', 'cancelled', false],
        ]);
        expect(result[0]!.job).toMatchObject({
          finished_at: clock.now(),
          last_error: 'cancelled',
          cancel_requested: false,
        });
        expect(await store.attemptList({ jobId: 'p' })).toEqual([]);
        expect(await store.attemptList({ jobId: 'f' })).toHaveLength(1);
        expect(await store.jobCountByState()).toMatchObject({
          pending: 0,
          failed: 0,
          cancelled: 2,
        });
        // Nothing claims a cancelled job, even once its retry would have been due.
        clock.advance(120_000);
        expect(await store.jobClaim({ workerId: WORKER.id, leaseMs: 30_000 })).toBeNull();
      });

      it('asks the holder of a running job to stop; the job ends cancelled when it settles', async () => {
        const lease = await jobsInEveryState();
        const [first] = await store.jobCancel({ ids: ['r'] });
        expect(first).toMatchObject({
          stopping: true,
          job: { id: 'r', state: 'processing', cancel_requested: true },
        });
        // A second cancel while it stops is no mistake.
        expect((await store.jobCancel({ ids: ['r'] }))[0]!.stopping).toBe(true);
        expect(await store.jobCancelRequested({ lease })).toBe(true);
        const beat = await store.workerHeartbeat({
          workerId: WORKER.id,
          lease,
          leaseMs: 30_000,
          jobPid: null,
        });
        expect(beat).toMatchObject({ leaseHeld: true, cancelRequested: true });
        expect((await store.jobListHeld())[0]!.cancelRequested).toBe(true);
        expect(
          await store.jobSettle({ lease, run: cancelledRun, next: { state: 'cancelled' } }),
        ).toBe('cancelled');
        expect(await store.jobGet('r')).toMatchObject({
          state: 'cancelled',
          cancel_requested: false,
          last_error: 'cancelled',
          worker_id: null,
        });
        expect((await store.attemptList({ jobId: 'r' }))[0]).toMatchObject({
          outcome: 'cancelled',
          error: 'cancelled',
        });
      });

      it('reaches a job held by another worker, through its lease only', async () => {
        await store.workerRegister({ ...WORKER, id: 'w-other', host: 'host-b' });
        await store.jobInsertMany([[newJob({ id: 'elsewhere' })]]);
        const { lease } = await claim('w-other');
        expect(await store.jobCancelRequested({ lease })).toBe(false);
        await store.jobCancel({ ids: ['elsewhere'] });
        expect(await store.jobCancelRequested({ lease })).toBe(true);
        expect(await store.jobCancelRequested({ lease: { ...lease, workerId: WORKER.id } })).toBe(
          false,
        );
        expect(await store.jobCancelRequested({ lease: { ...lease, run: 2 } })).toBe(false);
      });

      it('lists which of several running jobs were asked to cancel, each under its own lease only', async () => {
        await store.jobInsertMany([['m1', 'm2', 'm3'].map((id) => newJob({ id }))]);
        const leases = (
          await store.jobClaimMany({ workerId: WORKER.id, leaseMs: 30_000, limit: 3 })
        ).map((claimed) => claimed.lease);
        expect(await store.jobListCancelRequested({ leases })).toEqual([]);
        await store.jobCancel({ ids: ['m1', 'm3'] });
        expect((await store.jobListCancelRequested({ leases })).sort()).toEqual(['m1', 'm3']);
        // A lease that is not the job's (another run, another worker) hears nothing.
        const stale = leases.map((lease) => ({ ...lease, run: lease.run + 1 }));
        expect(await store.jobListCancelRequested({ leases: stale })).toEqual([]);
        expect(await store.jobListCancelRequested({ leases: [] })).toEqual([]);
      });

      it('refuses finished jobs, naming the job and its state', async () => {
        await jobsInEveryState();
        for (const id of ['c', 'd']) {
          await expect(store.jobCancel({ ids: [id] })).rejects.toBeInstanceOf(ConflictError);
        }
        await expect(store.jobCancel({ ids: ['c'] })).rejects.toThrow(
          'job "c" is completed; only pending, failed or processing jobs can be cancelled',
        );
        await store.jobCancel({ ids: ['p'] });
        await expect(store.jobCancel({ ids: ['p'] })).rejects.toThrow(/job "p" is cancelled;/);
      });

      it('cancels all or nothing: an unknown or finished id changes none', async () => {
        const lease = await jobsInEveryState();
        await expect(store.jobCancel({ ids: ['p', 'ghost', 'r'] })).rejects.toBeInstanceOf(
          NotFoundError,
        );
        await expect(store.jobCancel({ ids: ['p', 'r', 'f', 'd'] })).rejects.toThrow(
          /job "d" is dead/,
        );
        expect(await state('p')).toBe('pending');
        expect(await state('f')).toBe('failed');
        expect(await store.jobCancelRequested({ lease })).toBe(false);
      });

      it('a cancel that lands before the settle wins over a retry, not over completion', async () => {
        await store.jobInsertMany([[newJob({ id: 'late-fail' }), newJob({ id: 'late-ok' })]]);
        const failing = (await claim()).lease;
        const finishing = (await claim()).lease;
        await store.jobCancel({ ids: ['late-fail', 'late-ok'] });
        // The holders did not see the cancel: they settle as they would have.
        await store.jobSettle({
          lease: failing,
          run: failedRun,
          next: { state: 'failed', delayMs: 1000 },
          ifCancelRequested: { state: 'cancelled' },
        });
        await store.jobSettle({
          lease: finishing,
          run: okRun,
          next: { state: 'completed' },
          ifCancelRequested: { state: 'completed' },
        });
        expect(await store.jobGet('late-fail')).toMatchObject({
          state: 'cancelled',
          cancel_requested: false,
        });
        expect(await state('late-ok')).toBe('completed');
        // Without a cancel, the same settle retries.
        await store.jobInsertMany([[newJob({ id: 'plain' })]]);
        await store.jobSettle({
          lease: (await claim()).lease,
          run: failedRun,
          next: { state: 'failed', delayMs: 1000 },
          ifCancelRequested: { state: 'cancelled' },
        });
        expect(await state('plain')).toBe('failed');
      });

      it('a cancelled job whose worker died ends cancelled when it is rescued', async () => {
        await store.jobInsertMany([[newJob({ id: 'orphan' })]]);
        const { lease } = await claim();
        await store.jobCancel({ ids: ['orphan'] });
        await store.jobSettle({
          lease,
          run: lostRun,
          next: { state: 'failed', delayMs: 0 },
          ifCancelRequested: { state: 'cancelled' },
        });
        expect(await state('orphan')).toBe('cancelled');
        expect((await store.attemptList({ jobId: 'orphan' }))[0]!.outcome).toBe('worker_lost');
      });
    });

    describe('restart', () => {
      it('runs a finished job again, numbering its runs on and keeping its history', async () => {
        await store.jobInsertMany([[newJob({ id: 'again', max_retries: 1 })]]);
        await store.jobSettle({
          lease: (await claim()).lease,
          run: failedRun,
          next: { state: 'failed', delayMs: 0 },
        });
        await store.jobSettle({
          lease: (await claim()).lease,
          run: okRun,
          next: { state: 'completed' },
        });
        clock.advance(1000);
        const [restarted] = await store.jobRestart({ ids: ['again'] });
        expect(restarted).toMatchObject({
          id: 'again',
          state: 'pending',
          attempts: 0,
          run_at: clock.now(),
          started_at: null,
          finished_at: null,
          cancel_requested: false,
        });
        expect(await store.attemptList({ jobId: 'again' })).toHaveLength(2);
        const next = await claim();
        expect(next.lease.run).toBe(3);
        expect(next.job.attempts).toBe(1);
      });

      it('restarts dead and cancelled jobs, in the order asked', async () => {
        await jobsInEveryState();
        await store.jobCancel({ ids: ['p'] });
        const restarted = await store.jobRestart({ ids: ['p', 'd', 'c'] });
        expect(restarted.map((job) => [job.id, job.state])).toEqual([
          ['p', 'pending'],
          ['d', 'pending'],
          ['c', 'pending'],
        ]);
        expect(await store.jobCountByState()).toMatchObject({
          pending: 3,
          completed: 0,
          dead: 0,
          cancelled: 0,
        });
      });

      it('refuses jobs that are not finished, all or nothing', async () => {
        await jobsInEveryState();
        await expect(store.jobRestart({ ids: ['c', 'p'] })).rejects.toThrow(
          'job "p" is pending; only completed, dead or cancelled jobs can be restarted',
        );
        await expect(store.jobRestart({ ids: ['c', 'r'] })).rejects.toThrow(/"r" is processing/);
        await expect(store.jobRestart({ ids: ['c', 'ghost'] })).rejects.toBeInstanceOf(
          NotFoundError,
        );
        expect(await state('c')).toBe('completed');
      });

      it('restarts every job in a finished state, and only those', async () => {
        await store.jobInsertMany([
          Array.from({ length: 5 }, (_, i) => newJob({ id: `done-${i}`, max_retries: 0 })),
        ]);
        for (let i = 0; i < 5; i++) {
          const { lease } = await claim();
          await store.jobSettle(
            i < 3
              ? { lease, run: okRun, next: { state: 'completed' } }
              : { lease, run: failedRun, next: { state: 'dead' } },
          );
        }
        expect(await store.jobRestartState({ state: 'completed' })).toBe(3);
        expect(await store.jobCountByState()).toMatchObject({
          pending: 3,
          completed: 0,
          dead: 2,
        });
        expect(await store.jobRestartState({ state: 'cancelled' })).toBe(0);
      });
    });

    describe('delete', () => {
      it('deletes several jobs with their history and says how many runs each had', async () => {
        await jobsInEveryState();
        const removed = await store.jobDelete({ ids: ['d', 'p', 'c'] });
        expect(removed).toEqual([
          { id: 'd', runs: 1 },
          { id: 'p', runs: 0 },
          { id: 'c', runs: 1 },
        ]);
        for (const id of ['d', 'p', 'c']) {
          expect(await store.jobGet(id)).toBeNull();
          expect(await store.attemptList({ jobId: id })).toEqual([]);
        }
        expect(await store.jobCountByState()).toMatchObject({
          pending: 0,
          completed: 0,
          dead: 0,
          processing: 1,
        });
      });

      it('deletes all or nothing, refusing a running job with what to do instead', async () => {
        await jobsInEveryState();
        await expect(store.jobDelete({ ids: ['c', 'r'] })).rejects.toThrow(
          'job "r" is running; cancel it first (queuectl cancel r)',
        );
        await expect(store.jobDelete({ ids: ['c', 'ghost'] })).rejects.toBeInstanceOf(
          NotFoundError,
        );
        expect(await state('c')).toBe('completed');
        expect(await store.attemptList({ jobId: 'c' })).toHaveLength(1);
      });
    });

    describe('update', () => {
      it('changes a pending job', async () => {
        await store.jobInsertMany([
          [newJob({ id: 'first' }), newJob({ id: 'second', timeout_seconds: 5 })],
        ]);
        clock.advance(10);
        const updated = await store.jobUpdate({
          id: 'second',
          changes: { priority: 7, max_retries: 9, command: 'echo changed', timeout_seconds: null },
        });
        expect(updated).toMatchObject({
          id: 'second',
          priority: 7,
          max_retries: 9,
          command: 'echo changed',
          timeout_seconds: null,
          updated_at: clock.now(),
          state: 'pending',
        });
        expect((await claim()).job.id).toBe('second');
        const later = clock.now() + 60_000;
        expect(
          await store.jobUpdate({ id: 'first', changes: { run_at: later, timeout_seconds: 2.5 } }),
        ).toMatchObject({ run_at: later, timeout_seconds: 2.5, priority: 0 });
        expect(await store.jobClaim({ workerId: WORKER.id, leaseMs: 30_000 })).toBeNull();
      });

      it('changes a failed job waiting for its retry', async () => {
        await jobsInEveryState();
        const updated = await store.jobUpdate({ id: 'f', changes: { run_at: clock.now() } });
        expect(updated).toMatchObject({ state: 'failed', run_at: clock.now() });
        expect((await claim()).job.id).toBe('f');
      });

      it('refuses a job that runs or has finished, naming its state, and changes nothing', async () => {
        await jobsInEveryState();
        for (const [id, name] of [
          ['r', 'processing'],
          ['c', 'completed'],
          ['d', 'dead'],
        ] as const) {
          await expect(store.jobUpdate({ id, changes: { priority: 3 } })).rejects.toThrow(
            `job "${id}" is ${name}; only pending jobs, or failed ones waiting for a retry, can be updated`,
          );
          expect((await store.jobGet(id))!.priority).toBe(0);
        }
        await expect(
          store.jobUpdate({ id: 'ghost', changes: { priority: 3 } }),
        ).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('working directories and environments', () => {
      const shellEnv: JobEnvironment = {
        inherit: false,
        vars: { PATH: '/usr/bin:/bin', HOME: '/home/u', LANG: 'C.UTF-8', EQ: 'a=b=c', U: 'ünï 🚀' },
      };

      it('records them, shows the names only, and hands the values to the claim', async () => {
        await store.jobInsertMany([
          [
            newJob({ id: 'here', cwd: '/srv/app', env: shellEnv }),
            newJob({ id: 'plain' }),
            newJob({ id: 'extra', env: { inherit: true, vars: { ONLY: '' } } }),
          ],
        ]);
        const here = (await store.jobGet('here'))!;
        expect(here.cwd).toBe('/srv/app');
        expect(here.env_names).toEqual(['EQ', 'HOME', 'LANG', 'PATH', 'U']);
        expect(JSON.stringify(here)).not.toContain('/home/u');
        expect(await store.jobGet('plain')).toMatchObject({ cwd: null, env_names: null });
        expect((await store.jobList({ limit: 10 })).map((j) => j.env_names)).toEqual([
          ['ONLY'],
          null,
          ['EQ', 'HOME', 'LANG', 'PATH', 'U'],
        ]);
        expect(await store.jobEnvironment({ id: 'here' })).toEqual(shellEnv);
        expect(await store.jobEnvironment({ id: 'plain' })).toBeNull();
        await expect(store.jobEnvironment({ id: 'ghost' })).rejects.toBeInstanceOf(NotFoundError);

        const first = await claim();
        expect(first.job).toMatchObject({ id: 'here', cwd: '/srv/app' });
        expect(first.job.env_names).toEqual(['EQ', 'HOME', 'LANG', 'PATH', 'U']);
        expect(first.env).toEqual(shellEnv);
        expect((await claim()).env).toBeNull();
        // The next one comes with the settle of the previous.
        const { claimed } = await store.jobSettleAndClaim({
          settle: { lease: first.lease, run: okRun, next: { state: 'completed' } },
          claim: { workerId: WORKER.id, leaseMs: 30_000 },
        });
        expect(claimed).toMatchObject({
          job: { id: 'extra' },
          env: { inherit: true, vars: { ONLY: '' } },
        });
      });

      it('stores each distinct environment once, in a small and in a large (staged) enqueue', async () => {
        const other: JobEnvironment = { inherit: true, vars: { A: '1' } };
        // The same content in another object, names in another order.
        const same: JobEnvironment = { inherit: false, vars: { ...shellEnv.vars } };
        const reordered: JobEnvironment = {
          inherit: false,
          vars: Object.fromEntries(Object.entries(shellEnv.vars).reverse()),
        };
        await store.jobInsertMany([
          [newJob({ id: 's1', env: shellEnv }), newJob({ id: 's2', env: same })],
        ]);
        await store.jobInsertMany(
          (function* () {
            for (let b = 0; b < 3; b++) {
              yield Array.from({ length: 1000 }, (_, i) =>
                newJob({
                  id: `big-${b}-${i}`,
                  cwd: i % 2 ? `/w/${b}` : null,
                  env: i % 3 === 0 ? other : i % 3 === 1 ? reordered : null,
                }),
              );
            }
          })(),
        );
        expect(await store.jobEnvironment({ id: 'big-1-0' })).toEqual(other);
        expect(await store.jobEnvironment({ id: 'big-2-1' })).toEqual(shellEnv);
        expect(await store.jobEnvironment({ id: 'big-2-2' })).toBeNull();
        expect((await store.jobGet('big-2-1'))!.cwd).toBe('/w/2');
        expect((await store.jobGet('big-2-2'))!.cwd).toBeNull();
        expect(await countEnvironments(store)).toBe(2);
        // Deleting jobs removes an environment only with the last job that uses it.
        await store.jobDelete({ ids: ['s1', 's2'] });
        expect(await countEnvironments(store)).toBe(2);
        const usingOther = Array.from({ length: 3 }, (_, b) =>
          Array.from({ length: 1000 }, (_, i) => `big-${b}-${i}`).filter((_, i) => i % 3 === 0),
        ).flat();
        await store.jobDelete({ ids: usingOther });
        expect(await countEnvironments(store)).toBe(1);
      });

      it('keeps working directories and environments through restart', async () => {
        await store.jobInsertMany([[newJob({ id: 'keep', cwd: '/tmp', env: shellEnv })]]);
        const { lease } = await claim();
        await store.jobSettle({ lease, run: okRun, next: { state: 'completed' } });
        await store.jobRestart({ ids: ['keep'] });
        const again = await claim();
        expect(again.job.cwd).toBe('/tmp');
        expect(again.env).toEqual(shellEnv);
      });
    });
  });
}

/** How many environments the store holds (a look inside, through its driver). */
async function countEnvironments(store: JobStore): Promise<number> {
  const inside = store as unknown as {
    db?: { prepare(sql: string): { get(): { n: number } } };
    pool?: { query(sql: string): Promise<{ rows: { n: number }[] }> };
  };
  const sql = 'SELECT count(*)::int AS n FROM environments';
  if (inside.db) return inside.db.prepare(sql.replace('::int', '')).get().n;
  return (await inside.pool!.query(sql)).rows[0]!.n;
}
