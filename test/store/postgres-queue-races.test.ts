/**
 * Races that only PostgreSQL has (SQLite has one writer at a time): claims on many connections
 * at once against a concurrency limit, against a pause, and enqueues of one unique key.
 */
import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { JobStore } from '../../src/store/job-store.js';
import { openPostgresStore } from '../../src/store/postgres/open-postgres-store.js';
import { newJob } from '../helpers/job-factory.js';
import { describePg, freshPgUrl } from '../helpers/postgres.js';
import { okRun } from './job-store.contract.js';

const stores: JobStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

/** `count` stores (4 connections each) on one fresh schema, as if on as many hosts. */
async function hosts(count: number): Promise<JobStore[]> {
  const url = freshPgUrl();
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const opened = [];
  for (let i = 0; i < count; i++) opened.push(await openPostgresStore(url, { clock }));
  stores.push(...opened);
  return opened;
}

describePg('PostgreSQL queue races', () => {
  it('never runs more than a queue limit, with 12 workers claiming at once on 3 hosts', async () => {
    const [first, ...others] = await hosts(3);
    const all = [first!, ...others];
    await first!.queueSetConcurrency({ name: 'two', concurrency: 2 });
    await first!.jobInsertMany([
      Array.from({ length: 60 }, (_, i) => newJob({ id: `t-${i}`, queue: 'two' })),
    ]);
    let running = 0;
    let most = 0;
    let done = 0;
    const worker = async (store: JobStore, id: string) => {
      await store.workerRegister({ id, host: id, pid: 1, pidStart: null });
      for (let idle = 0; idle < 200 && done < 60;) {
        const claimed = await store.jobClaim({ workerId: id, leaseMs: 60_000 });
        if (!claimed) {
          idle++;
          await new Promise((resolve) => setTimeout(resolve, 2));
          continue;
        }
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        running--; // before the settle commits: the store may count it a moment longer
        await store.jobSettle({ lease: claimed.lease, run: okRun, next: { state: 'completed' } });
        done++;
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, i) => worker(all[i % 3]!, `w-${i}`)));
    expect(done).toBe(60);
    expect(most).toBe(2);
  }, 60_000);

  it('claims nothing of a queue once its pause has returned, whatever claims were in flight', async () => {
    const [first, ...others] = await hosts(3);
    const all = [first!, ...others];
    await first!.jobInsertMany([
      Array.from({ length: 3000 }, (_, i) => newJob({ id: `p-${i}`, queue: 'p' })),
    ]);
    let stop = false;
    const worker = async (store: JobStore, id: string) => {
      await store.workerRegister({ id, host: id, pid: 1, pidStart: null });
      while (!stop) {
        const claimed = await store.jobClaim({ workerId: id, leaseMs: 60_000 });
        if (claimed) {
          await store.jobSettle({
            lease: claimed.lease,
            run: okRun,
            next: { state: 'completed' },
          });
        }
      }
    };
    const taken = async () => {
      const counts = await first!.jobCountByState({ queue: 'p' });
      return counts.processing + counts.completed;
    };
    const workers = Array.from({ length: 9 }, (_, i) => worker(all[i % 3]!, `w-${i}`));
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      await first!.queuePause({ names: ['p'], paused: true });
      // Every claim of the queue has committed by now: none may show up later.
      const atPause = await taken();
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await taken()).toBe(atPause);
      await first!.queuePause({ names: ['p'], paused: false });
    }
    stop = true;
    await Promise.all(workers);
    expect((await first!.jobCountByState({ queue: 'p' })).pending).toBeGreaterThan(0);
  }, 60_000);

  it('stores one job for one unique key enqueued from 20 connections at once', async () => {
    const all = await hosts(5);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        all[i % 5]!.jobInsertMany([[newJob({ id: `u-${i}`, unique_key: 'the-key' })]]),
      ),
    );
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(1);
    const holder = results.find((r) => r.stored === 1)!;
    expect(holder).toBeDefined();
    const ids = new Set(results.flatMap((r) => r.skippedJobs.map((s) => s.existingId)));
    expect(ids.size).toBe(1);
    expect((await all[0]!.jobCountByState()).pending).toBe(1);
  }, 60_000);
});
