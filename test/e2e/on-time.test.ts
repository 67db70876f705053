/**
 * On time: an idle worker sleeps until the next waiting job is due, not until its next poll.
 * poll-interval is set to 5 s here so that a worker relying on the poll would be seconds late.
 */
import { expect, it } from 'vitest';
import type { Attempt, Job } from '../../src/core/job.js';
import { sandbox } from '../helpers/cli-sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

const ms = (iso: string | number | null) => new Date(iso as string).getTime();

it('runs retries backoff-base^n seconds after the failure and run_at jobs at their time', async () => {
  const s = sandbox();
  for (const [key, value] of [
    ['poll-interval', '5s'],
    ['backoff-base', '2'],
  ]) {
    expect((await s.run(['config', 'set', key!, value!])).code).toBe(0);
  }
  const workers = s.start(['worker', 'start', '--count', '1']);
  let log = '';
  workers.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  workers.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  await waitFor(() => log.includes('started 1 worker'));
  // Let the worker settle into its idle wait before the jobs arrive.
  await waitFor(async () => (await s.json<{ workers: unknown[] }>(['status'])).workers.length > 0);

  // Enqueued while the worker sleeps: one due in 1.5 s, one failing twice before it is dead.
  expect((await s.run(['enqueue', '{"id":"later","command":"true","delay":"1500ms"}'])).code).toBe(
    0,
  );
  expect((await s.run(['enqueue', '{"id":"flaky","command":"exit 1","max_retries":2}'])).code).toBe(
    0,
  );
  // Waiting reads the worker's log, not the database: opening the database from another process
  // touches its -wal file, which would wake the worker and hide a late start.
  await waitFor(() => /later: completed/.test(log) && /flaky: .*dead after 3 attempts/.test(log), {
    timeoutMs: 30_000,
    what: 'both jobs to finish',
  });
  workers.kill('SIGTERM');
  await new Promise((resolve) => workers.once('exit', resolve));

  const show = (id: string) => s.json<{ job: Job; attempts: Attempt[] }>(['show', id]);
  const [later, flaky] = await Promise.all([show('later'), show('flaky')]);
  const lateBy = ms(later.attempts[0]!.started_at) - ms(later.job.run_at);
  const gaps = flaky.attempts
    .slice(1)
    .map((a, i) => ms(a.started_at) - ms(flaky.attempts[i]!.finished_at));
  // Promised: 2 s then 4 s (backoff-base^n); a generous bound that still catches a poll-late
  // start (it would be up to 5 s late here).
  process.stdout.write(`[on-time] run_at late by ${lateBy} ms, retry gaps ${gaps.join(', ')} ms\n`);
  expect(lateBy).toBeGreaterThanOrEqual(0);
  expect(lateBy).toBeLessThan(500);
  expect(gaps).toHaveLength(2);
  expect(Math.abs(gaps[0]! - 2000), `gaps ${gaps}`).toBeLessThan(500);
  expect(Math.abs(gaps[1]! - 4000), `gaps ${gaps}`).toBeLessThan(500);
});
