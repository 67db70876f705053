/**
 * Issue 15's part of the store contract, run for every store with an injected clock: the
 * maintenance leader's lease (with the leader rules of core/leadership.ts: never two leaders at
 * once), retention (expired jobs listed and deleted in batches, with their attempts and output
 * files), schedules (one job per slot by compare and set), hooks of command-settled jobs, and
 * settles that report the state they recorded.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { cleanFinished } from '../../src/core/cleaner.js';
import { ConflictError } from '../../src/core/errors.js';
import { leaderTimings, leadsUntil, MAINTENANCE_LEASE } from '../../src/core/leadership.js';
import { logPath } from '../../src/core/output-files.js';
import { slotJob, type NewSchedule } from '../../src/core/schedule.js';
import type { JobStore } from '../../src/store/job-store.js';
import { newJob } from '../helpers/job-factory.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  failedRun,
  freshStoreEachTest,
  okRun,
  WORKER,
  type StoreFactory,
} from './job-store.contract.js';

const NAME = MAINTENANCE_LEASE;

function schedule(overrides: Partial<NewSchedule> = {}): NewSchedule {
  return {
    name: 'tick',
    cron: null,
    timezone: null,
    every_ms: 1000,
    command: 'echo tick',
    priority: 0,
    max_retries: null,
    timeout_seconds: null,
    cwd: null,
    queue: 'default',
    env: null,
    overlap: 'skip',
    catch_up: false,
    anchor_at: 0,
    next_at: 1000,
    ...overrides,
  };
}

export function describeMaintenanceContract(name: string, open: StoreFactory): void {
  describe(`JobStore contract, issue 15: ${name}`, () => {
    let clock: ManualClock;
    let store: JobStore;
    freshStoreEachTest(open, (opened, openedClock) => {
      store = opened;
      clock = openedClock;
    });

    const acquire = (holder: string, ttlMs = 10_000) =>
      store.leaderAcquire({ name: NAME, holder, host: `host-${holder}`, ttlMs });

    describe('the maintenance leader', () => {
      it('grants the lease to one holder until it runs out, then to another with a new term', async () => {
        const a = await acquire('a');
        expect(a.held).toBe(true);
        expect(a.leader).toMatchObject({ holder: 'a', host: 'host-a', term: 1, expired: false });
        expect(a.leader!.expires_at).toBe(clock.now() + 10_000);

        const b = await acquire('b');
        expect(b).toMatchObject({ held: false, leader: { holder: 'a', term: 1 } });

        clock.advance(5000);
        const renewed = await acquire('a');
        expect(renewed).toMatchObject({ held: true, leader: { holder: 'a', term: 1 } });
        expect(renewed.leader!.since_at).toBe(a.leader!.since_at);

        clock.advance(9999);
        expect((await acquire('b')).held).toBe(false);
        clock.advance(1);
        const taken = await acquire('b');
        expect(taken).toMatchObject({ held: true, leader: { holder: 'b', term: 2 } });
        expect(taken.leader!.since_at).toBe(clock.now());
        // The old holder's renewal is refused and says who holds it now.
        expect(await acquire('a')).toMatchObject({ held: false, leader: { holder: 'b' } });
        expect(await store.leaderGet({ name: NAME })).toMatchObject({
          holder: 'b',
          expired: false,
        });
      });

      it('grants one of many simultaneous requests', async () => {
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => acquire(`w${i}`)));
        const held = results.filter((r) => r.held);
        expect(held).toHaveLength(1);
        const holder = held[0]!.leader!.holder;
        for (const r of results) expect(r.leader!.holder).toBe(holder);
      });

      it('hands the lease over at once when its holder releases it', async () => {
        await acquire('a');
        await store.leaderRelease({ name: NAME, holder: 'b' }); // not b's to release
        expect((await acquire('b')).held).toBe(false);
        await store.leaderRelease({ name: NAME, holder: 'a' });
        expect((await store.leaderGet({ name: NAME }))!.expired).toBe(true);
        expect((await acquire('b')).held).toBe(true);
      });

      it('keeps a lease through a clock that goes back: nobody takes it before it runs out', async () => {
        await acquire('a');
        clock.advance(-3_600_000);
        expect((await acquire('b')).held).toBe(false);
        clock.advance(3_600_000 + 10_000);
        expect((await acquire('b')).held).toBe(true);
      });

      it('never has two leaders at once under the leader rules, and a dead leader is replaced within lease-timeout', async () => {
        // One clock drives the store and the workers' monotonic clocks (same rate).
        const leaseTimeoutMs = 30_000;
        const timings = leaderTimings(leaseTimeoutMs);
        const until = new Map<string, number>();
        const leads = (holder: string) => clock.now() < (until.get(holder) ?? 0);
        const ask = async (holder: string) => {
          const sentAt = clock.now();
          // The request takes a while to reach the store, as over a network.
          clock.advance(50);
          const { held } = await acquire(holder, timings.ttlMs);
          until.set(holder, held ? leadsUntil(sentAt, timings) : 0);
        };
        let deadAt: number | null = null;
        let takenOverAt: number | null = null;
        let seed = 7;
        const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        for (let step = 0; step < 300; step++) {
          // a dies at step 100 (stops asking); until then both ask every tryEvery, jittered.
          if (step === 100) deadAt = clock.now();
          if (deadAt === null) await ask('a');
          await ask('b');
          expect(leads('a') && leads('b'), `step ${step}`).toBe(false);
          if (deadAt !== null && takenOverAt === null && leads('b')) takenOverAt = clock.now();
          clock.advance(Math.floor(timings.tryEveryMs * (0.5 + random())));
          expect(leads('a') && leads('b'), `step ${step}, after the pause`).toBe(false);
        }
        expect(takenOverAt).not.toBeNull();
        // Replaced within lease-timeout of its last renewal (plus the jitter of the test's steps).
        expect(takenOverAt! - deadAt!).toBeLessThanOrEqual(leaseTimeoutMs + timings.tryEveryMs);
      });
    });

    describe('retention', () => {
      /** Jobs that finish `agesMs` ago (one each), in `state`. */
      async function finishedJobs(state: 'completed' | 'dead', agesMs: number[]) {
        const ids: string[] = [];
        const start = clock.now();
        const sorted = [...agesMs].sort((x, y) => y - x);
        for (const age of sorted) {
          clock.set(start - age);
          const job = newJob({ max_retries: 0 });
          ids.push(job.id);
          await store.jobInsertMany([[job]]);
          const claimed = (await store.jobClaim({ workerId: WORKER.id, leaseMs: 30_000 }))!;
          await store.jobSettle({
            lease: claimed.lease,
            run: state === 'completed' ? okRun : failedRun,
            next: { state },
          });
        }
        clock.set(start);
        return ids;
      }

      it('lists and deletes only jobs in the state that finished long enough ago, with their attempts', async () => {
        const old = await finishedJobs('completed', [10_000, 20_000, 30_000]);
        const recent = await finishedJobs('completed', [1000]);
        const dead = await finishedJobs('dead', [50_000]);
        await store.jobInsertMany([[newJob({ id: 'waiting' })]]);

        const page1 = await store.jobListExpired({
          state: 'completed',
          olderThanMs: 5000,
          limit: 2,
          after: null,
        });
        expect(page1.jobs.map((j) => j.id)).toEqual([old[0], old[1]]);
        const page2 = await store.jobListExpired({
          state: 'completed',
          olderThanMs: 5000,
          limit: 2,
          after: page1.next,
        });
        expect(page2).toEqual({ jobs: [{ id: old[2], runs: 1 }], next: null });
        expect((await store.jobCountByState()).completed).toBe(4); // listing changed nothing

        const batch = await store.jobPurgeExpired({
          state: 'completed',
          olderThanMs: 5000,
          limit: 2,
        });
        expect(batch.map((j) => j.id)).toEqual([old[0], old[1]]);
        const rest = await store.jobPurgeExpired({
          state: 'completed',
          olderThanMs: 5000,
          limit: 2,
        });
        expect(rest).toEqual([{ id: old[2], runs: 1 }]);
        expect(
          await store.jobPurgeExpired({ state: 'completed', olderThanMs: 5000, limit: 2 }),
        ).toEqual([]);
        for (const id of old) {
          expect(await store.jobGet(id)).toBeNull();
          expect(await store.attemptList({ jobId: id })).toEqual([]);
        }
        expect(await store.jobGet(recent[0]!)).not.toBeNull();
        expect(await store.jobGet(dead[0]!)).not.toBeNull();
        expect(await store.jobGet('waiting')).not.toBeNull();
        expect(await store.jobCountByState()).toMatchObject({ completed: 1, dead: 1, pending: 1 });
      });

      it('removes the output files of deleted jobs and counts their bytes; a dry run changes nothing', async () => {
        const [id] = await finishedJobs('dead', [60_000]);
        const logDir = join(tempDir(), 'logs');
        mkdirSync(logDir);
        writeFileSync(logPath(logDir, id!, 1, 'stdout'), 'x'.repeat(100));
        writeFileSync(logPath(logDir, id!, 1, 'stderr'), 'y'.repeat(23));
        const targets = [{ state: 'dead' as const, olderThanMs: 1000 }];

        const dry = await cleanFinished(store, logDir, targets, { dryRun: true });
        expect(dry).toMatchObject({ jobs: 1, bytes: 123, dryRun: true });
        expect(await store.jobGet(id!)).not.toBeNull();
        expect(existsSync(logPath(logDir, id!, 1, 'stdout'))).toBe(true);

        const done = await cleanFinished(store, logDir, targets, { batchSize: 1 });
        expect(done).toMatchObject({ jobs: 1, byState: { dead: 1 }, bytes: 123, dryRun: false });
        expect(await store.jobGet(id!)).toBeNull();
        expect(existsSync(logPath(logDir, id!, 1, 'stdout'))).toBe(false);
        expect(existsSync(logPath(logDir, id!, 1, 'stderr'))).toBe(false);
      });

      it('stops between batches when told to (a leader that lost its lease)', async () => {
        await finishedJobs('completed', [10_000, 20_000, 30_000]);
        let asked = 0;
        const report = await cleanFinished(
          store,
          tempDir(),
          [{ state: 'completed', olderThanMs: 0 }],
          {
            batchSize: 1,
            keepGoing: () => asked++ < 2,
          },
        );
        expect(report).toMatchObject({ jobs: 2, complete: false });
        expect((await store.jobCountByState()).completed).toBe(1);
      });
    });

    describe('schedules', () => {
      it('stores a schedule once per name and lists it with its environment', async () => {
        await store.scheduleInsert(
          schedule({ env: { inherit: true, vars: { TOKEN: 's3cret' } }, cwd: '/tmp' }),
        );
        await expect(store.scheduleInsert(schedule())).rejects.toBeInstanceOf(ConflictError);
        const [stored] = await store.scheduleList();
        expect(stored).toMatchObject({
          name: 'tick',
          every_ms: 1000,
          next_at: 1000,
          paused: false,
          fired: 0,
          last_job_id: null,
          last_job_state: null,
          env: { inherit: true, vars: { TOKEN: 's3cret' } },
          env_names: ['TOKEN'],
          cwd: '/tmp',
          created_at: clock.now(),
        });
        expect(await store.scheduleSetPaused({ name: 'tick', paused: true })).toBe(true);
        expect((await store.scheduleList())[0]).toMatchObject({ paused: true, next_at: 1000 });
        await store.scheduleSetPaused({ name: 'tick', paused: false, nextAt: 5000 });
        expect((await store.scheduleList())[0]).toMatchObject({ paused: false, next_at: 5000 });
        expect(await store.scheduleSetPaused({ name: 'nope', paused: true })).toBe(false);
        expect(await store.scheduleDelete({ name: 'tick' })).toBe(true);
        expect(await store.scheduleDelete({ name: 'tick' })).toBe(false);
      });

      it('moves a schedule on from the slot read only once, and inserts that slot job once', async () => {
        await store.scheduleInsert(schedule({ env: { inherit: false, vars: { A: '1' } } }));
        const [stored] = await store.scheduleList();
        const fire = { slotAt: 1000, job: slotJob(stored!, 1000, 3) };
        const step = { name: 'tick', from: 1000, to: 2000, fire, skipped: 0, missed: 0 };
        const results = await Promise.all([
          store.scheduleAdvance(step),
          store.scheduleAdvance(step),
          store.scheduleAdvance(step),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        const [after] = await store.scheduleList();
        expect(after).toMatchObject({
          next_at: 2000,
          fired: 1,
          last_slot_at: 1000,
          last_job_id: 'tick:1970-01-01T00:00:01Z',
          last_job_state: 'pending',
        });
        expect(await store.jobCountByState()).toMatchObject({ pending: 1 });
        expect(await store.jobGet('tick:1970-01-01T00:00:01Z')).toMatchObject({
          command: 'echo tick',
          max_retries: 3,
          env_names: ['A'],
        });
        // A paused schedule does not move.
        await store.scheduleSetPaused({ name: 'tick', paused: true });
        expect(await store.scheduleAdvance({ ...step, from: 2000, to: 3000, fire: null })).toBe(
          false,
        );
      });

      it('moves on when the slot job exists already (the slot has fired), and counts skips and misses', async () => {
        await store.scheduleInsert(schedule());
        const [stored] = await store.scheduleList();
        const job = slotJob(stored!, 1000, 0);
        await store.jobInsertMany([[{ ...job, command: 'enqueued by hand' }]]);
        const moved = await store.scheduleAdvance({
          name: 'tick',
          from: 1000,
          to: 2000,
          fire: { slotAt: 1000, job },
          skipped: 0,
          missed: 2,
        });
        expect(moved).toBe(true);
        expect((await store.jobGet(job.id))!.command).toBe('enqueued by hand');
        await store.scheduleAdvance({
          name: 'tick',
          from: 2000,
          to: 3000,
          fire: null,
          skipped: 1,
          missed: 0,
        });
        expect((await store.scheduleList())[0]).toMatchObject({
          next_at: 3000,
          fired: 1,
          skipped: 1,
          missed: 2,
        });
      });
    });

    describe('hooks and settles', () => {
      it('records a hook for a job cancelled while waiting only while an on-cancelled hook is set', async () => {
        await store.jobInsertMany([[newJob({ id: 'c1' }), newJob({ id: 'c2' })]]);
        await store.jobCancel({ ids: ['c1'] });
        expect(await store.hookOutboxTake({ limit: 10 })).toEqual([]);
        await store.configSet({ key: 'hook:on-cancelled', value: 'echo x' });
        await store.jobCancel({ ids: ['c2'] });
        const [taken, ...more] = await store.hookOutboxTake({ limit: 10 });
        expect(more).toEqual([]);
        expect(taken).toMatchObject({
          job_id: 'c2',
          state: 'cancelled',
          attempt: 0,
          exit_code: null,
        });
        expect(await store.hookOutboxTake({ limit: 10 })).toEqual([]);
        expect(await store.configDelete({ key: 'hook:on-cancelled' })).toBe(true);
        expect(await store.configDelete({ key: 'hook:on-cancelled' })).toBe(false);
        expect(await store.configGetAll()).not.toHaveProperty('hook:on-cancelled');
      });

      it('says which state a settle recorded, also when a cancel came first', async () => {
        await store.jobInsertMany([[newJob({ id: 's1' }), newJob({ id: 's2' })]]);
        const one = (await store.jobClaim({ workerId: WORKER.id, leaseMs: 30_000 }))!;
        expect(
          await store.jobSettle({ lease: one.lease, run: okRun, next: { state: 'completed' } }),
        ).toBe('completed');
        const two = (await store.jobClaim({ workerId: WORKER.id, leaseMs: 30_000 }))!;
        await store.jobCancel({ ids: ['s2'] });
        const settled = await store.jobSettleAndClaim({
          settle: {
            lease: two.lease,
            run: failedRun,
            next: { state: 'failed', delayMs: 1000 },
            ifCancelRequested: { state: 'cancelled' },
          },
          claim: { workerId: WORKER.id, leaseMs: 30_000 },
        });
        expect(settled).toMatchObject({ settled: true, state: 'cancelled', claimed: null });
        expect(
          await store.jobSettle({ lease: two.lease, run: okRun, next: { state: 'completed' } }),
        ).toBeNull();
      });
    });
  });
}
