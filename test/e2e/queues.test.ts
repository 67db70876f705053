/**
 * Named queues, limits, pause and resume, dependencies and unique keys, through the built CLI:
 * several worker groups (processes, as on several hosts), commands from other processes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, sandbox } from '../helpers/cli-sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import type { JobJson, Shown } from '../helpers/json-shapes.js';
import { maxOverlap, ranBeside, readIntervals, timedJob } from './queue-workload.js';

interface QueueJson {
  name: string;
  concurrency: number | null;
  paused: boolean;
  counts: Record<string, number>;
  runnable: number;
  blocked: number;
}

const ndjson = (specs: object[]) => specs.map((spec) => JSON.stringify(spec)).join('\n');

describe('named queues end to end', () => {
  it('never runs two jobs of a queue limited to 1 on two worker groups, while another queue runs beside it', async () => {
    const s = sandbox();
    const one = join(s.home, 'one.txt');
    const free = join(s.home, 'free.txt');
    const set = await s.run(['queue', 'set', 'one', '--concurrency', '1']);
    expect(set).toMatchObject({
      code: 0,
      stdout: 'one: at most 1 running at once (0 running now)\n',
    });
    const jobs = [
      ...Array.from({ length: 6 }, (_, i) => timedJob(`one-${i}`, 'one', one, 0.3)),
      ...Array.from({ length: 6 }, (_, i) => timedJob(`free-${i}`, 'free', free, 0.6)),
    ];
    expect((await s.run(['enqueue', '--file', '-'], ndjson(jobs))).code).toBe(0);
    const groups = ['host-a', 'host-b'].map((host) =>
      collect(
        s.start(['worker', 'start', '--count', '2', '--drain', '--quiet'], { QUEUECTL_HOST: host }),
      ),
    );
    for (const group of await Promise.all(groups)) expect(group.code, group.stderr).toBe(0);

    const limited = readIntervals(one);
    const beside = readIntervals(free);
    expect(limited).toHaveLength(6);
    expect(beside).toHaveLength(6);
    expect(maxOverlap(limited)).toBe(1);
    expect(maxOverlap(beside)).toBeGreaterThanOrEqual(2); // the other queue had no limit
    expect(ranBeside(limited, beside)).toBe(true);
    const queues = await s.json<QueueJson[]>(['queue', 'list']);
    expect(queues.find((q) => q.name === 'one')).toMatchObject({
      concurrency: 1,
      counts: expect.objectContaining({ completed: 6 }),
    });
  }, 60_000);

  it('pauses and resumes a queue from another process while workers run', async () => {
    const s = sandbox();
    const marker = join(s.home, 'ran.txt');
    // Polling only hourly: jobs run promptly only if commits (an enqueue, a resume) wake it.
    const worker = s.start(['worker', 'start', '--count', '1', '--quiet', '--poll-interval', '1h']);
    const exited = collect(worker);
    await waitFor(
      async () => (await s.json<{ workers: unknown[] }>(['status'])).workers.length === 1,
      { what: 'the worker to register' },
    );
    const paused = await s.run(['pause', 'reports']);
    expect(paused).toMatchObject({
      code: 0,
      stdout: 'reports: paused (no jobs yet; they will wait)\n',
    });
    const held = (id: string) => ({ id, queue: 'reports', command: `echo ${id} >> '${marker}'` });
    expect((await s.run(['enqueue', JSON.stringify([held('r1'), held('r2')])])).code).toBe(0);
    // A later job of another queue runs: the worker is awake and passed the paused ones over.
    await s.run(['enqueue', JSON.stringify({ id: 'other', command: `echo other >> '${marker}'` })]);
    await waitFor(async () => (await s.json<Shown>(['show', 'other'])).job.state === 'completed');
    expect((await s.json<JobJson[]>(['list', '--queue', 'reports'])).map((j) => j.state)).toEqual([
      'pending',
      'pending',
    ]);
    const status = await s.run(['status']);
    expect(status.stdout).toMatch(/reports\s+paused\s+-\s+0\s+2\n/);
    expect(status.stdout).toMatch(/1 paused queue: their jobs wait/);

    expect((await s.run(['resume', 'reports'])).stdout).toBe(
      'reports: resumed (2 jobs can start)\n',
    );
    await waitFor(
      async () =>
        (await s.json<JobJson[]>(['list', '--queue', 'reports'])).every(
          (j) => j.state === 'completed',
        ),
      { what: 'the resumed jobs to run' },
    );

    // pause --wait returns once the running job of the queue has finished.
    await s.run(['enqueue', JSON.stringify({ id: 'long', queue: 'reports', command: 'sleep 1' })]);
    await waitFor(async () => (await s.json<Shown>(['show', 'long'])).job.state === 'processing');
    const waited = await s.run(['pause', 'reports', '--wait']);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toMatch(/reports: paused \(1 running job will finish\)/);
    expect((await s.json<Shown>(['show', 'long'])).job.state).toBe('completed');

    const bad = await s.run(['resume', 'reports', 'ghost']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^queuectl: no queue named "ghost"; queues: default, reports/);
    expect((await s.json<QueueJson[]>(['queue', 'list']))[1]).toMatchObject({ paused: true });
    worker.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  }, 60_000);

  it('runs a dependency chain in order and cancels the dependent of a job that failed', async () => {
    const s = sandbox();
    const out = join(s.home, 'order.txt');
    const step = (id: string, after: string[] = []) => ({
      id,
      after,
      command: `echo ${id} >> '${out}'`,
      // Reversed priorities: only the dependencies hold the order.
      priority: { a: 1, b: 2, c: 3 }[id] ?? 0,
    });
    const specs = [
      step('a'),
      step('b', ['a']),
      step('c', ['b']),
      { id: 'x', command: 'exit 4', max_retries: 0 },
      { id: 'y', command: 'true', after: ['x'] },
      { id: 'z', command: 'true', after: ['y'] },
    ];
    expect((await s.run(['enqueue', JSON.stringify(specs)])).code).toBe(0);
    expect((await s.run(['list'])).stdout).toMatch(/^c\s+pending\s+0\/4\s+3\s+after b/m);
    expect((await s.run(['worker', 'start', '--count', '3', '--drain', '--quiet'])).code).toBe(0);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(out, 'utf8')).toBe('a\nb\nc\n');
    const y = await s.json<Shown & { dependencies: unknown[] }>(['show', 'y']);
    expect(y.job).toMatchObject({ state: 'cancelled', last_error: 'dependency x is dead' });
    expect(y.dependencies).toEqual([{ id: 'x', state: 'dead', met: false }]);
    expect((await s.json<Shown>(['show', 'z'])).job.last_error).toBe('dependency y is cancelled');
    expect((await s.run(['show', 'x'])).stdout).toMatch(/^dependents\s+y \(cancelled\)$/m);
    // Restarting the failed dependency does not revive its dependents.
    await s.run(['restart', 'x']);
    expect((await s.json<Shown>(['show', 'y'])).job.state).toBe('cancelled');
  }, 60_000);

  it('serves only the queues a worker is started for, tells jobs their queue, and drains past a paused queue', async () => {
    const s = sandbox();
    const out = join(s.home, 'queues.txt');
    const job = (id: string) => ({
      id,
      command: `echo "$QUEUECTL_JOB_ID $QUEUECTL_QUEUE" >> '${out}'`,
    });
    const file = ndjson([job('m1'), job('m2')]);
    expect((await s.run(['enqueue', '--file', '-', '--queue', 'mail'], file)).code).toBe(0);
    expect(
      (await s.run(['enqueue', JSON.stringify([job('d1'), { ...job('r1'), queue: 'reports' }])]))
        .code,
    ).toBe(0);
    expect((await s.run(['pause', 'reports'])).code).toBe(0);
    const mailOnly = await s.run(['worker', 'start', '--queue', 'mail', '--drain']);
    expect(mailOnly.code, mailOnly.stderr).toBe(0);
    expect(mailOnly.stderr).toMatch(/serving mail;/);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean).sort()).toEqual([
      'm1 mail',
      'm2 mail',
    ]);
    const all = await s.run(['worker', 'start', '--drain']);
    expect(all.code, all.stderr).toBe(0);
    // The paused queue's job does not keep a draining worker; the summary says it is left.
    expect(all.stderr).toMatch(/left waiting: 1 job in paused queue reports/);
    expect(readFileSync(out, 'utf8')).toMatch(/^d1 default$/m);
    expect((await s.json<Shown>(['show', 'r1'])).job.state).toBe('pending');
    const stats = await s.json<{ completed: number }>(['stats', '--queue', 'mail']);
    expect(stats.completed).toBe(2);
    // Nothing left that a drain would run: no worker is started (the two forked held up front,
    // --count being given, are sent away: the command would hang on them otherwise).
    const idle = await s.run(['worker', 'start', '--drain', '--count', '2']);
    expect(idle).toEqual({
      code: 0,
      stdout: '',
      stderr: `nothing to drain on ${s.db}: no job is waiting to run; left waiting: 1 job in paused queue reports\n`,
    });
  }, 60_000);

  it('stores exactly one job when 20 processes enqueue one unique key at once', async () => {
    const s = sandbox();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.run(['enqueue', '-c', `echo ${i}`, '--unique-key', 'nightly-report', '--json']),
      ),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const printed = results.map((r) => JSON.parse(r.stdout) as JobJson & { skipped?: boolean });
    expect(new Set(printed.map((job) => job.id)).size).toBe(1);
    expect(printed.filter((job) => job.skipped === true)).toHaveLength(19);
    expect(await s.json<JobJson[]>(['list'])).toHaveLength(1);
    const human = await s.run(['enqueue', '-c', 'echo again', '--unique-key', 'nightly-report']);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toBe(
      `already queued ${printed[0]!.id} (pending, unique key "nightly-report"); nothing stored\n`,
    );
  }, 60_000);

  it('refuses bad dependencies and queue names, changing nothing', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"base","command":"true"}']);
    const before = s.dump();
    const cases: [string[], RegExp][] = [
      [
        ['enqueue', '{"command":"true","after":["ghost"]}'],
        /^queuectl: after: no job with id "ghost"\n$/,
      ],
      [
        [
          'enqueue',
          '[{"id":"p","command":"true","after":["q"]},{"id":"q","command":"true","after":["p"]}]',
        ],
        /^queuectl: item 1: after: job "q" comes later in the batch/,
      ],
      [
        ['enqueue', '{"id":"me","command":"true","after":["me"]}'],
        /cannot be enqueued after itself/,
      ],
      [['enqueue', '-c', 'true', '--after', 'base,bad id'], /--after "bad id" may only hold/],
      [['enqueue', '-c', 'true', '--queue', 'naïve'], /--queue "naïve" may only hold letters/],
      [
        ['enqueue', '{"command":"true","queue":"' + 'q'.repeat(129) + '"}'],
        /queue must be 1 to 128/,
      ],
      [['enqueue', '--after', 'base', '{"command":"true"}'], /--after and --unique-key go with -c/],
      [['queue', 'set', 'x', '--concurrency', '0'], /--concurrency must be a whole number from 1/],
      [['queue', 'set', 'x'], /say what to set: --concurrency/],
      [['pause'], /name the queues to pause/],
      [['pause', 'a', '--all'], /not both/],
      [['resume', 'nope'], /no queue named "nope"/],
      [['list', '--queue', 'a/b'], /--queue "a\/b" may only hold/],
      [['worker', 'start', '--queue', ',', '--drain'], /--queue takes queue names/],
    ];
    for (const [args, message] of cases) {
      const result = await s.run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout).toBe('');
    }
    expect(s.dump()).toBe(before);
    expect((await s.run(['queue', 'set', 'x', '--concurrency', '4'])).code).toBe(0);
    expect((await s.run(['queue', 'set', 'x', '--concurrency', 'none'])).stdout).toBe(
      'x: no concurrency limit (0 running)\n',
    );
    const rm = await s.run(['enqueue', '{"id":"child","command":"true","after":["base"]}']);
    expect(rm.code).toBe(0);
    const refused = await s.run(['rm', 'base']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/job "base" is still waited for by job child \(pending\)/);
    expect((await s.run(['rm', 'base', 'child'])).code).toBe(0);
  }, 60_000);
});
