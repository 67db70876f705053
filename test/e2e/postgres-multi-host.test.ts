/**
 * Three worker groups with distinct host identities (separate processes; QUEUECTL_HOST) share
 * 3,000 jobs on one PostgreSQL queue. One group is killed mid-run (supervisor and workers,
 * SIGKILL): the others recover its jobs once their leases expire, and every job runs.
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { runCli, type CliEnv } from '../helpers/run-cli.js';
import { adminQuery, describePg, freshPgUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  countInState,
  enqueueAppendJobs,
  expectEveryJobOnce,
  schemaOf,
  startHostGroups,
} from './pg-workload.js';

describePg('many hosts on one PostgreSQL queue', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('shares 3,000 jobs among three hosts and loses none when one host dies', async () => {
    const ctx: CliEnv = { home: tempDir(), db: freshPgUrl() };
    const schema = schemaOf(ctx.db!);
    const out = join(ctx.home, 'ran.txt');
    expect((await runCli(ctx, ['config', 'set', 'lease-timeout', '3s'])).code).toBe(0);
    const ids = await enqueueAppendJobs(ctx, 3000, out);

    const groups = startHostGroups(ctx, ['host-1', 'host-2', 'host-3'], children);

    await waitFor(async () => (await countInState(schema, 'completed')) >= 600, {
      timeoutMs: 120_000,
      what: '600 jobs completed',
    });
    const victim = groups[2]!;
    const pids = (
      await adminQuery<{ pid: number }>(`SELECT pid FROM ${schema}.workers WHERE host = $1`, [
        victim.host,
      ])
    ).map((row) => row.pid);
    expect(pids.length).toBeGreaterThan(0);
    victim.child.kill('SIGKILL'); // first, so that it starts no replacements
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    expect((await victim.done).code).toBeNull();
    expect(await countInState(schema, 'completed')).toBeLessThan(3000);

    for (const group of groups.slice(0, 2)) {
      const result = await group.done;
      expect(result.code, result.stderr).toBe(0);
    }

    const { repeated } = await expectEveryJobOnce(schema, ids, out);
    // Only jobs that the killed workers were running may have run twice: one per worker.
    expect(repeated).toBeLessThanOrEqual(pids.length);
    const byHost = await adminQuery<{ host: string; n: string }>(
      `SELECT host, count(*) AS n FROM ${schema}.attempts GROUP BY host ORDER BY host`,
    );
    expect(byHost.map((row) => row.host)).toEqual(['host-1', 'host-2', 'host-3']);
    expect(byHost.every((row) => Number(row.n) > 0)).toBe(true);
  }, 300_000);
});
