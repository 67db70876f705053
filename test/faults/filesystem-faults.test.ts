/**
 * Scenario 10: the log directory is pulled from under running workers: removed, replaced by a
 * plain file, replaced by a symlink, made read-only. No worker dies; a run that cannot create
 * its output files ends `spawn_failed` with the reason and is retried; once the directory is
 * back, every job completes and nothing acknowledged is lost.
 *
 * The scenario runs as root, which ignores directory permissions; `chattr +i` makes a directory
 * that even root cannot create files in. Where chattr fails (no ext4/tmpfs support), that phase
 * is skipped and the figure says so.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { readDb, stateCounts } from './helpers/database.js';
import { faultEnv, reapEnvironment, startWorkers } from './helpers/fault-env.js';
import { figure, ndjson, runsPerJob, seconds } from './helpers/figures.js';
import { liveWorkerPids } from './helpers/worker-pids.js';

const WORKERS = 3;
const JOBS_PER_PHASE = 60;
const env = faultEnv('fs-faults');
const logDir = `${env.db}.logs`;
const ran = join(env.dir, 'work', 'ran.txt');
const elsewhere = join(env.dir, 'work', 'elsewhere');

afterAll(async () => {
  chattr('-i', logDir);
  expect(await reapEnvironment(env)).toEqual([]);
});

/** Whether chattr +i works here (it needs ext4, xfs, btrfs or a recent tmpfs). */
function immutableWorks(): boolean {
  const probe = join(env.dir, 'work', 'chattr-probe');
  mkdirSync(probe);
  const works = chattr('+i', probe);
  chattr('-i', probe);
  return works;
}

function chattr(flag: '+i' | '-i', path: string): boolean {
  try {
    execFileSync('chattr', [flag, path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface FailedRun {
  job_id: string;
  error: string;
  job_pid: number | null;
  exit_code: number | null;
}

function spawnFailures(prefix: string): FailedRun[] {
  return readDb(
    env.db,
    (db) =>
      db
        .prepare(
          "SELECT job_id, error, job_pid, exit_code FROM attempts WHERE outcome = 'spawn_failed' AND job_id LIKE ?",
        )
        .all(`${prefix}-%`) as FailedRun[],
  );
}

function completedOf(prefix: string): number {
  return readDb(
    env.db,
    (db) =>
      (
        db
          .prepare("SELECT COUNT(*) AS n FROM jobs WHERE state = 'completed' AND id LIKE ?")
          .get(`${prefix}-%`) as { n: number }
      ).n,
  );
}

async function enqueuePhase(prefix: string): Promise<void> {
  const specs = Array.from({ length: JOBS_PER_PHASE }, (_, i) => ({
    id: `${prefix}-${i}`,
    command: `echo "$QUEUECTL_JOB_ID"; echo "$QUEUECTL_JOB_ID" >> '${ran}'; sleep 0.05`,
    max_retries: 50,
  }));
  const file = join(env.dir, 'work', `${prefix}.ndjson`);
  writeFileSync(file, ndjson(specs));
  expect((await runCli(env, ['enqueue', '--file', file])).code).toBe(0);
}

/**
 * Puts `make(path)`'s result where the log directory is. The directory is renamed away first
 * (workers recreate it at any moment, so this is retried until the replacement lands).
 */
function replaceLogDir(make: (path: string) => void): void {
  const staged = `${logDir}.staged`;
  make(staged);
  for (let tries = 0; ; tries++) {
    if (existsSync(logDir)) renameSync(logDir, `${logDir}.moved-${Date.now()}-${tries}`);
    try {
      renameSync(staged, logDir);
      return;
    } catch (error) {
      if (tries > 100) throw error; // a worker made the directory again in between: once more
    }
  }
}

const PHASES = [
  {
    name: 'removed',
    // Renamed away first: workers make files in the directory at any moment, and a recursive
    // remove racing them fails with ENOTEMPTY (CI saw it). The rename is the removal they see.
    apply: () => {
      const moved = `${logDir}.removed`;
      renameSync(logDir, moved);
      rmSync(moved, { recursive: true, force: true, maxRetries: 20 });
    },
    restore: () => {},
    // Recreated by the next run: no run needs to fail.
    error: null,
  },
  {
    name: 'file',
    apply: () => replaceLogDir((path) => writeFileSync(path, 'not a directory')),
    restore: () => unlinkSync(logDir),
    error: `log directory ${logDir} is not a directory; move the file away (queuectl makes the directory)`,
  },
  {
    name: 'symlink',
    apply: () => replaceLogDir((path) => symlinkSync(elsewhere, path)),
    restore: () => unlinkSync(logDir),
    error: `log directory ${logDir} is a symlink, which queuectl does not follow; remove it (queuectl makes the directory)`,
  },
  {
    name: 'read-only',
    apply: () => {
      mkdirSync(logDir, { recursive: true, mode: 0o700 });
      if (!chattr('+i', logDir)) throw new Error('chattr +i failed');
    },
    restore: () => chattr('-i', logDir),
    // Usually the run's first file fails; stderr when the directory turned immutable between
    // the run's two creates (CI saw it once).
    error: new RegExp(
      `^cannot create output file ${logDir}/read-only-\\d+\\.\\d+\\.(stdout|stderr): EPERM$`,
    ),
  },
] as const;

test('a log directory removed, replaced or made read-only under running workers: no worker dies, no job is lost', async () => {
  mkdirSync(elsewhere, { mode: 0o700 });
  writeFileSync(ran, '');
  for (const [key, value] of [
    ['backoff-base', '1'], // every retry 1 s later: a fault costs a job a few attempts
    ['backoff-max', '1s'],
  ]) {
    expect((await runCli(env, ['config', 'set', key!, value!])).code).toBe(0);
  }
  const started = Date.now();
  const workers = startWorkers(env, WORKERS);
  const supervisorPid = workers.child.pid!;
  const summary: string[] = [];
  let jobs = 0;
  let pidsBefore: number[] = [];
  let pidsAfter: number[] = [];
  try {
    pidsBefore = await waitFor(
      async () => {
        const pids = await liveWorkerPids(env, supervisorPid);
        return pids.length === WORKERS ? pids.sort() : null;
      },
      { what: `${WORKERS} workers to register` },
    );

    for (const phase of PHASES) {
      if (phase.name === 'read-only' && !immutableWorks()) {
        summary.push('read-only: skipped (chattr unavailable)');
        continue;
      }
      await enqueuePhase(phase.name);
      jobs += JOBS_PER_PHASE;
      await waitFor(() => completedOf(phase.name) >= 5, { what: `${phase.name}: jobs to flow` });
      const faultAt = Date.now();
      phase.apply();
      if (phase.error === null) {
        await waitFor(() => completedOf(phase.name) >= 15, {
          what: `${phase.name}: jobs to complete after the directory was removed`,
        });
        expect(statSync(logDir).isDirectory()).toBe(true);
        expect(statSync(logDir).mode & 0o777).toBe(0o700);
      } else {
        await waitFor(() => spawnFailures(phase.name).length >= 3, {
          what: `${phase.name}: runs to end spawn_failed`,
        });
      }
      const faultMs = Date.now() - faultAt;
      phase.restore();
      await waitFor(() => completedOf(phase.name) === JOBS_PER_PHASE, {
        timeoutMs: 60_000,
        what: `${phase.name}: every job to complete once the directory is back`,
      });
      const failures = spawnFailures(phase.name);
      for (const failure of failures) {
        expect(failure.job_pid, failure.job_id).toBeNull();
        expect(failure.exit_code, failure.job_id).toBeNull();
        if (phase.error !== null) expect(failure.error, failure.job_id).toMatch(phase.error);
      }
      if (phase.error === null) {
        // Only a run caught between the directory's removal and its files' creation may fail.
        expect(failures.length).toBeLessThanOrEqual(WORKERS);
      }
      summary.push(
        `${phase.name}: ${failures.length} runs spawn_failed in ${seconds(faultMs)}, all ${JOBS_PER_PHASE} jobs completed after`,
      );
    }
    expect(readdirSync(elsewhere)).toEqual([]);

    // After every fault: output is captured again, in the recreated directory.
    await enqueuePhase('after');
    jobs += JOBS_PER_PHASE;
    await waitFor(() => completedOf('after') === JOBS_PER_PHASE, { what: 'the last jobs' });
    for (let i = 0; i < JOBS_PER_PHASE; i++) {
      expect(readFileSync(join(logDir, `after-${i}.1.stdout`), 'utf8')).toBe(`after-${i}\n`);
    }
    pidsAfter = (await liveWorkerPids(env, supervisorPid)).sort();
  } finally {
    chattr('-i', logDir);
    await workers.stop();
  }

  const counts = stateCounts(env.db);
  const lines = runsPerJob(ran);
  figure(
    `filesystem faults: ${WORKERS} workers, ${jobs} jobs, ${seconds(Date.now() - started)}; ` +
      `${summary.join('; ')}; worker pids ${pidsBefore.join(',')} before, ${pidsAfter.join(',')} after; ` +
      `final states ${JSON.stringify(counts)}`,
  );
  expect(workers.output()).not.toMatch(/died/);
  expect(pidsAfter).toEqual(pidsBefore);
  expect(counts).toEqual({ completed: jobs });
  // Every job ran to its end at least once (its id is in the file its command appends to).
  expect(lines.size).toBe(jobs);
});
