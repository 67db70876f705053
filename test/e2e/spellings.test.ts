/**
 * Every spelling the reference documents use works, through the built CLI as typed: local
 * `run_at` times, `default_max_retries`, `worker-count`, the worker flags of documents 001, 003
 * and 004, the status and stats they show, shell completion.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/core/job.js';
import { sandbox } from '../helpers/cli-sandbox.js';
import { collect, runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';

describe('spellings from the reference documents', () => {
  it('reads run_at without a zone as the local time of the enqueuing machine (TZ honoured)', async () => {
    const s = sandbox();
    const spec =
      '{"id":"job-4","command":"sleep 5","priority":10,"timeout_seconds":2,"run_at":"2025-11-10T18:30:00"}';
    const berlin = await runCli({ ...s.env, env: { TZ: 'Europe/Berlin' } }, ['enqueue', spec]);
    expect(berlin).toMatchObject({
      code: 0,
      stdout: 'enqueued job-4 to run at 2025-11-10 17:30:00Z (due now)\n',
    });
    const kolkata = await runCli({ ...s.env, env: { TZ: 'Asia/Kolkata' } }, [
      'enqueue',
      '-c',
      'true',
      '--id',
      'spaced',
      '--run-at',
      '2099-12-01 09:00',
    ]);
    expect(kolkata.code, kolkata.stderr).toBe(0);
    expect(kolkata.stdout).toMatch(/^enqueued spaced to run at 2099-12-01 03:30:00Z \(in \d+d/);
    const shown = await s.json<{ job: Job }>(['show', 'spaced']);
    expect(shown.job.run_at).toBe('2099-12-01T03:30:00.000Z');
  });

  it('accepts default_max_retries (document 002) as the name of max-retries', async () => {
    const s = sandbox();
    const set = await s.run(['config', 'set', 'default_max_retries', '5']);
    expect(set).toMatchObject({ code: 0, stdout: 'max-retries = 5\n' });
    expect((await s.run(['config', 'get', 'default-max-retries'])).stdout).toBe('5\n');
    await s.run(['enqueue', '{"id":"j","command":"true"}']);
    expect((await s.json<{ job: Job }>(['show', 'j'])).job.max_retries).toBe(5);
  });

  it('lists every key with its value and meaning from config get without a key (document 004)', async () => {
    const s = sandbox();
    const all = await s.run(['config', 'get']);
    expect(all.code).toBe(0);
    for (const key of ['max-retries', 'backoff-base', 'worker-count', 'poll-interval']) {
      expect(all.stdout).toMatch(new RegExp(`^${key} .+ [A-Z][a-z]* [a-z]+`, 'm'));
    }
  });

  it('starts config worker-count workers when worker start has no --count (document 003)', async () => {
    const s = sandbox();
    expect((await s.run(['config', 'set', 'worker-count', '3'])).code).toBe(0);
    expect((await s.run(['enqueue', '{"id":"one","command":"true"}'])).code).toBe(0);
    const started = await s.run(['worker', 'start', '--drain']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toMatch(/^started 3 workers /m);
    expect(started.stderr).toMatch(/^drained in .+: 1 job completed/m);
  });

  it('shows the total, the dead letter queue size and how many workers are active (documents 000, 003)', async () => {
    const s = sandbox();
    await s.run(['enqueue', '[{"command":"true"},{"command":"exit 1","max_retries":0}]']);
    expect((await s.run(['worker', 'start', '--drain'])).code).toBe(0);
    const status = await s.run(['status']);
    expect(status.stdout).toMatch(/^total\s+2$/m);
    expect(status.stdout).toMatch(/^dead letter queue: 1 job \(queuectl dlq list\)$/m);
    expect(status.stdout).toMatch(/^no active workers/m);
  });

  it('reports the average run time in stats (document 001)', async () => {
    const s = sandbox();
    await s.run(['enqueue', '[{"command":"true"},{"command":"sleep 0.2"}]']);
    expect((await s.run(['worker', 'start', '--drain'])).code).toBe(0);
    const stats = await s.json<{ durationMs: { min: number; avg: number; max: number } }>([
      'stats',
    ]);
    expect(stats.durationMs.avg).toBeGreaterThan(stats.durationMs.min);
    expect(stats.durationMs.avg).toBeLessThan(stats.durationMs.max);
    expect((await s.run(['stats'])).stdout).toMatch(/^run time\s+avg \S+\s+min /m);
  });

  it('colours piped output with FORCE_COLOR, and never with NO_COLOR', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"c","command":"true"}']);
    const run = (env: Record<string, string>) => runCli({ ...s.env, env }, ['list']);
    // eslint-disable-next-line no-control-regex
    const ansi = /\u001b\[\d+m/;
    expect((await run({ NO_COLOR: '', FORCE_COLOR: '1' })).stdout).toMatch(ansi);
    expect((await run({ NO_COLOR: '1', FORCE_COLOR: '1' })).stdout).not.toMatch(ansi);
    expect((await run({ NO_COLOR: '', FORCE_COLOR: '0' })).stdout).not.toMatch(ansi);
    expect((await run({ NO_COLOR: '' })).stdout).not.toMatch(ansi); // piped
  });

  it('runs queuectl worker -v -c 2 -s 1 (document 004): two workers, job output in the log', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"hello","command":"echo hello from the job; echo warned >&2"}']);
    const workers = s.start(['worker', '-v', '-c', '2', '-s', '1']);
    const done = collect(workers);
    // The poll interval reaches each worker process (its command line holds no secret).
    const pids = await waitFor(async () => {
      const { workers: list } = await s.json<{ workers: { pid: number }[] }>(['status']);
      return list.length === 2 ? list.map((w) => w.pid) : null;
    });
    // Worker 1 is the one worker start forked before reading its options (early-worker.cts),
    // which got them in its go message; the others have them on their command line.
    const argvs = pids.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'));
    const forked = argvs.filter((argv) => argv.at(-2) !== '--hold');
    expect(forked.length).toBeGreaterThanOrEqual(1);
    for (const argv of forked) {
      expect(argv).toEqual(expect.arrayContaining(['--verbose', '--poll-interval-ms', '1000']));
    }
    await waitFor(
      async () => (await s.json<{ job: Job }>(['show', 'hello'])).job.state === 'completed',
    );
    const stopped = await s.run(['worker', '--stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/^stopped 2 workers:/);
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^started 2 workers /m);
    expect(result.stdout).toMatch(/\[worker \d\] hello stdout: hello from the job$/m);
    expect(result.stdout).toMatch(/\[worker \d\] hello stderr: warned$/m);
  });

  it('stops each worker after -l N jobs (document 004) and returns when all have exited', async () => {
    const s = sandbox();
    await s.run([
      'enqueue',
      JSON.stringify(Array.from({ length: 5 }, () => ({ command: 'true' }))),
    ]);
    const result = await s.run(['worker', '-c', '1', '-l', '2']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/all workers stopped/);
    const { counts } = await s.json<{ counts: Record<string, number> }>(['status']);
    expect(counts).toMatchObject({ completed: 2, pending: 3 });
  });

  it('ends a drain with a summary of what it ran', async () => {
    const s = sandbox();
    await s.run([
      'enqueue',
      '[{"command":"true"},{"command":"true"},{"command":"exit 1","max_retries":1}]',
    ]);
    await s.run(['config', 'set', 'backoff-base', '1']);
    const result = await s.run(['worker', 'start', '--count', '2', '--drain']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^drained in \S+: 2 jobs completed, 2 failed runs, 1 dead$/m);
  });

  it("counts in a drain's summary the jobs cancelled with a dead dependency", async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"build","command":"exit 1","max_retries":0}']);
    await s.run(['enqueue', '-c', 'true', '--id', 'test', '--after', 'build']);
    await s.run(['enqueue', '-c', 'true', '--id', 'deploy', '--after', 'test']);
    const result = await s.run(['worker', 'start', '--drain']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^drained in \S+: 0 jobs completed, 1 failed run, 1 dead, 2 cancelled$/m,
    );
    const stats = await s.json<{ cancelled: number }>(['stats']);
    expect(stats.cancelled).toBe(2);
  });

  it('prints a bash completion script that bash accepts, and completes states and keys', async () => {
    const s = sandbox();
    const script = await s.run(['completion', 'bash']);
    expect(script.code).toBe(0);
    execFileSync('bash', ['-n'], { input: script.stdout });
    const states = await s.run(['complete', '--', 'list', '--state', '']);
    expect(states.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(
      expect.arrayContaining(['pending', 'processing', 'completed', 'failed', 'dead']),
    );
    const keys = await s.run(['complete', '--', 'config', 'set', '']);
    expect(keys.stdout).toMatch(/^worker-count\t/m);
    const commands = await s.run(['complete', '--', '']);
    for (const command of ['enqueue', 'worker', 'dlq', 'completion', 'top']) {
      expect(commands.stdout).toMatch(new RegExp(`^${command}\\t`, 'm'));
    }
    expect((await s.run(['completion', 'tcsh'])).code).toBe(2);
  });

  it('says every usage error in one queuectl: line with where to look', async () => {
    const s = sandbox();
    for (const [args, message] of [
      [
        ['worker', '--cont', '3'],
        /^queuectl: unknown option '--cont' \(Did you mean --count\?\); see queuectl worker start --help$/,
      ],
      [['show'], /^queuectl: missing required argument 'id'; see queuectl show --help$/],
      [['enqueue', 'ls'], /^queuectl: "ls" is not a JSON job; .* queuectl enqueue -c "ls"$/],
      [['enqueue', '-c', 'make', 'test'], /queuectl enqueue -c "make test" /],
      [['worker', '-c', '0'], /^queuectl: --count must be a whole number from 1 to 256, not "0"$/],
      [['config', 'set', 'kill-grace', '-1s'], /a value that starts with - goes after --/],
    ] as const) {
      const result = await s.run([...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr.trimEnd()).toMatch(message);
    }
  });

  it('takes everything after -- as the command (as pueue add --)', async () => {
    const s = sandbox();
    const added = await s.run([
      'enqueue',
      '--json',
      '--max-retries',
      '0',
      '--',
      'sh',
      '-c',
      'echo "a  b"; exit 3',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const job = JSON.parse(added.stdout) as Job;
    expect(job.command).toBe(`sh -c 'echo "a  b"; exit 3'`);
    await s.run(['worker', '--drain', '--quiet']);
    const shown = await s.json<{ job: Job }>(['show', job.id]);
    expect(shown.job.last_exit_code).toBe(3);
    expect((await s.run(['logs', job.id])).stdout).toBe('a  b\n');
  });
});
