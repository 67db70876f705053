/**
 * The contract of named queues (limits, pauses), dependencies between jobs and unique keys,
 * called per store like job-store.contract.ts: one definition of "runnable" behind the claim,
 * the next wake-up, the drain check and the counts.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import {
  ConflictError,
  DependencyError,
  DuplicateJobError,
  NotFoundError,
} from '../../src/core/errors.js';
import type { NewJob } from '../../src/core/job.js';
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

export function describeQueuesContract(name: string, open: StoreFactory): void {
  describe(`JobStore contract, queues and dependencies: ${name}`, () => {
    let clock: ManualClock;
    let store: JobStore;
    freshStoreEachTest(open, (opened, openedClock) => {
      store = opened;
      clock = openedClock;
    });

    const insert = (...jobs: Partial<NewJob>[]) =>
      store.jobInsertMany([jobs.map((job) => newJob(job))]);
    const claim = (queues?: string[]) =>
      store.jobClaim({ workerId: WORKER.id, leaseMs: 30_000, queues });
    const claimedId = async (queues?: string[]) => (await claim(queues))?.job.id ?? null;
    const state = async (id: string) => (await store.jobGet(id))?.state;
    const settle = (lease: Lease, next: 'completed' | 'dead' | 'failed') =>
      store.jobSettle({
        lease,
        run: next === 'completed' ? okRun : failedRun,
        next: next === 'failed' ? { state: 'failed', delayMs: 60_000 } : { state: next },
      });
    /** Claims jobs until none is left; their ids in claim order. */
    async function drain(queues?: string[]): Promise<string[]> {
      const ids: string[] = [];
      for (let c = await claim(queues); c; c = await claim(queues)) {
        ids.push(c.job.id);
        await settle(c.lease, 'completed');
      }
      return ids;
    }
    const queueInfo = async (queue: string) =>
      (await store.queueList({ counted: true })).find((q) => q.name === queue);

    describe('named queues', () => {
      it('puts each job in its queue, default unless named, and counts per queue', async () => {
        await insert({ id: 'a' }, { id: 'e1', queue: 'email' }, { id: 'e2', queue: 'email' });
        expect((await store.jobGet('a'))!.queue).toBe('default');
        expect((await store.jobGet('e1'))!.queue).toBe('email');
        expect((await store.jobCountByState({ queue: 'email' })).pending).toBe(2);
        expect((await store.jobCountByState({ queue: 'nope' })).pending).toBe(0);
        expect((await store.jobCountByState()).pending).toBe(3);
        const list = await store.jobList({ limit: 10, queue: 'email' });
        expect(list.map((j) => j.id)).toEqual(['e2', 'e1']);
        expect((await store.jobList({ limit: 10, queue: 'email', state: 'pending' })).length).toBe(
          2,
        );
        const queues = await store.queueList({ counted: true });
        expect(queues.map((q) => q.name)).toEqual(['default', 'email']);
        // Without `counted`, runnable and blocked jobs are not counted (status: flat at any size).
        expect((await store.queueList())[1]).toMatchObject({
          counts: queues[1]!.counts,
          runnable: null,
          blocked: null,
          lag_ms: 0,
        });
        expect(queues[1]).toMatchObject({
          name: 'email',
          concurrency: null,
          paused: false,
          runnable: 2,
          blocked: 0,
          lag_ms: 0,
        });
        expect(queues[1]!.counts).toMatchObject({ pending: 2, processing: 0 });
        const c = (await claim())!;
        expect(c.job.queue).toBe('default');
        expect((await queueInfo('default'))!.counts).toMatchObject({ pending: 0, processing: 1 });
        clock.advance(250);
        expect((await queueInfo('email'))!.lag_ms).toBe(250);
      });

      it('claims across queues by priority, then enqueue order', async () => {
        await insert(
          { id: 'a1', queue: 'a' },
          { id: 'b1', queue: 'b', priority: 5 },
          { id: 'a2', queue: 'a', priority: 5 },
          { id: 'c1', queue: 'c' },
        );
        expect(await drain()).toEqual(['b1', 'a2', 'a1', 'c1']);
      });

      it('claims only from the queues a worker serves', async () => {
        await insert({ id: 'a1', queue: 'a' }, { id: 'b1', queue: 'b' }, { id: 'd1' });
        expect(await claimedId(['b', 'x'])).toBe('b1');
        expect(await claimedId(['b'])).toBeNull();
        expect(await store.jobNextDueIn({ queues: ['b'] })).toBeNull();
        expect(await claimedId(['a', 'default'])).toBe('a1');
      });
    });

    describe('concurrency limits', () => {
      it('never lets more of a queue run than its limit, and takes other queues meanwhile', async () => {
        await store.queueSetConcurrency({ name: 'slow', concurrency: 2 });
        await insert(
          { id: 's1', queue: 'slow', priority: 9 },
          { id: 's2', queue: 'slow', priority: 9 },
          { id: 's3', queue: 'slow', priority: 9 },
          { id: 'f1', queue: 'fast' },
        );
        const first = (await claim())!;
        const second = (await claim())!;
        expect([first.job.id, second.job.id]).toEqual(['s1', 's2']);
        expect(await claimedId()).toBe('f1');
        expect(await claimedId()).toBeNull();
        expect(await queueInfo('slow')).toMatchObject({ concurrency: 2, runnable: 0 });
        await settle(first.lease, 'completed');
        expect(await queueInfo('slow')).toMatchObject({ runnable: 1 });
        expect(await claimedId()).toBe('s3');
      });

      it('applies a lowered limit at once, below what runs, and a removed one', async () => {
        await insert(...Array.from({ length: 6 }, (_, i) => ({ id: `j${i}`, queue: 'q' })));
        const running = [(await claim())!, (await claim())!, (await claim())!];
        expect((await store.queueSetConcurrency({ name: 'q', concurrency: 1 })).concurrency).toBe(
          1,
        );
        expect(await claimedId()).toBeNull();
        await settle(running[0]!.lease, 'completed');
        await settle(running[1]!.lease, 'completed');
        expect(await claimedId()).toBeNull(); // one still runs: at the limit
        await settle(running[2]!.lease, 'completed');
        expect(await claimedId()).toBe('j3');
        expect(await claimedId()).toBeNull();
        await store.queueSetConcurrency({ name: 'q', concurrency: null });
        expect(await claimedId()).toBe('j4');
        expect(await claimedId()).toBe('j5');
      });

      it('frees the slot of a settled job for the claim made with it', async () => {
        await store.queueSetConcurrency({ name: 'one', concurrency: 1 });
        await insert({ id: 'o1', queue: 'one' }, { id: 'o2', queue: 'one' });
        const { lease } = (await claim())!;
        const { settled, claimed } = await store.jobSettleAndClaim({
          settle: { lease, run: okRun, next: { state: 'completed' } },
          claim: { workerId: WORKER.id, leaseMs: 30_000 },
        });
        expect(settled).toBe(true);
        expect(claimed?.job.id).toBe('o2');
      });

      it('creates a queue named only by a limit', async () => {
        const info = await store.queueSetConcurrency({ name: 'later', concurrency: 3 });
        expect(info).toMatchObject({ name: 'later', concurrency: 3, paused: false });
        expect(info.counts.pending).toBe(0);
      });
    });

    describe('pause and resume', () => {
      it('claims nothing from a paused queue until it is resumed; enqueues wait', async () => {
        await insert({ id: 'p1', queue: 'p' });
        const [paused] = await store.queuePause({ names: ['p'], paused: true });
        expect(paused).toMatchObject({ name: 'p', paused: true, runnable: 0, lag_ms: null });
        await insert({ id: 'p2', queue: 'p' }, { id: 'other' });
        expect(await drain()).toEqual(['other']);
        expect(await store.jobNextDueIn()).toBeNull();
        expect(await store.jobLeftToRun()).toBe(false);
        await store.queuePause({ names: ['p'], paused: false });
        expect(await drain()).toEqual(['p1', 'p2']);
      });

      it('lets a running job finish, and pauses or resumes every queue at once', async () => {
        await insert({ id: 'a1', queue: 'a' }, { id: 'b1', queue: 'b' }, { id: 'b2', queue: 'b' });
        const running = (await claim())!;
        const all = await store.queuePause({ paused: true });
        expect(all.map((q) => [q.name, q.paused])).toEqual([
          ['a', true],
          ['b', true],
          ['default', true],
        ]);
        expect(await claimedId()).toBeNull();
        expect(await store.jobLeftToRun()).toBe(true); // a1 still runs
        expect(await settle(running.lease, 'completed')).toBe('completed');
        expect(await store.jobLeftToRun()).toBe(false);
        await store.queuePause({ paused: false });
        expect(await drain()).toEqual(['b1', 'b2']);
      });

      it('creates a queue that is paused before it has jobs; resuming an unknown one changes nothing', async () => {
        await store.queuePause({ names: ['early'], paused: true });
        await insert({ id: 'e', queue: 'early' });
        expect(await claimedId()).toBeNull();
        await expect(
          store.queuePause({ names: ['early', 'ghost'], paused: false }),
        ).rejects.toBeInstanceOf(NotFoundError);
        expect((await queueInfo('early'))!.paused).toBe(true);
        expect(await queueInfo('ghost')).toBeUndefined();
      });
    });

    describe('dependencies', () => {
      it('holds a job until every job it was enqueued after has completed', async () => {
        await insert({ id: 'a' }, { id: 'b' }, { id: 'c', after: ['a', 'b'], priority: 9 });
        expect((await store.jobGet('c'))!.waiting_for).toEqual(['a', 'b']);
        expect(await queueInfo('default')).toMatchObject({ runnable: 2, blocked: 1 });
        const a = (await claim())!;
        expect(a.job.id).toBe('a');
        await settle(a.lease, 'completed');
        expect((await store.jobGet('c'))!.waiting_for).toEqual(['b']);
        const b = (await claim())!;
        expect(b.job.id).toBe('b');
        expect(await claimedId()).toBeNull();
        clock.advance(100);
        await settle(b.lease, 'completed');
        const c = (await store.jobGet('c'))!;
        expect(c.waiting_for).toEqual([]);
        expect(c.run_at).toBe(clock.now()); // released now: its lag counts from here
        expect(await claimedId()).toBe('c');
        const links = await store.jobDependencies({ id: 'c' });
        expect(links.dependencies).toEqual([
          { id: 'a', state: 'completed', met: true },
          { id: 'b', state: 'completed', met: true },
        ]);
        expect(await store.jobDependencies({ id: 'a' })).toEqual({
          dependencies: [],
          dependents: [{ id: 'c', state: 'processing' }],
          dependentsTotal: 1,
        });
        await expect(store.jobDependencies({ id: 'ghost' })).rejects.toBeInstanceOf(NotFoundError);
      });

      it('cancels the chain below a job that ends dead, each naming its dependency', async () => {
        await insert(
          { id: 'a', max_retries: 0 },
          { id: 'b', after: ['a'] },
          { id: 'c', after: ['b'] },
          { id: 'x', priority: -1 },
          { id: 'd', after: ['a', 'x'] },
        );
        const a = (await claim())!;
        expect(a.job.id).toBe('a');
        await settle(a.lease, 'dead');
        expect(await store.jobGet('b')).toMatchObject({
          state: 'cancelled',
          last_error: 'dependency a is dead',
          finished_at: clock.now(),
        });
        expect(await store.jobGet('c')).toMatchObject({
          state: 'cancelled',
          last_error: 'dependency b is cancelled',
        });
        expect((await store.jobGet('d'))!.last_error).toBe('dependency a is dead');
        expect(await state('x')).toBe('pending');
        expect((await store.jobCountByState()).cancelled).toBe(3);
      });

      it('records the on-cancelled hook of every job a dependency cancels, once each', async () => {
        const hooked = async () =>
          (await store.hookOutboxTake({ limit: 100 }))
            .map((hook) => `${hook.job_id} ${hook.state}`)
            .sort();
        await insert({ id: 'quiet', max_retries: 0 }, { id: 'quiet-after', after: ['quiet'] });
        await settle((await claim())!.lease, 'dead');
        expect(await state('quiet-after')).toBe('cancelled');
        expect(await hooked()).toEqual([]); // no hook set: nothing recorded
        await store.configSet({ key: 'hook:on-cancelled', value: 'echo x' });
        await insert(
          { id: 'a', max_retries: 0 },
          { id: 'b', after: ['a'] },
          { id: 'c', after: ['b'] },
          { id: 'u' },
          { id: 'v', after: ['u'] },
          { id: 'w', after: ['v'] },
        );
        // A worker's settle to dead: the chain below (the dead job's own hook is the worker's).
        const a = (await claim())!;
        expect(a.job.id).toBe('a');
        await settle(a.lease, 'dead');
        expect(await hooked()).toEqual(['b cancelled', 'c cancelled']);
        // A user's cancel: the job and its chain.
        await store.jobCancel({ ids: ['u'] });
        expect(await hooked()).toEqual(['u cancelled', 'v cancelled', 'w cancelled']);
        // Enqueued after a dead job: cancelled at once, with what waits for it.
        await insert({ id: 'late', after: ['a'] }, { id: 'later', after: ['late'] });
        expect(await hooked()).toEqual(['late cancelled', 'later cancelled']);
        // Restarted while its dependency is still dead: cancelled again.
        await store.jobRestart({ ids: ['b'] });
        expect(await hooked()).toEqual(['b cancelled']);
        expect(await store.jobRestartState({ state: 'cancelled' })).toBeGreaterThan(0);
        expect(await state('b')).toBe('cancelled');
        expect((await hooked()).filter((hook) => hook === 'b cancelled')).toEqual(['b cancelled']);
      });

      it('leaves dependents waiting while their dependency waits for a retry', async () => {
        await insert({ id: 'a' }, { id: 'b', after: ['a'] });
        await settle((await claim())!.lease, 'failed');
        expect(await state('b')).toBe('pending');
        expect((await store.jobGet('b'))!.waiting_for).toEqual(['a']);
      });

      it('cancels dependents with a job cancelled by a user, waiting or running', async () => {
        await insert(
          { id: 'wait' },
          { id: 'run' },
          { id: 'after-wait', after: ['wait'] },
          { id: 'after-run', after: ['run'] },
        );
        const run = (await claim(['default']))!;
        expect(run.job.id).toBe('wait');
        // 'wait' runs now; cancel the other one while it waits, then this one while it runs.
        await store.jobCancel({ ids: ['run'] });
        expect((await store.jobGet('after-run'))!.last_error).toBe('dependency run is cancelled');
        await store.jobCancel({ ids: ['wait'] });
        expect(await state('after-wait')).toBe('pending');
        await store.jobSettle({
          lease: run.lease,
          run: cancelledRun,
          next: { state: 'cancelled' },
        });
        expect((await store.jobGet('after-wait'))!.last_error).toBe('dependency wait is cancelled');
      });

      it('does not revive cancelled dependents when the dependency is restarted', async () => {
        await insert({ id: 'a', max_retries: 0 }, { id: 'b', after: ['a'] });
        await settle((await claim())!.lease, 'dead');
        await store.jobRestart({ ids: ['a'] });
        expect(await state('b')).toBe('cancelled');
        // Restarted itself, it waits for the restarted dependency again.
        expect((await store.jobRestart({ ids: ['b'] }))[0]!.state).toBe('pending');
        expect(await claimedId()).toBe('a');
        expect(await claimedId()).toBeNull();
      });

      it('cancels again at once a dependent restarted while its dependency is still dead', async () => {
        await insert({ id: 'a', max_retries: 0 }, { id: 'b', after: ['a'] });
        await settle((await claim())!.lease, 'dead');
        const [b] = await store.jobRestart({ ids: ['b'] });
        expect(b).toMatchObject({ state: 'cancelled', last_error: 'dependency a is dead' });
        expect(await store.jobRestartState({ state: 'cancelled' })).toBe(1);
        expect(await state('b')).toBe('cancelled');
        // Restarted together, the dependent waits for its dependency.
        const both = await store.jobRestart({ ids: ['b', 'a'] });
        expect(both.map((job) => job.state)).toEqual(['pending', 'pending']);
      });

      it('refuses an unknown dependency or one later in the batch, storing nothing', async () => {
        await insert({ id: 'known' });
        const unknown = await insert({ id: 'n1' }, { id: 'n2', after: ['known', 'ghost'] }).catch(
          (e: unknown) => e,
        );
        expect(unknown).toBeInstanceOf(DependencyError);
        expect(unknown).toMatchObject({ dependency: 'ghost', reason: 'unknown', position: 1 });
        const later = await insert({ id: 'n1', after: ['n2'] }, { id: 'n2', after: ['n1'] }).catch(
          (e: unknown) => e,
        );
        expect(later).toMatchObject({ dependency: 'n2', reason: 'later', position: 0 });
        expect(await store.jobGet('n1')).toBeNull();
        expect((await store.jobCountByState()).pending).toBe(1);
      });

      it('links jobs of one large streamed batch, earlier to later', async () => {
        const jobs = Array.from({ length: 2500 }, (_, i) =>
          newJob({ id: `s-${i}`, after: i > 0 && i % 2 === 0 ? [`s-${i - 1}`] : [] }),
        );
        const result = await store.jobInsertMany(
          (function* () {
            for (let b = 0; b < jobs.length; b += 1000) yield jobs.slice(b, b + 1000);
          })(),
        );
        expect(result.stored).toBe(2500);
        expect((await store.jobGet('s-2000'))!.waiting_for).toEqual(['s-1999']);
        expect((await queueInfo('default'))!.blocked).toBe(1249);
        const bad = [...jobs.map((j) => ({ ...j, id: `t${j.id}`, after: [] as string[] }))];
        bad[1500] = { ...bad[1500]!, after: ['ts-2000'] };
        const error = await store
          .jobInsertMany(
            (function* () {
              for (let b = 0; b < bad.length; b += 1000) yield bad.slice(b, b + 1000);
            })(),
          )
          .catch((e: unknown) => e);
        expect(error).toMatchObject({ dependency: 'ts-2000', position: 1500 });
        expect(await store.jobGet('ts-0')).toBeNull();
      });

      it('stores a job after one already dead as cancelled, after one completed as ready', async () => {
        await insert({ id: 'dead', max_retries: 0 }, { id: 'done' });
        await settle((await claim())!.lease, 'dead');
        await settle((await claim())!.lease, 'completed');
        await insert({ id: 'doomed', after: ['dead'] }, { id: 'below', after: ['doomed'] });
        expect(await store.jobGet('doomed')).toMatchObject({
          state: 'cancelled',
          last_error: 'dependency dead is dead',
        });
        expect((await store.jobGet('below'))!.last_error).toBe('dependency doomed is cancelled');
        await insert({ id: 'free', after: ['done'] });
        expect((await store.jobGet('free'))!.waiting_for).toEqual([]);
        expect(await claimedId()).toBe('free');
      });

      it('refuses to remove a job that others still wait for, unless removed with them', async () => {
        await insert({ id: 'a' }, { id: 'b', after: ['a'] });
        const error = await store.jobDelete({ ids: ['a'] }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as Error).message).toMatch(/still waited for by job b \(pending\)/);
        expect(await state('a')).toBe('pending');
        await store.jobDelete({ ids: ['a', 'b'] });
        expect(await store.jobGet('b')).toBeNull();
        // A finished dependent does not hold its dependency back.
        await insert({ id: 'c' }, { id: 'd', after: ['c'] });
        await store.jobCancel({ ids: ['d'] });
        await store.jobDelete({ ids: ['c'] });
        expect((await store.jobDependencies({ id: 'd' })).dependencies).toEqual([]);
      });

      it('does not keep a draining worker for jobs that wait for what cannot run', async () => {
        await store.queuePause({ names: ['held'], paused: true });
        await insert({ id: 'root', queue: 'held' }, { id: 'leaf', after: ['root'] });
        expect(await store.jobLeftToRun()).toBe(false);
        await insert({ id: 'free' });
        expect(await store.jobLeftToRun()).toBe(true);
        expect(await store.jobNextDueIn()).toBeNull();
        await settle((await claim())!.lease, 'completed');
        expect(await store.jobLeftToRun()).toBe(false);
        await store.queuePause({ names: ['held'], paused: false });
        expect(await store.jobLeftToRun()).toBe(true);
        expect(await store.jobLeftToRun({ queues: ['default'] })).toBe(true); // root can run
        expect(await drain()).toEqual(['root', 'leaf']);
        expect(await store.jobLeftToRun()).toBe(false);
      });

      it('wakes for a released dependent that was scheduled, not for blocked ones', async () => {
        const now = clock.now();
        await insert({ id: 'a' }, { id: 'b', after: ['a'], run_at: now + 5000 });
        expect(await store.jobNextDueIn()).toBeNull();
        await settle((await claim())!.lease, 'completed');
        expect(await store.jobNextDueIn()).toBe(5000);
      });
    });

    describe('unique keys', () => {
      it('stores nothing for a key held by a waiting, retrying or running job', async () => {
        await insert({ id: 'first', unique_key: 'k' });
        const again = await insert({ id: 'second', unique_key: 'k' });
        expect(again).toEqual({
          stored: 0,
          skipped: 1,
          skippedJobs: [{ position: 0, id: 'second', uniqueKey: 'k', existingId: 'first' }],
        });
        expect(await store.jobGet('second')).toBeNull();
        const running = (await claim())!;
        expect((await insert({ id: 'third', unique_key: 'k' })).stored).toBe(0);
        await settle(running.lease, 'failed');
        expect((await insert({ id: 'fourth', unique_key: 'k' })).skipped).toBe(1);
        await store.jobCancel({ ids: ['first'] });
        expect((await insert({ id: 'fifth', unique_key: 'k' })).stored).toBe(1);
      });

      it('keeps the first of a batch and points a dependency on a skipped job at the holder', async () => {
        await insert({ id: 'held', unique_key: 'k1' });
        const result = await insert(
          { id: 'x1', unique_key: 'k2' },
          { id: 'x2', unique_key: 'k2' },
          { id: 'x3', unique_key: 'k1' },
          { id: 'x4', after: ['x2', 'x3'] },
        );
        expect(result.stored).toBe(2);
        expect(result.skippedJobs.map((s) => [s.id, s.existingId])).toEqual([
          ['x2', 'x1'],
          ['x3', 'held'],
        ]);
        expect((await store.jobGet('x4'))!.waiting_for).toEqual(['held', 'x1']);
      });

      it('skips keyed jobs of a large streamed batch too', async () => {
        await insert({ id: 'holder', unique_key: 'k-7' });
        const result = await store.jobInsertMany(
          (function* () {
            for (let b = 0; b < 2; b++)
              yield Array.from({ length: 1000 }, (_, i) =>
                newJob({ id: `m-${b}-${i}`, unique_key: `k-${i % 10}` }),
              );
          })(),
        );
        expect(result.stored).toBe(9);
        expect(result.skipped).toBe(1991);
        expect(result.skippedJobs[0]).toMatchObject({ id: 'm-0-7', existingId: 'holder' });
        expect(result.skippedJobs[1]).toMatchObject({ id: 'm-0-10', existingId: 'm-0-0' });
      });

      it('refuses to restart a job whose key another holds, and a duplicate id still fails', async () => {
        await insert({ id: 'old', unique_key: 'k', max_retries: 0 });
        await settle((await claim())!.lease, 'completed');
        await insert({ id: 'new', unique_key: 'k' });
        const error = await store.jobRestart({ ids: ['old'] }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as Error).message).toMatch(/unique key "k", which job "new" holds/);
        expect(await store.jobRestartState({ state: 'completed' })).toBe(0);
        expect(await state('old')).toBe('completed');
        await expect(insert({ id: 'new', unique_key: 'other' })).rejects.toBeInstanceOf(
          DuplicateJobError,
        );
      });

      it('stores one job for one key under concurrent enqueues', async () => {
        // PostgreSQL: on the pool's several connections at once (20 processes: test/e2e).
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.jobInsertMany([[newJob({ id: `race-${i}`, unique_key: 'one' })]]),
          ),
        );
        expect(results.reduce((n, r) => n + r.stored, 0)).toBe(1);
        expect((await store.jobCountByState()).pending).toBe(1);
      });
    });
  });
}
