/**
 * Schema 1 -> the latest on both stores: a database made by the first release (its migration's
 * SQL, jobs in every state, attempt records) is upgraded with every job intact, and works after:
 * every job in the default queue, counted there, claimable, and the new columns usable.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Job } from '../../src/core/job.js';
import type { JobStore } from '../../src/store/job-store.js';
import { openPostgresStore } from '../../src/store/postgres/open-postgres-store.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteJobStore } from '../../src/store/sqlite/sqlite-job-store.js';
import { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from '../../src/store/sqlite/open-database.js';
import { describePg, freshSchema, schemaAtVersion, TEST_PG } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

const T = Date.UTC(2026, 0, 1, 12);
/** Rows as the first release wrote them: seq, id, state, attempts, runs, and the rest. */
const OLD_JOBS = [
  [3, 'waiting', 'pending', 0, 0, null, null],
  [7, 'retrying', 'failed', 1, 1, 'exited with code 1', 1],
  [8, 'running', 'processing', 1, 1, null, null],
  [12, 'done', 'completed', 1, 1, null, 0],
  [40, 'gave-up', 'dead', 2, 2, 'exited with code 2', 2],
] as const;

const COLUMNS = [
  'seq',
  'id',
  'command',
  'state',
  'priority',
  'attempts',
  'runs',
  'max_retries',
  'timeout_seconds',
  'run_at',
  'created_at',
  'updated_at',
  'started_at',
  'finished_at',
  'last_error',
  'last_exit_code',
  'worker_id',
  'lease_expires_at',
];

/** An INSERT of the first release's columns (from `first` on), with placeholders `p(n)`. */
const insertJob = (first: number, p: (n: number) => string) => {
  const columns = COLUMNS.slice(first);
  return `INSERT INTO jobs (${columns.join(', ')})
    VALUES (${columns.map((_, i) => p(i + 1)).join(', ')})`;
};

function oldJobValues(): unknown[][] {
  return OLD_JOBS.map(([seq, id, state, attempts, runs, error, exit], i) => [
    seq,
    id,
    `echo ${id} "quoted" ünï`,
    state,
    i - 2,
    attempts,
    runs,
    3,
    i === 1 ? 2.5 : null,
    T + i,
    T - 1000,
    T + 100 + i,
    runs ? T + 50 : null,
    state === 'completed' || state === 'dead' || state === 'failed' ? T + 60 : null,
    error,
    exit,
    state === 'processing' ? 'w-old' : null,
    state === 'processing' ? T + 30_000 : null,
  ]);
}

/** What must survive the upgrade, and what the new columns must say. */
function expectIntact(jobs: (Job | null)[]): void {
  const values = oldJobValues();
  jobs.forEach((job, i) => {
    const v = values[i]!;
    expect(job).toEqual({
      id: v[1],
      command: v[2],
      state: v[3],
      priority: v[4],
      attempts: v[5],
      max_retries: v[7],
      timeout_seconds: v[8],
      run_at: v[9],
      created_at: v[10],
      updated_at: v[11],
      started_at: v[12],
      finished_at: v[13],
      last_error: v[14],
      last_exit_code: v[15],
      worker_id: v[16],
      lease_expires_at: v[17],
      cancel_requested: false,
      cwd: null,
      env_names: null,
      queue: 'default',
      unique_key: null,
      waiting_for: [],
    });
  });
}

/**
 * After the upgrade the new things work: cancel (and its count), cwd and environments, queues
 * (every old job counted in the default one), dependencies and unique keys.
 */
async function expectWorking(store: JobStore): Promise<void> {
  expect(await store.jobCountByState()).toEqual({
    pending: 1,
    processing: 1,
    completed: 1,
    failed: 1,
    dead: 1,
    cancelled: 0,
  });
  const [queue] = await store.queueList();
  expect(queue).toMatchObject({ name: 'default', concurrency: null, paused: false });
  expect(queue!.counts).toEqual(await store.jobCountByState({ queue: 'default' }));
  await store.jobCancel({ ids: ['waiting', 'running'] });
  expect(await store.jobCountByState()).toMatchObject({ pending: 0, cancelled: 1 });
  await store.jobInsertMany([
    [
      {
        id: 'new',
        command: 'true',
        max_retries: 0,
        priority: 0,
        timeout_seconds: null,
        run_at: null,
        cwd: '/tmp',
        env: { inherit: true, vars: { X: '1' } },
        queue: 'fresh',
        unique_key: 'k',
        after: ['waiting', 'done'],
      },
    ],
  ]);
  expect(await store.jobGet('new')).toMatchObject({
    cwd: '/tmp',
    env_names: ['X'],
    queue: 'fresh',
    unique_key: 'k',
    // 'waiting' was cancelled above, so the new job was cancelled with it; 'done' had completed.
    waiting_for: ['waiting'],
    state: 'cancelled',
    last_error: 'dependency waiting is cancelled',
  });
  // Newest first: seq values were kept, so the new job comes after seq 40.
  expect((await store.jobList({ limit: 2 })).map((job) => job.id)).toEqual(['new', 'gave-up']);
  expect((await store.attemptList({ jobId: 'gave-up' })).map((a) => a.outcome)).toEqual([
    'failed',
    'failed',
  ]);
}

const ATTEMPTS = [
  ['gave-up', 1, 'failed'],
  ['gave-up', 2, 'failed'],
] as const;

describe('SQLite schema 1 -> latest', () => {
  const stores: JobStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  it('keeps every job, its seq and its history, and the new columns work', async () => {
    const path = join(tempDir(), 'old.db');
    const db = new BetterSqlite3(path);
    db.exec(SQLITE_MIGRATIONS[0]!.sql);
    db.pragma('user_version = 1');
    const insert = db.prepare(insertJob(0, () => '?'));
    for (const values of oldJobValues()) insert.run(...values);
    for (const [job, attempt, outcome] of ATTEMPTS) {
      db.prepare(
        `INSERT INTO attempts (job_id, attempt, worker_id, host, pid, started_at, finished_at, outcome, error)
         VALUES (?, ?, 'w-old', 'h', 1, ?, ?, ?, 'x')`,
      ).run(job, attempt, T, T + 10, outcome);
    }
    db.close();

    const store = new SqliteJobStore(path, new ManualClock(T + 1000), { durable: true });
    stores.push(store);
    const check = new BetterSqlite3(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    expect(check.prepare('SELECT seq, id FROM jobs ORDER BY seq').all()).toEqual(
      OLD_JOBS.map(([seq, id]) => ({ seq, id })),
    );
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(check.pragma('foreign_key_check')).toEqual([]);
    check.close();
    expectIntact(await Promise.all(OLD_JOBS.map(([, id]) => store.jobGet(id))));
    await expectWorking(store);
  });
});

describePg('PostgreSQL schema 1 -> latest', () => {
  it('keeps every job and its history, and the new columns work', async () => {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: TEST_PG });
    await client.connect();
    try {
      await schemaAtVersion(client, schema, 1);
      for (const values of oldJobValues()) {
        // seq is GENERATED ALWAYS in PostgreSQL: the first release never wrote it either.
        await client.query(
          insertJob(1, (n) => `$${n}`),
          values.slice(1),
        );
      }
      for (const [job, attempt, outcome] of ATTEMPTS) {
        await client.query(
          `INSERT INTO attempts (job_id, attempt, worker_id, host, pid, started_at, finished_at, outcome, error)
           VALUES ($1, $2, 'w-old', 'h', 1, $3, $4, $5, 'x')`,
          [job, attempt, T, T + 10, outcome],
        );
      }
    } finally {
      await client.end();
    }
    const url = new URL(TEST_PG);
    url.searchParams.set('schema', schema);
    const store = await openPostgresStore(url.toString(), { clock: new ManualClock(T + 1000) });
    try {
      expectIntact(await Promise.all(OLD_JOBS.map(([, id]) => store.jobGet(id))));
      await expectWorking(store);
    } finally {
      await store.close();
    }
  });
});
