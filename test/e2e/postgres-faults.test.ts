/**
 * Connection faults: while jobs flow, every database connection of the workers (pool and
 * LISTEN) is terminated by the server, several times. Workers reconnect instead of crashing,
 * nothing is lost, nothing ran twice without a lost run to show for it, and no job stays
 * `processing`.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { collect, runCli, startCli, type CliEnv } from '../helpers/run-cli.js';
import { adminQuery, describePg, freshPgUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { countInState, enqueueAppendJobs, expectEveryJobOnce, schemaOf } from './pg-workload.js';

const JOBS = 1000;
const CUTS = 3;

describePg('PostgreSQL connection faults', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('keeps workers running through terminated connections, losing no job', async () => {
    const app = `qt_faults_${randomBytes(4).toString('hex')}`;
    const url = new URL(freshPgUrl());
    const schema = schemaOf(url.toString());
    const setup: CliEnv = { home: tempDir(), db: url.toString() };
    url.searchParams.set('application_name', app);
    const ctx: CliEnv = { ...setup, db: url.toString() };
    const out = join(ctx.home, 'ran.txt');
    expect((await runCli(setup, ['config', 'set', 'lease-timeout', '3s'])).code).toBe(0);
    const ids = await enqueueAppendJobs(setup, JOBS, out);

    const child = startCli(ctx, ['worker', 'start', '--count', '2', '--drain']);
    children.push(child);
    const done = collect(child);

    for (let cut = 1; cut <= CUTS; cut++) {
      await waitFor(
        async () => (await countInState(schema, 'completed')) >= (cut * JOBS) / (CUTS + 1),
        { timeoutMs: 120_000, what: `${(cut * JOBS) / (CUTS + 1)} jobs completed` },
      );
      const killed = await adminQuery<{ pid: number }>(
        `SELECT pid FROM (SELECT pid, pg_terminate_backend(pid) AS ended FROM pg_stat_activity
           WHERE application_name = $1 AND pid <> pg_backend_pid()) t WHERE ended`,
        [app],
      );
      expect(killed.length).toBeGreaterThan(0);
    }

    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    // The supervisor replaces workers that die: none had to be replaced.
    expect(result.stderr).not.toContain('starting a replacement');
    await expectEveryJobOnce(schema, ids, out);
  }, 300_000);
});
