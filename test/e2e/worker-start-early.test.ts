/**
 * `queuectl worker start` through the CLI forks its first worker before it has loaded anything
 * (worker/early-worker.cts) and takes it as worker 1; the others follow its first claim. What
 * the command says and what runs must be exactly the workers asked for: no early worker left
 * over beside them, none on a command line that is not a plain worker start.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collect, sandbox } from '../helpers/cli-sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

/** The pids whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a - b);
}

const argvOf = (pid: number) =>
  readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '').split('\0');

describe('worker start and its early worker', () => {
  it('runs exactly the workers it announces, the first being the one forked early', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"long","command":"sleep 30"}']);
    const cli = s.start(['worker', 'start', '--count', '2']);
    const done = collect(cli);
    let stderr = '';
    cli.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const announced = await waitFor(
      () => /started 2 workers \(pids (\d+), (\d+)\)/.exec(stderr)?.slice(1).map(Number),
      { what: 'the workers announced' },
    );
    // Every worker forked, and nothing else (no early worker left beside them).
    expect(childrenOf(cli.pid!)).toEqual([...announced].sort((a, b) => a - b));
    const [first, second] = announced as [number, number];
    // Worker 1 was forked knowing nothing; its go message named the database and options.
    expect(argvOf(first).slice(-2)).toEqual([
      expect.stringMatching(/worker-entry\.cjs$/),
      '--hold',
    ]);
    expect(argvOf(second)).toContain('worker 2');
    await waitFor(
      async () =>
        (await s.json<{ job: { state: string } }>(['show', 'long'])).job.state === 'processing',
      {
        what: 'the job claimed',
      },
    );
    cli.kill('SIGINT');
    await waitFor(() => stderr.includes('running jobs finish first'), { what: 'a graceful stop' });
    cli.kill('SIGINT'); // at once: the sleep is killed and put back
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/all workers stopped/);
    expect((await s.json<{ job: { state: string } }>(['show', 'long'])).job.state).toBe('pending');
  });

  it('kills the early worker when the command line is one the fast path does not take', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"long","command":"sleep 30"}']);
    // Combined short flags go through the full program, which starts workers of its own.
    const cli = s.start(['worker', 'start', '-qv', '--count', '1']);
    const done = collect(cli);
    let stderr = '';
    cli.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [only] = await waitFor(
      () => /started 1 worker \(pids (\d+)\)/.exec(stderr)?.slice(1).map(Number),
      { what: 'the worker announced' },
    );
    await waitFor(() => childrenOf(cli.pid!).length === 1, { what: 'the early worker gone' });
    expect(childrenOf(cli.pid!)).toEqual([only]);
    expect(argvOf(only!)).toContain('worker 1'); // forked by the supervisor, not early
    // Signalled before its first claim, the worker would stop at once and the command exit
    // before the second Ctrl+C, which would then end it by Node's default action.
    await waitFor(
      async () =>
        (await s.json<{ job: { state: string } }>(['show', 'long'])).job.state === 'processing',
      { what: 'the job claimed' },
    );
    cli.kill('SIGINT');
    await waitFor(() => stderr.includes('running jobs finish first'), { what: 'a graceful stop' });
    cli.kill('SIGINT');
    expect((await done).code).toBe(0);
  });
});
