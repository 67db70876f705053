/** The core scenarios, run through the built CLI exactly as a user types them. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, sandbox } from '../helpers/cli-sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { ms, type JobJson, type Shown } from '../helpers/json-shapes.js';

describe('queuectl end to end', () => {
  it('runs a basic job to completion', async () => {
    const s = sandbox();
    const out = join(s.home, 'out.txt');
    const enqueued = await s.run([
      'enqueue',
      JSON.stringify({ id: 'job1', command: `echo hello > ${out}` }),
    ]);
    expect(enqueued).toMatchObject({ code: 0, stdout: 'enqueued job1\n' });
    const worker = await s.run(['worker', 'start', '--count', '1', '--drain']);
    expect(worker.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('hello\n');
    const { job, attempts } = await s.json<Shown>(['show', 'job1']);
    expect(job).toMatchObject({ state: 'completed', attempts: 1, last_exit_code: 0 });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.outcome).toBe('completed');
  });

  it('retries a failing job with growing delays, moves it to dead, and brings it back with dlq retry', async () => {
    const s = sandbox();
    expect((await s.run(['config', 'set', 'backoff-base', '1.5'])).code).toBe(0);
    await s.run(['enqueue', '{"id":"flaky","command":"exit 3","max_retries":2}']);
    expect((await s.run(['worker', 'start', '--count', '1', '--drain'])).code).toBe(0);

    const { job, attempts } = await s.json<Shown>(['show', 'flaky']);
    expect(job).toMatchObject({
      state: 'dead',
      attempts: 3,
      last_exit_code: 3,
      last_error: 'exited with code 3',
    });
    expect(attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed']);
    const gap1 = ms(attempts[1]!.started_at) - ms(attempts[0]!.finished_at);
    const gap2 = ms(attempts[2]!.started_at) - ms(attempts[1]!.finished_at);
    expect(gap1).toBeGreaterThanOrEqual(1500); // 1.5^1 s
    expect(gap2).toBeGreaterThanOrEqual(2250); // 1.5^2 s
    expect(gap2).toBeGreaterThan(gap1);

    const dead = await s.json<JobJson[]>(['dlq', 'list']);
    expect(dead.map((j) => j.id)).toEqual(['flaky']);
    const retried = await s.run(['dlq', 'retry', 'flaky']);
    expect(retried.code).toBe(0);
    const back = await s.json<Shown>(['show', 'flaky']);
    expect(back.job).toMatchObject({
      state: 'pending',
      attempts: 0,
      last_error: 'exited with code 3',
    });
    expect(await s.json<JobJson[]>(['dlq', 'list'])).toEqual([]);

    const again = await s.run(['dlq', 'retry', 'flaky']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is pending, not dead/);
  });

  it('runs many jobs on several workers in parallel, each exactly once', async () => {
    const s = sandbox();
    const out = join(s.home, 'ran.txt');
    const jobs = [
      ...Array.from({ length: 8 }, (_, i) => ({
        id: `slow-${i}`,
        command: `sleep 1; echo slow-${i} >> ${out}`,
      })),
      ...Array.from({ length: 150 }, (_, i) => ({
        id: `fast-${i}`,
        command: `echo fast-${i} >> ${out}`,
      })),
    ];
    expect(
      (await s.run(['enqueue', '--file', '-'], jobs.map((j) => JSON.stringify(j)).join('\n'))).code,
    ).toBe(0);
    const started = Date.now();
    expect((await s.run(['worker', 'start', '--count', '4', '--drain', '--quiet'])).code).toBe(0);
    const elapsed = Date.now() - started;

    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(jobs.length);
    expect(new Set(lines).size).toBe(jobs.length);
    expect((await s.json<{ counts: Record<string, number> }>(['status'])).counts.completed).toBe(
      jobs.length,
    );

    // Genuinely parallel: the one-second jobs overlapped each other.
    const spans = await Promise.all(
      jobs.slice(0, 8).map(async (j) => (await s.json<Shown>(['show', j.id])).attempts[0]!),
    );
    let maxOverlap = 0;
    for (const a of spans) {
      const t = ms(a.started_at) + 500;
      maxOverlap = Math.max(
        maxOverlap,
        spans.filter((b) => ms(b.started_at) <= t && ms(b.finished_at) >= t).length,
      );
    }
    expect(maxOverlap).toBeGreaterThanOrEqual(2);
    expect(elapsed).toBeLessThan(8 * 1000 + 10_000);
  });

  it('fails a command that does not exist gracefully and goes on to the next job', async () => {
    const s = sandbox();
    await s.run([
      'enqueue',
      '{"id":"typo","command":"no-such-command-qctl --now","max_retries":0}',
    ]);
    await s.run(['enqueue', '{"id":"after","command":"true"}']);
    expect((await s.run(['worker', 'start', '--count', '1', '--drain'])).code).toBe(0);
    const typo = await s.json<Shown>(['show', 'typo']);
    expect(typo.job).toMatchObject({ state: 'dead', last_exit_code: 127 });
    expect(typo.job.last_error).toMatch(/command not found \(exit 127\).*no-such-command-qctl/);
    expect((await s.json<Shown>(['show', 'after'])).job.state).toBe('completed');
  });

  it('keeps jobs across processes: enqueued in one, listed in the next, run in a third', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"durable","command":"true"}']);
    expect(existsSync(s.db)).toBe(true);
    const listed = await s.json<JobJson[]>(['list', '--state', 'pending']);
    expect(listed.map((j) => j.id)).toEqual(['durable']);
    await s.run(['worker', 'start', '--drain', '--quiet']);
    expect((await s.json<Shown>(['show', 'durable'])).job.state).toBe('completed');
  });

  it('lets the running job finish when worker stop is called from another process', async () => {
    const s = sandbox();
    const marker = join(s.home, 'finished');
    const worker = s.start(['worker', 'start', '--count', '2']);
    const exited = collect(worker);
    await s.run(['enqueue', JSON.stringify({ id: 'long', command: `sleep 2; touch ${marker}` })]);
    await waitFor(async () => (await s.json<Shown>(['show', 'long'])).job.state === 'processing', {
      what: 'job to start',
    });

    const stop = await s.run(['worker', 'stop', '--timeout', '30s']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/stopped 2 workers/);
    expect(existsSync(marker)).toBe(true);
    expect((await s.json<Shown>(['show', 'long'])).job.state).toBe('completed');
    expect((await exited).code).toBe(0);
    expect((await s.json<{ workers: unknown[] }>(['status'])).workers).toEqual([]);
  });

  it('shows how many workers run on each host', async () => {
    const s = sandbox();
    const groups = [
      s.start(['worker', 'start', '--count', '2', '--quiet'], { QUEUECTL_HOST: 'host-a' }),
      s.start(['worker', 'start', '--quiet'], { QUEUECTL_HOST: 'host-b' }),
    ];
    const exits = groups.map((group) => collect(group));
    await waitFor(
      async () => (await s.json<{ workers: unknown[] }>(['status'])).workers.length === 3,
      {
        what: 'three workers to register',
      },
    );
    expect((await s.run(['status'])).stdout).toMatch(/3 workers active: 2 on host-a, 1 on host-b/);
    for (const group of groups) group.kill('SIGTERM');
    for (const exit of exits) expect((await exit).code).toBe(0);
  });

  it('finishes the running job on the first Ctrl+C, and on a second kills it and puts it back', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"first","command":"sleep 1"}']);
    const graceful = s.start(['worker', 'start']);
    const gracefulExit = collect(graceful);
    await waitFor(async () => (await s.json<Shown>(['show', 'first'])).job.state === 'processing');
    graceful.kill('SIGINT');
    expect((await gracefulExit).code).toBe(0);
    expect((await s.json<Shown>(['show', 'first'])).job.state).toBe('completed');

    const marker = `sleep 987.${process.pid}`;
    await s.run(['enqueue', JSON.stringify({ id: 'second', command: marker })]);
    const hurried = s.start(['worker', 'start']);
    let said = '';
    hurried.stderr!.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const hurriedExit = collect(hurried);
    await waitFor(async () => (await s.json<Shown>(['show', 'second'])).job.state === 'processing');
    hurried.kill('SIGINT');
    // Signals sent back to back may merge into one: wait until the first was heard.
    await waitFor(() => said.includes('running jobs finish first'), {
      what: 'the first Ctrl+C to be heard',
    });
    hurried.kill('SIGINT');
    const result = await hurriedExit;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/stopping at once/);
    const { job, attempts } = await s.json<Shown>(['show', 'second']);
    expect(job.state).toBe('pending');
    expect(attempts[0]!.outcome).toBe('interrupted');
    const { execFileSync } = await import('node:child_process');
    const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(marker));
    expect(left).toEqual([]);
  });
});
