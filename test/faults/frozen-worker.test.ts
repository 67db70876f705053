/**
 * Scenario 3: a worker frozen (SIGSTOP) past its lease loses its job to another worker; when it
 * wakes (SIGCONT) its late result is refused and the job keeps the newer run's result.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { allAttempts, readDb } from './helpers/database.js';
import { faultEnv, reapEnvironment, startWorkers } from './helpers/fault-env.js';
import { figure, seconds } from './helpers/figures.js';

const env = faultEnv('frozen');

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
});

interface JobRow {
  state: string;
  worker_id: string | null;
  runs: number;
  last_exit_code: number | null;
}

const jobRow = () =>
  readDb(env.db, (db) => db.prepare("SELECT * FROM jobs WHERE id = 'frozen'").get() as JobRow);
const workerPid = (id: string) =>
  readDb(
    env.db,
    (db) => (db.prepare('SELECT pid FROM workers WHERE id = ?').get(id) as { pid: number }).pid,
  );

test("a frozen worker's late result is refused and the job keeps its newer run's result", async () => {
  const mark = join(env.dir, 'work', 'second-run');
  expect((await runCli(env, ['config', 'set', 'lease-timeout', '3s'])).code).toBe(0);
  // Run 1 would fail with exit 3; the rerun (run 2) succeeds and leaves a mark.
  const command = `if [ "$QUEUECTL_ATTEMPT" = 1 ]; then sleep 1; exit 3; fi; sleep 4; echo run-2 > '${mark}'`;
  const enqueued = await runCli(env, [
    'enqueue',
    JSON.stringify({ id: 'frozen', command, max_retries: 1 }),
  ]);
  expect(enqueued.code, enqueued.stderr).toBe(0);

  const workers = startWorkers(env, 2);
  try {
    // Freeze the holder once its job process has been reported.
    const first = await waitFor(
      () => {
        const run1 = allAttempts(env.db).get('frozen')?.[0];
        return run1?.job_pid != null ? run1 : undefined;
      },
      { timeoutMs: 30_000, what: 'run 1 to start and report its process' },
    );
    const frozenPid = workerPid(first.worker_id);
    process.kill(frozenPid, 'SIGSTOP');
    const frozenAt = Date.now();

    // Another worker takes the job over once the lease has run out, and reruns it.
    const second = await waitFor(() => allAttempts(env.db).get('frozen')?.[1], {
      timeoutMs: 30_000,
      what: 'the job to be recovered and rerun',
    });
    const recoveredAfter = second.started_at - frozenAt;
    expect(second.worker_id).not.toBe(first.worker_id);
    expect(allAttempts(env.db).get('frozen')![0]!.outcome).toBe('worker_lost');

    // Wake the frozen worker while run 2 is still going: its settle for run 1 must be refused.
    process.kill(frozenPid, 'SIGCONT');
    await waitFor(() => workers.output().includes('frozen: result refused'), {
      timeoutMs: 30_000,
      what: 'the woken worker to report its refused result',
    });
    const during = jobRow();
    expect(during).toMatchObject({ state: 'processing', worker_id: second.worker_id, runs: 2 });

    await waitFor(() => jobRow().state === 'completed', {
      timeoutMs: 30_000,
      what: 'run 2 to complete',
    });
    const attempts = allAttempts(env.db).get('frozen')!;
    expect(attempts.map((a) => a.outcome)).toEqual(['worker_lost', 'completed']);
    expect(jobRow()).toMatchObject({ state: 'completed', last_exit_code: 0, runs: 2 });
    expect(readFileSync(mark, 'utf8')).toBe('run-2\n');
    figure(
      `frozen worker: lease 3 s, job rerun ${seconds(recoveredAfter)} after SIGSTOP, late result refused, job kept run 2's result`,
    );
  } finally {
    await workers.stop();
  }
});
