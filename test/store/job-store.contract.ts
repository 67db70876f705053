/**
 * The contract every JobStore must pass. Called once per store with a factory that opens a
 * fresh, empty store (a temp SQLite file; a fresh PostgreSQL schema) driven by the given clock.
 */
import { beforeEach, afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ConflictError, DuplicateJobError, NotFoundError } from '../../src/core/errors.js';
import type { JobStore, Lease } from '../../src/store/job-store.js';
import { newJob } from '../helpers/job-factory.js';

export type StoreFactory = (clock: ManualClock) => Promise<JobStore>;

export const WORKER = { id: 'w-test', host: 'host-a', pid: 4242, pidStart: '123' };
export const failedRun = {
  outcome: 'failed' as const,
  exitCode: 1,
  signal: null,
  error: 'exited with code 1',
};
export const okRun = { outcome: 'completed' as const, exitCode: 0, signal: null, error: null };

/**
 * Before each test of a contract: a fresh store on a manual clock (the first of 2026, noon) with
 * WORKER registered, handed to `use`; closed after the test.
 */
export function freshStoreEachTest(
  open: StoreFactory,
  use: (store: JobStore, clock: ManualClock) => void,
): void {
  let store: JobStore | undefined;
  beforeEach(async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    store = await open(clock);
    await store.workerRegister(WORKER);
    use(store, clock);
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
}

export function describeJobStoreContract(name: string, open: StoreFactory): void {
  describe(`JobStore contract: ${name}`, () => {
    let clock: ManualClock;
    let store: JobStore;
    freshStoreEachTest(open, (opened, openedClock) => {
      store = opened;
      clock = openedClock;
    });

    async function claim(workerId = WORKER.id) {
      return store.jobClaim({ workerId, leaseMs: 30_000 });
    }

    describe('enqueue', () => {
      it('stores a job as pending with its fields and timestamps', async () => {
        await store.jobInsertMany([
          [
            newJob({
              id: 'a',
              command: 'echo a',
              max_retries: 2,
              priority: 5,
              timeout_seconds: 1.5,
            }),
          ],
        ]);
        const job = await store.jobGet('a');
        expect(job).toMatchObject({
          id: 'a',
          command: 'echo a',
          state: 'pending',
          attempts: 0,
          max_retries: 2,
          priority: 5,
          timeout_seconds: 1.5,
          run_at: clock.now(),
          created_at: clock.now(),
          updated_at: clock.now(),
          started_at: null,
          finished_at: null,
          last_error: null,
          last_exit_code: null,
          worker_id: null,
        });
      });

      it('returns null for an unknown id', async () => {
        expect(await store.jobGet('nope')).toBeNull();
      });

      it('refuses a duplicate id and leaves the existing job untouched', async () => {
        await store.jobInsertMany([[newJob({ id: 'dup', command: 'echo first' })]]);
        await expect(
          store.jobInsertMany([[newJob({ id: 'dup', command: 'echo second' })]]),
        ).rejects.toBeInstanceOf(DuplicateJobError);
        expect((await store.jobGet('dup'))!.command).toBe('echo first');
      });

      it('stores nothing of a batch that holds a duplicate, and says where it is', async () => {
        await store.jobInsertMany([[newJob({ id: 'taken' })]]);
        const batch = [newJob({ id: 'b1' }), newJob({ id: 'taken' }), newJob({ id: 'b3' })];
        const error = await store.jobInsertMany([batch]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateJobError);
        expect((error as DuplicateJobError).position).toBe(1);
        expect(await store.jobGet('b1')).toBeNull();
        expect(await store.jobGet('b3')).toBeNull();
      });

      it('stores a large streamed batch all-or-nothing, duplicates inside it included', async () => {
        const batches = (dupAt: number | null) =>
          (async function* () {
            for (let b = 0; b < 3; b++) {
              yield Array.from({ length: 1000 }, (_, i) => {
                const n = b * 1000 + i;
                return newJob({ id: n === dupAt ? 'big-5' : `big-${n}` });
              });
            }
          })();
        const error = await store.jobInsertMany(batches(2500)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateJobError);
        expect((error as DuplicateJobError).position).toBe(2500);
        expect((await store.jobCountByState()).pending).toBe(0);

        expect(await store.jobInsertMany(batches(null))).toEqual({
          stored: 3000,
          skipped: 0,
          skippedJobs: [],
        });
        expect((await store.jobCountByState()).pending).toBe(3000);
      });

      it('names the first duplicate of a large batch, whether stored before or repeated in it', async () => {
        await store.jobInsertMany([[newJob({ id: 'stored' })]]);
        const ids = Array.from({ length: 3000 }, (_, n) => `many-${n}`);
        const attempt = async (edit: (list: string[]) => void) => {
          const list = [...ids];
          edit(list);
          const error = await store
            .jobInsertMany(
              (function* () {
                for (let b = 0; b < 3; b++)
                  yield list.slice(b * 1000, b * 1000 + 1000).map((id) => newJob({ id }));
              })(),
            )
            .catch((e: unknown) => e);
          expect(error).toBeInstanceOf(DuplicateJobError);
          return {
            id: (error as DuplicateJobError).jobId,
            position: (error as DuplicateJobError).position,
          };
        };
        // Repeated at 1200, stored already at 2600: 1200 comes first.
        expect(
          await attempt((list) => {
            list[1200] = 'many-7';
            list[2600] = 'stored';
          }),
        ).toEqual({ id: 'many-7', position: 1200 });
        // Stored already at 1500, repeated at 2900: 1500.
        expect(
          await attempt((list) => {
            list[1500] = 'stored';
            list[2900] = 'many-3';
          }),
        ).toEqual({ id: 'stored', position: 1500 });
        expect((await store.jobCountByState()).pending).toBe(1);
      });
    });

    describe('claim', () => {
      it('returns null when nothing is runnable', async () => {
        expect(await claim()).toBeNull();
      });

      it('takes the highest priority first, then the oldest', async () => {
        await store.jobInsertMany([
          [newJob({ id: 'low' }), newJob({ id: 'high', priority: 10 }), newJob({ id: 'low2' })],
        ]);
        const order = [];
        for (let i = 0; i < 3; i++) order.push((await claim())!.job.id);
        expect(order).toEqual(['high', 'low', 'low2']);
      });

      it('takes equal priorities in the order they became due, then the oldest', async () => {
        const t0 = clock.now();
        await store.jobInsertMany([
          [
            newJob({ id: 'delayed', run_at: t0 + 1000 }),
            newJob({ id: 'first' }),
            newJob({ id: 'tied' }),
          ],
        ]);
        clock.advance(2000);
        await store.jobInsertMany([[newJob({ id: 'newest' })]]);
        const order = [];
        for (let i = 0; i < 4; i++) order.push((await claim())!.job.id);
        expect(order).toEqual(['first', 'tied', 'delayed', 'newest']);
      });

      it('finds the due job behind many that are not due yet, of its priority or higher', async () => {
        const later = clock.now() + 60_000;
        await store.jobInsertMany([
          Array.from({ length: 300 }, (_, i) =>
            newJob({ id: `later-${i}`, run_at: later, priority: i % 2 ? 5 : 0 }),
          ),
        ]);
        await store.jobInsertMany([[newJob({ id: 'due' })]]);
        expect((await claim())!.job.id).toBe('due');
        expect(await claim()).toBeNull();
      });

      it('marks the job processing for the worker, counts the attempt and opens its record', async () => {
        await store.jobInsertMany([[newJob({ id: 'c' })]]);
        const claimed = (await claim())!;
        expect(claimed.lease).toEqual({ jobId: 'c', workerId: WORKER.id, run: 1 });
        expect(claimed.job).toMatchObject({
          state: 'processing',
          attempts: 1,
          worker_id: WORKER.id,
          started_at: clock.now(),
        });
        expect(claimed.job.lease_expires_at).toBe(clock.now() + 30_000);
        const [attempt] = await store.attemptList({ jobId: 'c' });
        expect(attempt).toMatchObject({
          attempt: 1,
          worker_id: WORKER.id,
          host: 'host-a',
          pid: 4242,
          outcome: null,
          finished_at: null,
        });
      });

      it('does not start a job before its run_at', async () => {
        await store.jobInsertMany([[newJob({ id: 'later', run_at: clock.now() + 60_000 })]]);
        expect(await claim()).toBeNull();
        clock.advance(59_999);
        expect(await claim()).toBeNull();
        clock.advance(1);
        expect((await claim())!.job.id).toBe('later');
      });

      it('never hands one job to two workers', async () => {
        await store.workerRegister({ ...WORKER, id: 'w-other' });
        await store.jobInsertMany([Array.from({ length: 20 }, (_, i) => newJob({ id: `p-${i}` }))]);
        const claims = await Promise.all(
          Array.from({ length: 30 }, (_, i) => claim(i % 2 ? WORKER.id : 'w-other')),
        );
        const ids = claims.filter((c) => c !== null).map((c) => c!.job.id);
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
      });
    });

    describe('claim several at once', () => {
      const claimMany = (limit: number, workerId = WORKER.id) =>
        store.jobClaimMany({ workerId, leaseMs: 30_000, limit });

      it('takes up to the limit in the order single claims would, each with its own lease and attempt', async () => {
        await store.jobInsertMany([
          [
            newJob({ id: 'low' }),
            newJob({ id: 'high', priority: 10 }),
            newJob({ id: 'low2' }),
            newJob({ id: 'low3' }),
          ],
        ]);
        const claimed = await claimMany(3);
        expect(claimed.map((c) => c.job.id)).toEqual(['high', 'low', 'low2']);
        for (const c of claimed) {
          expect(c.lease).toEqual({ jobId: c.job.id, workerId: WORKER.id, run: 1 });
          expect(c.job).toMatchObject({ state: 'processing', attempts: 1 });
          expect(await store.attemptList({ jobId: c.job.id })).toHaveLength(1);
        }
        expect((await store.jobGet('low3'))!.state).toBe('pending');
        const [listed] = await store.workerList({ staleAfterMs: 60_000 });
        expect(listed!.running).toBe(3);
        expect((await claimMany(5)).map((c) => c.job.id)).toEqual(['low3']);
        expect(await claimMany(5)).toEqual([]);
      });

      it('never hands one job to two workers claiming batches at the same time', async () => {
        await store.workerRegister({ ...WORKER, id: 'w-other' });
        await store.jobInsertMany([Array.from({ length: 40 }, (_, i) => newJob({ id: `b-${i}` }))]);
        const batches = await Promise.all(
          Array.from({ length: 12 }, (_, i) => claimMany(4, i % 2 ? WORKER.id : 'w-other')),
        );
        const ids = batches.flat().map((c) => c.job.id);
        expect(ids).toHaveLength(40);
        expect(new Set(ids).size).toBe(40);
      });

      it('takes no more of a limited queue than its limit leaves room for', async () => {
        await store.queueSetConcurrency({ name: 'slow', concurrency: 2 });
        await store.jobInsertMany([
          Array.from({ length: 5 }, (_, i) => newJob({ id: `s-${i}`, queue: 'slow' })),
          [newJob({ id: 'free' })],
        ]);
        const claimed = await claimMany(8);
        expect(claimed.map((c) => c.job.id).sort()).toEqual(['free', 's-0', 's-1']);
      });
    });

    describe('settle', () => {
      async function claimOne(id = 's') {
        await store.jobInsertMany([[newJob({ id, max_retries: 1 })]]);
        return (await claim())!;
      }

      it('completes a job and closes its attempt', async () => {
        const { lease } = await claimOne();
        clock.advance(250);
        expect(await store.jobSettle({ lease, run: okRun, next: { state: 'completed' } })).toBe(
          'completed',
        );
        const job = (await store.jobGet('s'))!;
        expect(job).toMatchObject({
          state: 'completed',
          last_exit_code: 0,
          worker_id: null,
          finished_at: clock.now(),
        });
        const [attempt] = await store.attemptList({ jobId: 's' });
        expect(attempt).toMatchObject({
          outcome: 'completed',
          exit_code: 0,
          finished_at: clock.now(),
        });
        expect(attempt!.finished_at! - attempt!.started_at).toBe(250);
      });

      it('schedules a failed job for after its backoff delay', async () => {
        const { lease } = await claimOne();
        await store.jobSettle({ lease, run: failedRun, next: { state: 'failed', delayMs: 2000 } });
        const job = (await store.jobGet('s'))!;
        expect(job).toMatchObject({
          state: 'failed',
          last_error: 'exited with code 1',
          last_exit_code: 1,
          run_at: clock.now() + 2000,
        });
        expect(await claim()).toBeNull();
        clock.advance(2000);
        const again = (await claim())!;
        expect(again.job).toMatchObject({ id: 's', attempts: 2 });
        expect(again.lease.run).toBe(2);
      });

      it('refuses a settle from a holder that lost the job, and changes nothing', async () => {
        const { lease } = await claimOne();
        const stale: Lease = { ...lease, run: lease.run + 1 };
        expect(
          await store.jobSettle({ lease: stale, run: okRun, next: { state: 'completed' } }),
        ).toBeNull();
        const other: Lease = { ...lease, workerId: 'w-impostor' };
        expect(
          await store.jobSettle({ lease: other, run: okRun, next: { state: 'completed' } }),
        ).toBeNull();
        expect((await store.jobGet('s'))!.state).toBe('processing');
        expect((await store.attemptList({ jobId: 's' }))[0]!.outcome).toBeNull();
      });

      it('keeps the place of a job whose worker was lost; a retry after backoff waits its turn', async () => {
        const { lease } = await claimOne('lost');
        await store.jobInsertMany([[newJob({ id: 'other', max_retries: 1 })]]);
        const other = (await claim())!;
        clock.advance(500);
        await store.jobInsertMany([[newJob({ id: 'newer' })]]);
        clock.advance(500); // settled now, 'lost' still goes before 'newer': it was due first
        const lostRun = {
          outcome: 'worker_lost' as const,
          exitCode: null,
          signal: null,
          error: 'lost',
        };
        await store.jobSettle({ lease, run: lostRun, next: { state: 'failed', delayMs: 0 } });
        const failedRun = {
          outcome: 'failed' as const,
          exitCode: 1,
          signal: null,
          error: 'exit 1',
        };
        await store.jobSettle({
          lease: other.lease,
          run: failedRun,
          next: { state: 'failed', delayMs: 500 },
        });
        clock.advance(500);
        const order = [];
        for (let i = 0; i < 3; i++) order.push((await claim())!.job.id);
        expect(order).toEqual(['lost', 'newer', 'other']);
      });

      it('puts an interrupted job straight back to pending, in its place in claim order', async () => {
        const { lease } = await claimOne();
        const runAt = (await store.jobGet('s'))!.run_at;
        clock.advance(1000);
        await store.jobInsertMany([[newJob({ id: 'newer' })]]);
        const run = {
          outcome: 'interrupted' as const,
          exitCode: null,
          signal: 'SIGKILL',
          error: 'interrupted',
        };
        await store.jobSettle({ lease, run, next: { state: 'pending' } });
        expect((await store.jobGet('s'))!).toMatchObject({ state: 'pending', run_at: runAt });
        expect((await claim())!.job.id).toBe('s');
      });
    });

    describe('settle and claim the next in one step', () => {
      const claimParams = { workerId: WORKER.id, leaseMs: 30_000 };

      it('records the run and takes the next job, with its lease and attempt record', async () => {
        await store.jobInsertMany([[newJob({ id: 'first' }), newJob({ id: 'second' })]]);
        const { lease } = (await claim())!;
        clock.advance(100);
        const { settled, claimed } = await store.jobSettleAndClaim({
          settle: { lease, run: okRun, next: { state: 'completed' } },
          claim: claimParams,
        });
        expect(settled).toBe(true);
        expect((await store.jobGet('first'))!).toMatchObject({ state: 'completed' });
        expect(claimed!.job).toMatchObject({ id: 'second', state: 'processing', attempts: 1 });
        expect(claimed!.lease).toEqual({ jobId: 'second', workerId: WORKER.id, run: 1 });
        expect(await store.attemptList({ jobId: 'second' })).toMatchObject([
          { attempt: 1, worker_id: WORKER.id, started_at: clock.now(), outcome: null },
        ]);
        expect(await store.jobCountByState()).toMatchObject({ completed: 1, processing: 1 });
      });

      it('takes up to its limit, in claim order, each with its lease, the first as claimed', async () => {
        await store.jobInsertMany([
          ['one', 'two', 'three', 'four', 'five'].map((id) => newJob({ id })),
        ]);
        const { lease } = (await claim())!;
        const result = await store.jobSettleAndClaim({
          settle: { lease, run: okRun, next: { state: 'completed' } },
          claim: { ...claimParams, limit: 3 },
        });
        expect(result.state).toBe('completed');
        expect(result.claimed!.job.id).toBe('two');
        expect(result.more.map((c) => c.job.id)).toEqual(['three', 'four']);
        for (const c of result.more) {
          expect(c.lease).toEqual({ jobId: c.job.id, workerId: WORKER.id, run: 1 });
        }
        expect(await store.jobCountByState()).toMatchObject({
          completed: 1,
          processing: 3,
          pending: 1,
        });
        // Fewer left than the limit: what there is.
        const last = await store.jobSettleAndClaim({
          settle: { lease: result.claimed!.lease, run: okRun, next: { state: 'completed' } },
          claim: { ...claimParams, limit: 4 },
        });
        expect([last.claimed!.job.id, ...last.more.map((c) => c.job.id)]).toEqual(['five']);
      });

      it('claims nothing when nothing else is runnable, and still records the run', async () => {
        await store.jobInsertMany([[newJob({ id: 'only' })]]);
        const { lease } = (await claim())!;
        expect(
          await store.jobSettleAndClaim({
            settle: { lease, run: failedRun, next: { state: 'failed', delayMs: 5000 } },
            claim: claimParams,
          }),
        ).toEqual({ settled: true, state: 'failed', claimed: null, more: [] });
        expect((await store.jobGet('only'))!.state).toBe('failed');
      });

      it('still claims after a refused settle, which changes nothing', async () => {
        await store.jobInsertMany([[newJob({ id: 'held' }), newJob({ id: 'next' })]]);
        const { lease } = (await claim())!;
        const { settled, claimed } = await store.jobSettleAndClaim({
          settle: { lease: { ...lease, run: 9 }, run: okRun, next: { state: 'completed' } },
          claim: claimParams,
        });
        expect(settled).toBe(false);
        expect((await store.jobGet('held'))!.state).toBe('processing');
        expect(claimed!.job.id).toBe('next');
      });

      it('keeps the settle when the claim cannot be made', async () => {
        await store.jobInsertMany([[newJob({ id: 'done' }), newJob({ id: 'waiting' })]]);
        const { lease } = (await claim())!;
        const { settled, claimed } = await store.jobSettleAndClaim({
          settle: { lease, run: okRun, next: { state: 'completed' } },
          claim: { workerId: 'w-unregistered', leaseMs: 30_000 },
        });
        expect({ settled, claimed }).toEqual({ settled: true, claimed: null });
        expect((await store.jobGet('done'))!.state).toBe('completed');
        expect((await store.jobGet('waiting'))!.state).toBe('pending');
      });
    });

    describe('waiting', () => {
      it('says how long until the earliest waiting job is due, and null when none waits', async () => {
        expect(await store.jobNextDueIn()).toBeNull();
        const now = clock.now();
        await store.jobInsertMany([
          [
            newJob({ id: 'due', run_at: now }),
            newJob({ id: 'later', run_at: now + 5000 }),
            newJob({ id: 'soon', run_at: now + 1500 }),
          ],
        ]);
        expect(await store.jobNextDueIn()).toBe(1500);
        clock.advance(1000);
        expect(await store.jobNextDueIn()).toBe(500);
        clock.advance(600);
        expect(await store.jobNextDueIn()).toBe(3400);
        clock.advance(5000);
        expect(await store.jobNextDueIn()).toBeNull();
      });

      it('counts a failed job waiting for its retry, not a running one', async () => {
        await store.jobInsertMany([[newJob({ id: 'f' })]]);
        const { lease } = (await claim())!;
        expect(await store.jobNextDueIn()).toBeNull();
        await store.jobSettle({ lease, run: failedRun, next: { state: 'failed', delayMs: 2000 } });
        expect(await store.jobNextDueIn()).toBe(2000);
      });
    });

    describe('dead letter queue', () => {
      async function killJob(id: string) {
        await store.jobInsertMany([[newJob({ id, max_retries: 0 })]]);
        const { lease } = (await claim())!;
        await store.jobSettle({ lease, run: failedRun, next: { state: 'dead' } });
      }

      it('moves a dead job back to pending with attempts reset and its last error kept', async () => {
        await killJob('d');
        const [retried] = await store.jobRetryDead({ ids: ['d'] });
        expect(retried).toMatchObject({
          id: 'd',
          state: 'pending',
          attempts: 0,
          last_error: 'exited with code 1',
        });
        const next = (await claim())!;
        expect(next.job.attempts).toBe(1);
        expect(next.lease.run).toBe(2);
      });

      it('refuses to retry a job that is not dead, or does not exist', async () => {
        await store.jobInsertMany([[newJob({ id: 'alive' })]]);
        await expect(store.jobRetryDead({ ids: ['alive'] })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.jobRetryDead({ ids: ['ghost'] })).rejects.toBeInstanceOf(NotFoundError);
      });

      it('retries several dead jobs at once, returned in the order asked', async () => {
        for (const id of ['d1', 'd2', 'd3']) await killJob(id);
        const retried = await store.jobRetryDead({ ids: ['d3', 'd1', 'd2'] });
        expect(retried.map((job) => [job.id, job.state])).toEqual([
          ['d3', 'pending'],
          ['d1', 'pending'],
          ['d2', 'pending'],
        ]);
      });

      it('retries none of several ids when one is unknown or not dead, naming it', async () => {
        for (const id of ['d1', 'd2']) await killJob(id);
        await store.jobInsertMany([[newJob({ id: 'alive' })]]);
        await expect(store.jobRetryDead({ ids: ['d1', 'ghost', 'd2'] })).rejects.toThrow(
          /no job with id "ghost"/,
        );
        await expect(store.jobRetryDead({ ids: ['d1', 'd2', 'alive'] })).rejects.toThrow(
          /job "alive" is pending, not dead/,
        );
        expect((await store.jobGet('d1'))!.state).toBe('dead');
        expect((await store.jobGet('d2'))!.state).toBe('dead');
        expect((await store.jobCountByState()).dead).toBe(2);
      });

      it('requeues a job once when two retries race', async () => {
        await killJob('race');
        const results = await Promise.allSettled([
          store.jobRetryDead({ ids: ['race'] }),
          store.jobRetryDead({ ids: ['race'] }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect((await store.jobCountByState()).pending).toBe(1);
      });
    });

    describe('reading', () => {
      it('counts jobs in every state', async () => {
        await store.jobInsertMany([
          [newJob({ id: 'x1' }), newJob({ id: 'x2' }), newJob({ id: 'x3' })],
        ]);
        const { lease } = (await claim())!;
        await store.jobSettle({ lease, run: okRun, next: { state: 'completed' } });
        await claim();
        expect(await store.jobCountByState()).toEqual({
          pending: 1,
          processing: 1,
          completed: 1,
          failed: 0,
          dead: 0,
          cancelled: 0,
        });
      });

      it('lists newest first, by state, by search text, and pages by keyset', async () => {
        await store.jobInsertMany([
          Array.from({ length: 5 }, (_, i) =>
            newJob({ id: `l-${i}`, command: i % 2 ? 'make odd' : 'make even' }),
          ),
        ]);
        await claim();
        const all = await store.jobList({ limit: 10 });
        expect(all.map((j) => j.id)).toEqual(['l-4', 'l-3', 'l-2', 'l-1', 'l-0']);
        const page = await store.jobList({ limit: 2, before: 'l-3' });
        expect(page.map((j) => j.id)).toEqual(['l-2', 'l-1']);
        expect((await store.jobList({ state: 'processing', limit: 10 })).map((j) => j.id)).toEqual([
          'l-0',
        ]);
        expect((await store.jobList({ search: 'ODD', limit: 10 })).map((j) => j.id)).toEqual([
          'l-3',
          'l-1',
        ]);
        expect((await store.jobList({ search: '%', limit: 10 })).map((j) => j.id)).toEqual([]);
      });

      it('deletes only a job still in the expected state, so a cancel cannot race a claim', async () => {
        await store.jobInsertMany([[newJob({ id: 'cancel-me' }), newJob({ id: 'taken' })]]);
        await claim();
        const { lease } = (await store.jobListHeld()).map((h) => ({
          lease: { jobId: h.jobId, workerId: h.workerId, run: h.run },
        }))[0]!;
        await store.jobSettle({ lease, run: okRun, next: { state: 'completed' } });
        await expect(store.jobDelete({ ids: ['cancel-me'], onlyIf: 'pending' })).rejects.toThrow(
          /is completed, not pending/,
        );
        expect(await store.jobGet('cancel-me')).not.toBeNull();
        await store.jobDelete({ ids: ['taken'], onlyIf: 'pending' });
        expect(await store.jobGet('taken')).toBeNull();
      });

      it('deletes a job that is not running, and refuses one that is', async () => {
        await store.jobInsertMany([[newJob({ id: 'keep' }), newJob({ id: 'gone' })]]);
        await claim();
        await expect(store.jobDelete({ ids: ['keep'] })).rejects.toBeInstanceOf(ConflictError);
        await store.jobDelete({ ids: ['gone'] });
        expect(await store.jobGet('gone')).toBeNull();
        await expect(store.jobDelete({ ids: ['gone'] })).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('workers and leases', () => {
      it('renews the lease on heartbeat and reports the job process id', async () => {
        await store.jobInsertMany([[newJob({ id: 'h' })]]);
        const { lease } = (await claim())!;
        clock.advance(20_000);
        const beat = await store.workerHeartbeat({
          workerId: WORKER.id,
          lease,
          leaseMs: 30_000,
          jobPid: 999,
        });
        expect(beat).toEqual({
          known: true,
          stopRequested: false,
          leaseHeld: true,
          cancelRequested: false,
        });
        expect((await store.jobGet('h'))!.lease_expires_at).toBe(clock.now() + 30_000);
        const [held] = await store.jobListHeld();
        expect(held).toMatchObject({
          jobId: 'h',
          run: 1,
          workerId: WORKER.id,
          host: 'host-a',
          pid: 4242,
          pidStart: '123',
          jobPid: 999,
          leaseExpired: false,
          attempts: 1,
        });
      });

      it('reports an expired lease and refuses the lost holder afterwards', async () => {
        await store.jobInsertMany([[newJob({ id: 'e' })]]);
        const { lease } = (await claim())!;
        clock.advance(30_000);
        const [held] = await store.jobListHeld();
        expect(held!.leaseExpired).toBe(true);
        const rescued = await store.jobSettle({
          lease: { jobId: 'e', workerId: held!.workerId, run: held!.run },
          run: { outcome: 'worker_lost', exitCode: null, signal: null, error: 'lost' },
          next: { state: 'failed', delayMs: 0 },
        });
        expect(rescued).toBe('failed');
        const beat = await store.workerHeartbeat({
          workerId: WORKER.id,
          lease,
          leaseMs: 30_000,
          jobPid: null,
        });
        expect(beat.leaseHeld).toBe(false);
        expect(
          await store.jobSettle({ lease, run: okRun, next: { state: 'completed' } }),
        ).toBeNull();
        expect((await store.jobGet('e'))!.state).toBe('failed');
      });

      it('carries stop requests, by host or for all, and forgets deregistered workers', async () => {
        await store.workerRegister({ ...WORKER, id: 'w-b', host: 'host-b' });
        const asked = await store.workerRequestStop({ host: 'host-b' });
        expect(asked.map((w) => w.id)).toEqual(['w-b']);
        expect(
          (await store.workerHeartbeat({ workerId: 'w-b', lease: null, leaseMs: 1, jobPid: null }))
            .stopRequested,
        ).toBe(true);
        expect(
          (
            await store.workerHeartbeat({
              workerId: WORKER.id,
              lease: null,
              leaseMs: 1,
              jobPid: null,
            })
          ).stopRequested,
        ).toBe(false);
        expect((await store.workerRequestStop({})).map((w) => w.id).sort()).toEqual(
          ['w-b', WORKER.id].sort(),
        );
        await store.workerDeregister({ workerId: 'w-b' });
        expect(
          (await store.workerHeartbeat({ workerId: 'w-b', lease: null, leaseMs: 1, jobPid: null }))
            .known,
        ).toBe(false);
      });

      it('lists workers and marks those without recent heartbeats stale', async () => {
        clock.advance(10_000);
        await store.workerRegister({ ...WORKER, id: 'w-fresh' });
        const workers = await store.workerList({ staleAfterMs: 5_000 });
        const byId = Object.fromEntries(workers.map((w) => [w.id, w]));
        expect(byId[WORKER.id]).toMatchObject({
          host: 'host-a',
          pid: 4242,
          pid_start: '123',
          stale: true,
        });
        expect(byId['w-fresh']!.stale).toBe(false);
      });
    });

    describe('config and stats', () => {
      it('stores config values', async () => {
        expect(await store.configGetAll()).toEqual({});
        await store.configSet({ key: 'max-retries', value: '5' });
        await store.configSet({ key: 'max-retries', value: '6' });
        expect(await store.configGetAll()).toEqual({ 'max-retries': '6' });
      });

      it('computes figures that match a known workload', async () => {
        await store.jobInsertMany([
          Array.from({ length: 4 }, (_, i) => newJob({ id: `st-${i}`, max_retries: 1 })),
        ]);
        // Three runs that complete in 100, 200 and 300 ms; one that fails twice and dies.
        for (const ms of [100, 200, 300]) {
          const { lease } = (await claim())!;
          clock.advance(ms);
          await store.jobSettle({ lease, run: okRun, next: { state: 'completed' } });
        }
        const first = (await claim())!;
        clock.advance(400);
        await store.jobSettle({
          lease: first.lease,
          run: failedRun,
          next: { state: 'failed', delayMs: 0 },
        });
        const second = (await claim())!;
        clock.advance(500);
        await store.jobSettle({ lease: second.lease, run: failedRun, next: { state: 'dead' } });
        await store.jobInsertMany([[newJob({ id: 'waiting' }), newJob({ id: 'dropped' })]]);
        await store.jobCancel({ ids: ['dropped'] });
        clock.advance(1000);

        const stats = await store.stats({ sinceMs: 3_600_000 });
        expect(stats).toMatchObject({
          completed: 3,
          failed: 2,
          dead: 1,
          cancelled: 1,
          retried: 1,
          oldestWaitingMs: 1000,
        });
        expect(stats.durationMs).toEqual({ min: 100, avg: 300, p50: 300, p95: 400, max: 500 });
        expect(stats.counts).toEqual({
          pending: 1,
          processing: 0,
          completed: 3,
          failed: 0,
          dead: 1,
          cancelled: 1,
        });
        expect(stats.perMinute.reduce((n, m) => n + m.completed, 0)).toBe(3);
        expect(await store.stats({ sinceMs: 1 })).toMatchObject({ completed: 0, cancelled: 0 });
        expect(await store.attemptTotals({ bucketsMs: [150, 350, 1000] })).toEqual([
          {
            queue: 'default',
            count: 5,
            sumMs: 1500,
            completed: 3,
            failed: 2,
            buckets: [
              { leMs: 150, count: 1 },
              { leMs: 350, count: 3 },
              { leMs: 1000, count: 5 },
            ],
          },
        ]);
      });
    });
  });
}
