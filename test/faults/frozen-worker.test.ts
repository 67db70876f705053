/**
 * Scenario 3: a worker frozen (SIGSTOP) past its lease loses its job to another worker; when it
 * wakes (SIGCONT) its late result is refused and the job keeps the newer run's result.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { allAttempts, readDb } from './helpers/database.js';
import { faultEnv, reapEnvironment, startWorkers } from './helpers/fault-env.js';
import { figure, seconds } from './helpers/figures.js';
import { processesWithEnv } from './helpers/processes.js';

const env = faultEnv('frozen');

let frozen: number | undefined;
/** SIGSTOPs a worker; thaw() in a finally makes sure a failed test leaves nothing stopped. */
function freeze(pid: number): number {
  process.kill(pid, 'SIGSTOP');
  frozen = pid;
  return pid;
}
function thaw(): void {
  if (frozen === undefined) return;
  try {
    process.kill(frozen, 'SIGCONT');
  } catch {
    // gone
  }
  frozen = undefined;
}

beforeAll(async () => {
  expect((await runCli(env, ['config', 'set', 'lease-timeout', '3s'])).code).toBe(0);
});

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
    const frozenPid = freeze(workerPid(first.worker_id));
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
    thaw();
    await workers.stop();
  }
});

test('a worker on another host that wakes after losing its lease kills its run at once', async () => {
  const id = 'frozen-remote';
  const mark = join(env.dir, 'work', 'remote-runs');
  // Run 1 would write its mark only after 12 s: long after the rerun, unless it is stopped.
  const command = `if [ "$QUEUECTL_ATTEMPT" = 1 ]; then sleep 12; else sleep 1; fi; echo "run-$QUEUECTL_ATTEMPT" >> '${mark}'`;
  expect((await runCli(env, ['enqueue', JSON.stringify({ id, command })])).code).toBe(0);

  // Two "hosts": the rescuer cannot kill the other host's processes; only the woken worker can.
  const hostA = startWorkers(env, 1, 'export QUEUECTL_HOST=host-a');
  let hostB: ReturnType<typeof startWorkers> | undefined;
  const runOneProcesses = () => {
    const attemptOne = new Set(processesWithEnv('QUEUECTL_ATTEMPT', '1'));
    return processesWithEnv('QUEUECTL_JOB_ID', id).filter((pid) => attemptOne.has(pid));
  };
  try {
    const first = await waitFor(
      () => {
        const run1 = allAttempts(env.db).get(id)?.[0];
        return run1?.job_pid != null ? run1 : undefined;
      },
      { timeoutMs: 30_000, what: 'run 1 to start on host a' },
    );
    const frozenPid = freeze(workerPid(first.worker_id));
    hostB = startWorkers(env, 1, 'export QUEUECTL_HOST=host-b');
    const second = await waitFor(() => allAttempts(env.db).get(id)?.[1], {
      timeoutMs: 30_000,
      what: 'host b to take the job over',
    });
    expect(runOneProcesses().length).toBeGreaterThan(0); // still running on the frozen host
    process.kill(frozenPid, 'SIGCONT');
    const woke = Date.now();
    await waitFor(() => runOneProcesses().length === 0, {
      timeoutMs: 8000,
      what: 'the woken worker to kill the run it no longer holds',
    });
    const stoppedAfter = Date.now() - woke;
    await waitFor(() => allAttempts(env.db).get(id)?.[1]?.outcome === 'completed', {
      timeoutMs: 30_000,
      what: 'run 2 to complete',
    });
    await waitFor(() => hostA.output().includes(`${id}: result refused`), {
      what: 'host a to report its refused result',
    });
    expect(second.worker_id).not.toBe(first.worker_id);
    expect(readFileSync(mark, 'utf8')).toBe('run-2\n');
    figure(
      `frozen worker on another host: its run was killed ${stoppedAfter} ms after it woke; the rerun's result stands`,
    );
  } finally {
    thaw();
    await hostA.stop();
    await hostB?.stop();
  }
});
