/**
 * PostgreSQL's job counts kept as the jobs change (migration 6): exact under concurrent claims,
 * settles, enqueues, deletes, retries, cancels and restarts on several hosts, unchanged by a
 * fold, and backfilled from the jobs already stored when an older schema is migrated.
 */
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { QueuectlError } from '../../src/core/errors.js';
import { JOB_STATES, type JobState } from '../../src/core/job.js';
import type { JobStore, NextState } from '../../src/store/job-store.js';
import { openPostgresStore } from '../../src/store/postgres/open-postgres-store.js';
import { newJob } from '../helpers/job-factory.js';
import {
  adminQuery,
  describePg,
  freshPgUrl,
  freshSchema,
  schemaAtVersion,
  TEST_PG,
} from '../helpers/postgres.js';
import { okRun } from './job-store.contract.js';

const stores: JobStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

const T = Date.UTC(2026, 0, 1, 12);
const QUEUES = ['default', 'a', 'b'];

async function open(url: string): Promise<JobStore> {
  const store = await openPostgresStore(url, { clock: new ManualClock(T) });
  stores.push(store);
  return store;
}

/** The kept counts and a real count of the jobs, read by one statement (one snapshot). */
async function bothCounts(schema: string): Promise<{ kept: unknown; real: unknown }> {
  const [row] = await adminQuery<{ kept: unknown; real: unknown }>(
    `SELECT (SELECT COALESCE(jsonb_object_agg(queue || '/' || state, n), '{}') FROM ${schema}.job_tally
               WHERE n <> 0) AS kept,
            (SELECT COALESCE(jsonb_object_agg(queue || '/' || state, n), '{}') FROM
               (SELECT queue, state, count(*) AS n FROM ${schema}.jobs GROUP BY queue, state) c) AS real`,
  );
  return row!;
}

/** What the store answers, against a real count per state and per queue. */
async function expectStoreCountsExact(store: JobStore, schema: string): Promise<void> {
  const real = await adminQuery<{ queue: string; state: JobState; n: number }>(
    `SELECT queue, state, count(*)::int AS n FROM ${schema}.jobs GROUP BY queue, state`,
  );
  const total = (state: JobState, queue?: string) =>
    real
      .filter((row) => row.state === state && (queue === undefined || row.queue === queue))
      .reduce((sum, row) => sum + row.n, 0);
  const all = await store.jobCountByState();
  for (const state of JOB_STATES) expect(all[state], state).toBe(total(state));
  for (const queue of await store.queueList()) {
    const inQueue = await store.jobCountByState({ queue: queue.name });
    for (const state of JOB_STATES) {
      expect(queue.counts[state], `${queue.name} ${state}`).toBe(total(state, queue.name));
      expect(inQueue[state], `${queue.name} ${state}`).toBe(total(state, queue.name));
    }
  }
}

function schemaOf(url: string): string {
  return new URL(url).searchParams.get('schema')!;
}

/** A step that may lose a race (the job moved on meanwhile): that refusal is fine. */
async function tolerant(step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!(error instanceof QueuectlError)) throw error;
  }
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

describePg('PostgreSQL job counts', () => {
  it('stay exact under concurrent claims, settles, enqueues, deletes, retries and cancels', async () => {
    const url = freshPgUrl();
    const schema = schemaOf(url);
    const hosts = [await open(url), await open(url), await open(url)];
    let enqueued = 0;
    const enqueue = async (store: JobStore, n: number) => {
      const batch = Array.from({ length: n }, () =>
        newJob({ id: `h-${enqueued++}`, queue: pick(QUEUES), max_retries: 1 }),
      );
      await store.jobInsertMany([batch]);
    };
    await enqueue(hosts[0]!, 200);
    await hosts[0]!.queueSetConcurrency({ name: 'b', concurrency: 3 });

    let stop = false;
    let settled = 0;
    const outcomes: NextState[] = [
      { state: 'completed' },
      { state: 'failed', delayMs: 0 },
      { state: 'dead' },
      { state: 'pending' },
      { state: 'cancelled' },
    ];
    const worker = async (store: JobStore, id: string) => {
      await store.workerRegister({ id, host: id, pid: 1, pidStart: null });
      while (!stop) {
        const claimed = await store.jobClaimMany({ workerId: id, leaseMs: 60_000, limit: 2 });
        if (claimed.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
        for (const job of claimed) {
          await store.jobSettle({ lease: job.lease, run: okRun, next: pick(outcomes) });
          settled++;
        }
      }
    };
    const meddler = async (store: JobStore) => {
      while (!stop) {
        const ids = async (state: JobState) =>
          (await store.jobList({ state, limit: 5 })).map((job) => job.id);
        await enqueue(store, 1 + Math.floor(Math.random() * 10));
        const action = Math.floor(Math.random() * 7);
        if (action === 0) await enqueue(store, 1 + Math.floor(Math.random() * 50));
        if (action === 1)
          await tolerant(async () => store.jobDelete({ ids: await ids('completed') }));
        if (action === 2)
          await tolerant(async () => store.jobRetryDead({ ids: await ids('dead') }));
        if (action === 3)
          await tolerant(async () => store.jobCancel({ ids: await ids('pending') }));
        if (action === 4)
          await tolerant(async () => store.jobRestart({ ids: await ids('cancelled') }));
        if (action === 5) await store.jobRestartState({ state: 'completed' });
        if (action === 6) await store.jobCountsFold();
      }
    };
    // Both counts at once, many times during the run: equal in every snapshot.
    const mismatches: unknown[] = [];
    let checks = 0;
    const checker = async () => {
      while (!stop) {
        checks++;
        const { kept, real } = await bothCounts(schema);
        if (JSON.stringify(sortKeys(kept)) !== JSON.stringify(sortKeys(real))) {
          mismatches.push({ kept, real });
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const running = [
      ...Array.from({ length: 6 }, (_, i) => worker(hosts[i % 3]!, `w-${i}`)),
      ...hosts.map((store) => meddler(store)),
      checker(),
    ];
    // Until enough has happened to prove something (a loaded machine gets there later).
    const started = Date.now();
    const enough = () =>
      Date.now() > started + 3000 && settled >= 300 && enqueued >= 400 && checks >= 20;
    while (Date.now() < started + 40_000 && !enough()) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    stop = true;
    await Promise.all(running);

    expect(mismatches).toEqual([]);
    expect(checks).toBeGreaterThanOrEqual(20);
    expect(settled).toBeGreaterThanOrEqual(300);
    expect(enqueued).toBeGreaterThanOrEqual(400);
    const { kept, real } = await bothCounts(schema);
    expect(sortKeys(kept)).toEqual(sortKeys(real));
    await expectStoreCountsExact(hosts[0]!, schema);
    await hosts[1]!.jobCountsFold();
    await expectStoreCountsExact(hosts[2]!, schema);
  }, 60_000);

  it('a fold keeps the totals and empties the changes', async () => {
    const url = freshPgUrl();
    const schema = schemaOf(url);
    const store = await open(url);
    await store.jobInsertMany([
      Array.from({ length: 30 }, (_, i) => newJob({ id: `f-${i}`, queue: QUEUES[i % 3] })),
    ]);
    await store.workerRegister({ id: 'w', host: 'h', pid: 1, pidStart: null });
    for (const job of await store.jobClaimMany({ workerId: 'w', leaseMs: 60_000, limit: 5 })) {
      await store.jobSettle({ lease: job.lease, run: okRun, next: { state: 'completed' } });
    }
    await store.jobCancel({ ids: ['f-20', 'f-21'] });
    await store.jobDelete({ ids: ['f-0'] });
    const before = await store.jobCountByState();
    const queuesBefore = await store.queueList();
    const [row] = await adminQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${schema}.job_count_changes`,
    );
    const changes = row!.n;
    expect(changes).toBeGreaterThan(0);

    expect(await store.jobCountsFold()).toBe(changes);
    expect(await adminQuery(`SELECT count(*)::int AS n FROM ${schema}.job_count_changes`)).toEqual([
      { n: 0 },
    ]);
    expect(await store.jobCountByState()).toEqual(before);
    expect(await store.queueList()).toEqual(queuesBefore);
    expect(before).toMatchObject({ pending: 23, completed: 4, cancelled: 2 });
    // Nothing left to fold: nothing moves.
    expect(await store.jobCountsFold()).toBe(0);
    await expectStoreCountsExact(store, schema);
  });

  it('a fold beside writers does not wait for the changes table to itself (migration 8)', async () => {
    const url = freshPgUrl();
    const schema = schemaOf(url);
    const store = await open(url);
    await store.jobInsertMany([[newJob({ id: 'kept' })]]);
    const before = await store.jobCountByState();
    // 20,000 changes that cancel out: the fold empties every page of the table, which a vacuum
    // would then truncate.
    await adminQuery(
      `INSERT INTO ${schema}.job_count_changes (queue, state, delta)
       SELECT 'default', 'pending', CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END
       FROM generate_series(1, 20000) AS i`,
    );
    // A settle in flight: its count trigger holds the table's ROW EXCLUSIVE lock. A truncating
    // vacuum asks for ACCESS EXCLUSIVE every 50 ms for 5 s before it gives up.
    const writer = new pg.Client({ connectionString: TEST_PG });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`LOCK TABLE ${schema}.job_count_changes IN ROW EXCLUSIVE MODE`);
      const started = Date.now();
      expect(await store.jobCountsFold()).toBeGreaterThanOrEqual(20_000);
      // Generous: the fold itself takes tens of ms; waiting out the lock took 5 s.
      expect(Date.now() - started).toBeLessThan(2500);
      await writer.query('ROLLBACK');
    } finally {
      await writer.end();
    }
    expect(await store.jobCountByState()).toEqual(before);
    expect(
      await adminQuery(
        `SELECT c.reloptions AS options FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = 'job_count_changes'`,
        [schema],
      ),
    ).toEqual([{ options: ['vacuum_truncate=false'] }]);
  });

  it('an older schema gets counts of the jobs it already holds', async () => {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: TEST_PG });
    await client.connect();
    try {
      await schemaAtVersion(client, schema, 5);
      await client.query(`INSERT INTO queues (name) VALUES ('a'), ('b')`);
      await client.query(
        `INSERT INTO jobs (id, command, state, max_retries, run_at, created_at, updated_at, queue)
         SELECT 'old-' || i, 'true', (ARRAY['pending', 'completed', 'dead', 'cancelled'])[1 + i % 4],
           3, $1, $1, $1, (ARRAY['default', 'a', 'b'])[1 + i % 3]
         FROM generate_series(0, 119) AS i`,
        [T],
      );
    } finally {
      await client.end();
    }
    const url = new URL(TEST_PG);
    url.searchParams.set('schema', schema);
    const store = await open(url.toString());
    // Every (queue, state) pair of i % 4 and i % 3 holds 120 / 12 jobs.
    expect(await store.jobCountByState()).toEqual({
      pending: 30,
      processing: 0,
      completed: 30,
      failed: 0,
      dead: 30,
      cancelled: 30,
    });
    await expectStoreCountsExact(store, schema);
    await store.jobInsertMany([[newJob({ id: 'new', queue: 'a' })]]);
    await store.jobDelete({ ids: ['old-1'] });
    await expectStoreCountsExact(store, schema);
  });
});

/** A JSON object with its keys in order, for comparing two aggregates. */
function sortKeys(value: unknown): Record<string, unknown> {
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, object[key]]),
  );
}
