/**
 * Every spelling the reference documents use works, through the built CLI as typed: local
 * `run_at` times, `default_max_retries`, `worker-count`, the status and stats they show.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/core/job.js';
import { sandbox } from '../helpers/cli-sandbox.js';
import { runCli } from '../helpers/run-cli.js';

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
    const started = await s.run(['worker', 'start', '--drain']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toMatch(/^started 3 workers /m);
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
});
