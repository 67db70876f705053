/**
 * `worker start --concurrency M` through the CLI: N×M slots drain a batch, and a worker process
 * SIGKILLed while it runs eight jobs loses none of them: its replacement on the same host puts
 * all eight back at once (their runs count as worker_lost) and runs them again. Ctrl+C lets
 * all running jobs finish; a second Ctrl+C kills them all and puts them back.
 */
import { describe, expect, it } from 'vitest';
import { startCliInShell } from '../faults/helpers/fault-env.js';
import { collect, sandbox } from '../helpers/cli-sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import type { QueueStatus } from '../../src/core/queue.js';
import type { AttemptJson, Shown } from '../helpers/json-shapes.js';

describe('worker start --concurrency', () => {
  it('runs --count 2 --concurrency 4 as eight slots and drains the batch', async () => {
    const s = sandbox();
    const jobs = Array.from({ length: 24 }, (_, i) => ({ id: `d${i}`, command: 'sleep 0.2' }));
    expect((await s.run(['enqueue', JSON.stringify(jobs)])).code).toBe(0);
    const run = await s.run(['worker', 'start', '--count', '2', '--concurrency', '4', '--drain']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^started 2 workers × 4 jobs at once \(pids \d+, \d+\)/m);
    expect(run.stderr).toMatch(/drained in .*: 24 jobs completed, 0 failed runs, 0 dead/);
  });

  it('rejects a concurrency out of range, and config worker-concurrency sets the default', async () => {
    const s = sandbox();
    for (const bad of ['0', '257', '-1', 'two', '1.5']) {
      const result = await s.run(['worker', 'start', '--concurrency', bad]);
      expect(result.code, bad).toBe(2);
      expect(result.stderr).toMatch(
        /^queuectl: --concurrency must be a whole number from 1 to 256/,
      );
    }
    expect((await s.run(['config', 'set', 'worker-concurrency', '3'])).code).toBe(0);
    await s.run(['enqueue', '{"command":"true"}']);
    const run = await s.run(['worker', 'start', '--drain']);
    expect(run.stderr).toMatch(/^started 1 worker × 3 jobs at once/m);
  });

  it('a worker SIGKILLed with eight running jobs loses none: all eight run again at once', async () => {
    const s = sandbox();
    // The first run of each job hangs; the rerun after the kill finishes at once.
    const jobs = Array.from({ length: 8 }, (_, i) => ({
      id: `k${i}`,
      command: 'if [ "$QUEUECTL_ATTEMPT" = 1 ]; then sleep 300; fi',
    }));
    expect((await s.run(['enqueue', JSON.stringify(jobs)])).code).toBe(0);
    const supervisor = s.start(['worker', 'start', '--count', '1', '--concurrency', '8']);
    const done = collect(supervisor);
    const status = () => s.json<QueueStatus>(['status']);
    const first = await waitFor(
      async () => {
        const now = await status();
        const [worker] = now.workers;
        // Its first heartbeats (100 ms into a run) name a job it runs.
        return now.counts.processing === 8 && worker?.current_job ? worker : null;
      },
      { what: 'eight jobs running in one worker' },
    );
    // status counts every job a worker holds, and names one of them.
    expect(first.running).toBe(8);
    expect(jobs.map((j) => j.id)).toContain(first.current_job);
    expect((await s.run(['status'])).stdout).toMatch(/\bk\d \+7\b/);
    const killed = Date.now();
    process.kill(first.pid, 'SIGKILL');
    await waitFor(async () => (await status()).counts.completed === 8, {
      timeoutMs: 15_000,
      what: 'all eight jobs to complete after the kill',
    });
    const tookMs = Date.now() - killed;
    for (const { id } of jobs) {
      const { attempts } = await s.json<Shown>(['show', id]);
      expect(
        attempts.map((a) => a.outcome),
        id,
      ).toEqual(['worker_lost', 'completed']);
      expect((attempts[0] as AttemptJson & { pid: number }).pid).toBe(first.pid);
    }
    // The replacement worker rescues a dead local worker's jobs at once, not after the lease.
    expect(tookMs).toBeLessThan(10_000);
    supervisor.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });

  it('runs fewer jobs at once than asked when the open-file limit is too low, and says so', async () => {
    const s = sandbox();
    const jobs = Array.from({ length: 120 }, (_, i) => ({ id: `f${i}`, command: 'sleep 0.2' }));
    expect((await s.run(['enqueue', JSON.stringify(jobs)])).code).toBe(0);
    // 200 files: (200 - 64 kept for the worker) / 4 per job = 34 jobs at once, not 256.
    const run = await collect(
      startCliInShell(s.env, ['worker', 'start', '--concurrency', '256', '--drain', '--quiet'], {
        prelude: 'ulimit -n 200',
      }),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /256 jobs at once need about 1088 open files, but this process may open 200 \(ulimit -n\); running 34 at once/,
    );
    expect(run.stderr).toMatch(/120 jobs completed, 0 failed runs, 0 dead/);
  });

  it('Ctrl+C lets all eight running jobs finish; a second Ctrl+C kills them all and puts them back', async () => {
    const s = sandbox();
    const status = () => s.json<QueueStatus>(['status']);
    const eightRunning = async () => (await status()).counts.processing === 8;
    const jobs = (prefix: string, command: string) =>
      JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ id: `${prefix}${i}`, command })));

    expect((await s.run(['enqueue', jobs('g', 'sleep 1')])).code).toBe(0);
    const graceful = s.start(['worker', 'start', '--concurrency', '8']);
    const gracefulDone = collect(graceful);
    await waitFor(eightRunning, { what: 'eight jobs running' });
    graceful.kill('SIGINT');
    expect((await gracefulDone).code).toBe(0);
    expect((await status()).counts).toMatchObject({ completed: 8, pending: 2, processing: 0 });

    expect((await s.run(['enqueue', jobs('h', 'sleep 60')])).code).toBe(0);
    const hard = s.start(['worker', 'start', '--concurrency', '8']);
    let said = '';
    hard.stderr!.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const hardDone = collect(hard);
    await waitFor(eightRunning, { what: 'eight jobs running' });
    hard.kill('SIGINT');
    await waitFor(() => said.includes('running jobs finish first'), { what: 'the first stop' });
    hard.kill('SIGINT');
    const result = await hardDone;
    expect(result.code, result.stderr).toBe(0);
    expect(said).toMatch(/stopping at once/);
    // Every h job is back in the queue (the two g jobs left ran first), none left processing.
    const after = await status();
    expect(after.counts.processing).toBe(0);
    for (let i = 0; i < 10; i++) {
      const { job } = await s.json<Shown>(['show', `h${i}`]);
      expect(job.state, `h${i}`).toBe('pending');
    }
  });
});
