/**
 * Named queues across hosts on PostgreSQL: three worker groups with distinct host identities
 * (separate processes; QUEUECTL_HOST) share a queue limited to 2, and 20 processes enqueue one
 * unique key at once.
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { cliJson, runCli, type CliEnv } from '../helpers/run-cli.js';
import { describePg, freshPgUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { JobJson } from '../helpers/json-shapes.js';
import { maxOverlap, ranBeside, readIntervals, timedJob } from './queue-workload.js';
import { startHostGroups } from './pg-workload.js';

describePg('named queues on PostgreSQL', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('never runs more than 2 jobs of a queue limited to 2 on three hosts', async () => {
    const ctx: CliEnv = { home: tempDir(), db: freshPgUrl() };
    const limited = join(ctx.home, 'two.txt');
    const free = join(ctx.home, 'free.txt');
    expect((await runCli(ctx, ['queue', 'set', 'two', '--concurrency', '2'])).code).toBe(0);
    const specs = [
      ...Array.from({ length: 16 }, (_, i) => timedJob(`two-${i}`, 'two', limited, 0.2)),
      ...Array.from({ length: 8 }, (_, i) => timedJob(`free-${i}`, 'free', free, 0.4)),
    ];
    const enqueued = await runCli(
      ctx,
      ['enqueue', '--file', '-'],
      specs.map((spec) => JSON.stringify(spec)).join('\n'),
    );
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const groups = startHostGroups(ctx, ['host-1', 'host-2', 'host-3'], children);
    for (const group of await Promise.all(groups.map((g) => g.done))) {
      expect(group.code, group.stderr).toBe(0);
    }
    const runs = readIntervals(limited);
    expect(runs).toHaveLength(16);
    expect(maxOverlap(runs)).toBe(2);
    expect(ranBeside(runs, readIntervals(free))).toBe(true);
  }, 120_000);

  it('stores one job when 20 processes enqueue one unique key at once', async () => {
    const ctx: CliEnv = { home: tempDir(), db: freshPgUrl() };
    expect((await runCli(ctx, ['migrate'])).code).toBe(0); // one schema, made once
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        runCli(ctx, ['enqueue', '-c', `echo ${i}`, '--unique-key', 'one', '--json']),
      ),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const ids = new Set(results.map((r) => (JSON.parse(r.stdout) as JobJson).id));
    expect(ids.size).toBe(1);
    expect(await cliJson<JobJson[]>(ctx, ['list'])).toHaveLength(1);
  }, 120_000);
});
