/**
 * A workload for the PostgreSQL process tests: jobs that each append their id to one file, and
 * the checks that nothing was lost and nothing ran twice except a run whose worker was lost.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { collect, runCli, startCli, type CliEnv, type CliResult } from '../helpers/run-cli.js';
import { adminQuery } from '../helpers/postgres.js';

export function schemaOf(url: string): string {
  return new URL(url).searchParams.get('schema')!;
}

export async function enqueueAppendJobs(
  ctx: CliEnv,
  count: number,
  file: string,
): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `job-${i}`);
  const lines = ids.map((id) => JSON.stringify({ id, command: `echo ${id} >> '${file}'` }));
  const result = await runCli(ctx, ['enqueue', '--file', '-'], `${lines.join('\n')}\n`);
  expect(result.code, result.stderr).toBe(0);
  return ids;
}

export async function countInState(schema: string, state: string): Promise<number> {
  const [row] = await adminQuery<{ n: string }>(
    `SELECT count(*) AS n FROM ${schema}.jobs WHERE state = $1`,
    [state],
  );
  return Number(row!.n);
}

/**
 * Every job completed and ran at least once; a job that ran more than once has a run whose
 * worker was lost (killed, or cut off past its lease): at-least-once, never silently twice.
 */
export async function expectEveryJobOnce(schema: string, ids: string[], file: string) {
  const runs = new Map<string, number>();
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const line of text.split('\n').filter(Boolean)) runs.set(line, (runs.get(line) ?? 0) + 1);
  const missing = ids.filter((id) => !runs.has(id));
  expect(missing).toEqual([]);
  expect(runs.size).toBe(ids.length);

  const lost = new Set(
    (
      await adminQuery<{ job_id: string }>(
        `SELECT DISTINCT job_id FROM ${schema}.attempts WHERE outcome = 'worker_lost'`,
      )
    ).map((row) => row.job_id),
  );
  const repeated = [...runs].filter(([, n]) => n > 1).map(([id]) => id);
  expect(repeated.filter((id) => !lost.has(id))).toEqual([]);

  const states = await adminQuery<{ state: string; n: string }>(
    `SELECT state, count(*) AS n FROM ${schema}.jobs GROUP BY state`,
  );
  expect(Object.fromEntries(states.map((s) => [s.state, Number(s.n)]))).toEqual({
    completed: ids.length,
  });
  return { repeated: repeated.length, lost: lost.size };
}

/**
 * `worker start --count 2 --drain --quiet` on each of `hosts` (QUEUECTL_HOST), as separate
 * machines would; each child is added to `children` for the test's clean-up.
 */
export function startHostGroups(
  ctx: CliEnv,
  hosts: string[],
  children: ChildProcess[],
): { host: string; child: ChildProcess; done: Promise<CliResult> }[] {
  return hosts.map((host) => {
    const child = startCli({ ...ctx, env: { QUEUECTL_HOST: host } }, [
      'worker',
      'start',
      '--count',
      '2',
      '--drain',
      '--quiet',
    ]);
    children.push(child);
    return { host, child, done: collect(child) };
  });
}
