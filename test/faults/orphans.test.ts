/**
 * Scenario 5: jobs that start background children and then time out, with workers SIGKILLed
 * while running such jobs; and jobs that complete while a child they started has moved to a
 * process group of its own (setpgid), still in the job's session. Afterwards no process started
 * by any of those jobs remains.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { readDb, stateCounts } from './helpers/database.js';
import { faultEnv, reapEnvironment, startWorkers } from './helpers/fault-env.js';
import { figure, ndjson, seconds } from './helpers/figures.js';
import { processesWithEnv } from './helpers/processes.js';
import { liveWorkerPids } from './helpers/worker-pids.js';

const JOBS = 200;
const WORKERS = 4;
const env = faultEnv('orphans');
/** Every process a job starts inherits QUEUECTL_JOB_ID, so this prefix finds them all. */
const PREFIX = `orphan${randomBytes(4).toString('hex')}-`;
const jobProcesses = () => processesWithEnv('QUEUECTL_JOB_ID', `${PREFIX}*`);

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
});

const COMMANDS = [
  // Background children, then a shell that waits for them.
  'sleep 600 & sleep 600 & wait',
  // Children that ignore SIGTERM: only the SIGKILL after kill-grace ends them.
  'trap "" TERM; sleep 600 & sleep 600 & wait',
  // A grandchild in a subshell.
  '(sleep 600 & wait) & wait',
  // A child in a process group of its own (still in the job's session).
  "perl -e 'setpgrp(0,0); sleep 600' & sleep 600 & wait",
];

/** Children that leave the job's process group, then the job exits 0 at once. */
const ESCAPES = [
  "perl -e 'setpgrp(0,0); sleep 600' &",
  "python3 -c 'import os, time; os.setpgid(0, 0); time.sleep(600)' &",
  // A grandchild that moves to a group of its own, under a child that stays in the job's group.
  "(perl -e 'setpgrp(0,0); sleep 600' & sleep 600) &",
];
const ESCAPE_JOBS = 30;

test(`${JOBS} timed-out jobs with background children, and SIGKILLed workers, leave no process behind`, async () => {
  expect((await runCli(env, ['config', 'set', 'kill-grace', '200ms'])).code).toBe(0);
  const specs = Array.from({ length: JOBS }, (_, i) => ({
    id: `${PREFIX}${i}`,
    command: COMMANDS[i % COMMANDS.length]!,
    timeout_seconds: 0.3,
    max_retries: 0,
  }));
  const file = join(env.dir, 'work', 'jobs.ndjson');
  writeFileSync(file, ndjson(specs));
  expect((await runCli(env, ['enqueue', '--file', file])).code).toBe(0);

  const started = Date.now();
  const workers = startWorkers(env, WORKERS);
  let kills = 0;
  const finished = () => {
    const counts = stateCounts(env.db);
    return (counts.dead ?? 0) + (counts.completed ?? 0) === JOBS;
  };
  try {
    // Kill a worker that is running a job, about every 700 ms, until the jobs have all run.
    while (!finished()) {
      const pids = await liveWorkerPids(env, workers.child.pid!);
      const victim = pids[Math.floor(Math.random() * pids.length)];
      if (victim !== undefined && kills < 30) {
        process.kill(victim, 'SIGKILL');
        kills++;
      }
      await new Promise((resolve) => setTimeout(resolve, 700));
      if (Date.now() - started > 150_000) throw new Error('the jobs did not all finish');
    }
  } finally {
    await workers.stop();
  }
  const took = Date.now() - started;
  let left: number[] = [];
  try {
    await waitFor(() => (left = jobProcesses()).length === 0, {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: 'every job process to be gone',
    });
  } catch {
    // reported below
  }
  const lostRuns = stateCounts(env.db);
  figure(
    `orphans: ${JOBS} timed-out jobs with background children, ${WORKERS} workers, ${kills} workers SIGKILLed, ` +
      `${left.length} job processes left, ${seconds(took)} (final states ${JSON.stringify(lostRuns)})`,
  );
  expect(left).toEqual([]);
});

test(`${ESCAPE_JOBS} jobs that complete leaving a child in a process group of its own leave no process behind`, async () => {
  const prefix = `${PREFIX}escape-`;
  const marks = join(env.dir, 'work', 'moved');
  mkdirSync(marks);
  // Each job waits until its child has left the job's group (the child's group id is then its
  // own pid), so that the job ends with the escape done, not racing it.
  const specs = Array.from({ length: ESCAPE_JOBS }, (_, i) => ({
    id: `${prefix}${i}`,
    command:
      `${ESCAPES[i % ESCAPES.length]!} ` +
      `until [ "$(ps -o pgid= -s $$ | sort -u | wc -l)" -ge 2 ]; do sleep 0.01; done; ` +
      `ps -o pid=,pgid= -s $$ > '${marks}/${i}'`,
    max_retries: 0,
  }));
  const file = join(env.dir, 'work', 'escapes.ndjson');
  writeFileSync(file, ndjson(specs));
  expect((await runCli(env, ['enqueue', '--file', file])).code).toBe(0);

  const started = Date.now();
  const workers = startWorkers(env, WORKERS);
  try {
    await waitFor(
      () =>
        specs.every(
          (spec) =>
            readDb(env.db, (db) =>
              db.prepare('SELECT state FROM jobs WHERE id = ?').pluck().get(spec.id),
            ) === 'completed',
        ),
      { timeoutMs: 60_000, intervalMs: 200, what: 'every escaping job to complete' },
    );
  } finally {
    await workers.stop();
  }
  const groups = specs.map(
    (_, i) =>
      new Set(
        readFileSync(join(marks, String(i)), 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.trim().split(/\s+/)[1]),
      ).size,
  );
  let left: number[] = [];
  try {
    await waitFor(() => (left = processesWithEnv('QUEUECTL_JOB_ID', `${prefix}*`)).length === 0, {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: 'every escaped process to be gone',
    });
  } catch {
    // reported below
  }
  figure(
    `orphans (setpgid): ${ESCAPE_JOBS} completed jobs whose children left the job's process group ` +
      `(${Math.min(...groups)}-${Math.max(...groups)} groups in a job's session), ${left.length} job processes left, ${seconds(Date.now() - started)}`,
  );
  expect(Math.min(...groups)).toBeGreaterThanOrEqual(2);
  expect(left).toEqual([]);
});
