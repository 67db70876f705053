/**
 * Scenario 10, filesystem faults: the database. Real `queuectl worker start --count 2 --quiet`
 * with jobs flowing, then (a) the -wal file is deleted, (b) pages of the database are
 * overwritten with garbage, (c) another process holds the write lock so that the workers hang
 * inside a synchronous SQLite call, and the supervisor is told to stop.
 *
 * (a) and (b): every worker says so on stderr despite --quiet, the supervisor replaces none and
 * exits 1 within a bound with one line naming the database and quick_check's verdict, no worker
 * or job process outlives it, and doctor reports what is left. Nothing acknowledged is lost where
 * the database is readable: after (a), every job enqueued before the deletion, including those
 * only in the deleted WAL, is still there (the workers, the last processes holding the WAL open,
 * checkpoint it into the database file as they close), and a new worker completes them all.
 * (c): two SIGTERMs end the supervisor, its workers and their jobs within 20 s.
 */
import Database from 'better-sqlite3';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import type { DoctorReport } from '../../src/core/doctor.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { allAttempts, readDb, stateCounts } from './helpers/database.js';
import {
  faultEnv,
  reapEnvironment,
  startWorkers,
  type FaultEnv,
  type WorkerGroup,
} from './helpers/fault-env.js';
import { figure, ndjson, runsPerJob, seconds } from './helpers/figures.js';
import { processesWithEnv } from './helpers/processes.js';

/** From the fault to `worker start` having exited, at most. */
const EXIT_BOUND_MS = 20_000;

const envs: FaultEnv[] = [];
afterAll(async () => {
  const left: number[] = [];
  for (const env of envs) left.push(...(await reapEnvironment(env)));
  expect(left).toEqual([]);
});

function scenarioEnv(name: string): FaultEnv {
  const env = faultEnv(name);
  envs.push(env);
  return env;
}

const lineCount = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).length;

/** Jobs that append their id to `out`, so that every run is counted. */
function appendJobs(prefix: string, count: number, out: string) {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    command: `echo "$QUEUECTL_JOB_ID" >> '${out}'; sleep 0.02`,
    max_retries: 5,
  }));
}

async function enqueueAll(env: FaultEnv, specs: object[]): Promise<void> {
  const result = await runCli(env, ['enqueue', '--file', '-'], ndjson(specs));
  expect(result.code, result.stderr).toBe(0);
}

/** Waits for `worker start` to exit; its exit code and how long after `since` it came. */
async function exitOf(
  workers: WorkerGroup,
  since: number,
): Promise<{ code: number; afterMs: number }> {
  await waitFor(() => workers.child.exitCode !== null || workers.child.signalCode !== null, {
    timeoutMs: EXIT_BOUND_MS + 10_000,
    intervalMs: 50,
    what: 'worker start to exit',
  });
  return { code: workers.child.exitCode ?? -1, afterMs: Date.now() - since };
}

/** No process of the scenario (worker, job) is left once `worker start` has exited. */
async function expectNothingLeft(env: FaultEnv): Promise<void> {
  await waitFor(() => processesWithEnv('HOME', env.home).length === 0, {
    timeoutMs: 2000,
    what: 'no worker or job process to be left',
  });
}

async function doctor(env: FaultEnv): Promise<{ code: number | null; report: DoctorReport }> {
  const result = await runCli(env, ['doctor', '--json']);
  return { code: result.code, report: JSON.parse(result.stdout) as DoctorReport };
}

const problemChecks = (report: DoctorReport) =>
  report.findings.filter((f) => f.severity === 'problem').map((f) => f.check);

function rootPage(db: string, name: string): { page: number; pageSize: number } {
  return readDb(db, (conn) => ({
    page: conn
      .prepare('SELECT rootpage FROM sqlite_master WHERE name = ?')
      .pluck()
      .get(name) as number,
    pageSize: conn.pragma('page_size', { simple: true }) as number,
  }));
}

function overwritePage(db: string, { page, pageSize }: { page: number; pageSize: number }): void {
  const fd = openSync(db, 'r+');
  try {
    writeSync(fd, Buffer.alloc(64, 0xde), 0, 64, (page - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

test('(a) the -wal file deleted under running workers: they stop loudly, lose nothing acknowledged', async () => {
  const env = scenarioEnv('db-wal');
  const out = join(env.dir, 'work', 'ran.txt');
  writeFileSync(out, '');
  const before = appendJobs('a', 600, out);
  await enqueueAll(env, before);
  const workers = startWorkers(env, 2, undefined, ['--quiet']);
  await waitFor(() => lineCount(out) >= 100, { timeoutMs: 60_000, what: '100 jobs to run' });
  // Acknowledged while the workers run: these commits are in the WAL only.
  const during = appendJobs('b', 200, out);
  await enqueueAll(env, during);
  await waitFor(() => lineCount(out) >= 250, { timeoutMs: 60_000, what: '250 jobs to run' });

  const ranBefore = lineCount(out);
  const deletedAt = Date.now();
  rmSync(`${env.db}-wal`);
  const { code, afterMs } = await exitOf(workers, deletedAt);
  await expectNothingLeft(env);
  const output = workers.output();
  expect(code).toBe(1);
  expect(afterMs).toBeLessThan(EXIT_BOUND_MS);
  expect(output).not.toContain('replacement');
  const alerts = output.split('\n').filter((line) => /\[worker \d\] .*\(WAL_DELETED: /.test(line));
  expect(alerts.length).toBeGreaterThanOrEqual(1);
  expect(output.trimEnd().split('\n').pop()).toMatch(
    new RegExp(
      `^queuectl: the database ${env.db} lost its -wal file while in use \\(WAL_DELETED: .*\\); PRAGMA quick_check: ok .*; workers stopped \\(run queuectl doctor\\)$`,
    ),
  );

  // Every acknowledged job is still there and the file is intact.
  const ids = [...before, ...during].map((spec) => spec.id);
  const stored = new Set(
    readDb(env.db, (db) => db.prepare('SELECT id FROM jobs').pluck().all() as string[]),
  );
  expect(ids.filter((id) => !stored.has(id))).toEqual([]);
  expect(readDb(env.db, (db) => db.pragma('quick_check', { simple: true }))).toBe('ok');

  // Doctor: the database is fine; what is left is runs cut short, held by workers that are gone.
  const afterFault = await doctor(env);
  expect(afterFault.code).toBe(1);
  expect(new Set(problemChecks(afterFault.report))).toEqual(new Set(['jobs']));
  const cutShort = stateCounts(env.db).processing ?? 0;

  // What doctor says to do: a worker puts them back and every job completes.
  const drain = await runCli(env, ['worker', 'start', '--count', '2', '--drain', '--quiet']);
  expect(drain.code, drain.stderr).toBe(0);
  expect(stateCounts(env.db)).toEqual({ completed: ids.length });
  const runs = runsPerJob(out);
  expect(ids.filter((id) => !runs.has(id))).toEqual([]);
  const attempts = allAttempts(env.db);
  const rerun = [...runs].filter(([, n]) => n > 1).map(([id]) => id);
  for (const id of rerun) {
    expect(
      attempts.get(id)!.some((a) => a.outcome === 'worker_lost'),
      id,
    ).toBe(true);
  }
  const healthy = await doctor(env);
  expect(problemChecks(healthy.report)).toEqual([]);
  figure(
    `database faults (a) -wal deleted after ${ranBefore} runs: ${alerts.length} workers said so (--quiet), worker start exited ${code} after ${seconds(afterMs)}, no replacement, 0 processes left, ${ids.length - stored.size} of ${ids.length} acknowledged jobs lost, quick_check ok, ${cutShort} runs cut short and rerun (${rerun.length} ran twice, each after a worker_lost attempt)`,
  );
});

test('(b) corrupted pages under running workers: they stop loudly and doctor names the damage', async () => {
  const env = scenarioEnv('db-corrupt');
  const out = join(env.dir, 'work', 'ran.txt');
  writeFileSync(out, '');
  const specs = appendJobs('c', 1500, out);
  await enqueueAll(env, specs);
  // Every page in the database file, none in the WAL, so that the garbage below is what is read.
  const raw = new Database(env.db);
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.close();
  // The config table is read by every heartbeat and written by no worker; the index of waiting
  // jobs is walked by every claim.
  const pages = [rootPage(env.db, 'config'), rootPage(env.db, 'jobs_ready')];

  const workers = startWorkers(env, 2, undefined, ['--quiet']);
  await waitFor(() => lineCount(out) >= 100, { timeoutMs: 60_000, what: '100 jobs to run' });
  const corruptedAt = Date.now();
  for (const page of pages) overwritePage(env.db, page);
  const { code, afterMs } = await exitOf(workers, corruptedAt);
  await expectNothingLeft(env);
  const output = workers.output();
  expect(code).toBe(1);
  expect(afterMs).toBeLessThan(EXIT_BOUND_MS);
  expect(output).not.toContain('replacement');
  const alerts = output
    .split('\n')
    .filter((line) => /\[worker \d\] .* is corrupt \(SQLITE_CORRUPT/.test(line));
  expect(alerts.length).toBeGreaterThanOrEqual(1);
  const last = output.trimEnd().split('\n').pop()!;
  expect(last).toMatch(
    new RegExp(
      `^queuectl: the database ${env.db} is corrupt \\(SQLITE_CORRUPT: .*\\); PRAGMA quick_check found problems: ".*"`,
    ),
  );

  // The jobs table itself is intact: every acknowledged job can still be read.
  const stored = new Set(
    readDb(env.db, (db) => db.prepare('SELECT id FROM jobs NOT INDEXED').pluck().all() as string[]),
  );
  expect(specs.filter((spec) => !stored.has(spec.id))).toEqual([]);

  const report = await doctor(env);
  expect(report.code).toBe(1);
  const integrity = report.report.findings.find((f) => f.check === 'integrity')!;
  expect(integrity.severity).toBe('problem');
  expect(integrity.message).toMatch(/^PRAGMA quick_check found problems: /);
  figure(
    `database faults (b) pages ${pages.map((p) => p.page).join(' and ')} overwritten after ${lineCount(out)} runs: ${alerts.length} workers said so (--quiet), worker start exited ${code} after ${seconds(afterMs)}, no replacement, 0 processes left, all ${specs.length} jobs still readable; doctor: ${integrity.message.slice(0, 90)}…`,
  );
});

test('(c) workers hung in a SQLite call on a held lock: two SIGTERMs still end everything', async () => {
  const env = scenarioEnv('db-lock');
  const specs = [0, 1].map((i) => ({ id: `long-${i}`, command: 'sleep 60', max_retries: 0 }));
  await enqueueAll(env, specs);
  const workers = startWorkers(env, 2);
  await waitFor(() => stateCounts(env.db).processing === 2, { what: 'both jobs to run' });

  // Another process takes the write lock: each worker's next write (a heartbeat, or recording
  // its interrupted job) waits inside SQLite for up to its 60 s busy timeout, which blocks its
  // event loop, signal handlers and IPC included.
  const lock = new Database(env.db);
  lock.exec('BEGIN IMMEDIATE');
  try {
    workers.child.kill('SIGTERM');
    await waitFor(() => workers.output().includes('stopping: running jobs finish first'));
    const secondAt = Date.now();
    workers.child.kill('SIGTERM');
    const { afterMs } = await exitOf(workers, secondAt);
    await expectNothingLeft(env);
    expect(afterMs).toBeLessThan(EXIT_BOUND_MS);
    expect(workers.output()).toMatch(/worker pid \d+ did not stop; killing it and its job/);
    figure(
      `database faults (c) workers hung on a write lock held elsewhere: worker start exited ${seconds(afterMs)} after the second SIGTERM, the hung workers and their jobs SIGKILLed, 0 processes left`,
    );
  } finally {
    lock.exec('ROLLBACK');
    lock.close();
  }

  // The jobs do not stay `processing`: the next worker puts them back (no retries left: dead).
  const drain = await runCli(env, ['worker', 'start', '--drain', '--quiet']);
  expect(drain.code, drain.stderr).toBe(0);
  expect(stateCounts(env.db)).toEqual({ dead: 2 });
  for (const spec of specs) {
    expect(
      allAttempts(env.db)
        .get(spec.id)!
        .map((a) => a.outcome),
    ).toEqual(['worker_lost']);
  }
});
