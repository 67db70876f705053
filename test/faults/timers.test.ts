/**
 * Timers: every duration setting and job field at the largest value its validation accepts.
 * Node's timers overflow above 2^31-1 ms (~24.8 days) and fire after 1 ms instead; a job timeout
 * of a year must not kill the job at once, a grace period must still be a grace period, and an
 * idle worker with the longest poll interval must sleep, not spin.
 */
import { readFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { CONFIG_KEYS, CONFIG_KEY_NAMES } from '../../src/core/config.js';
import { LIMITS } from '../../src/core/job-spec.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { faultEnv, reapEnvironment, startWorkers } from './helpers/fault-env.js';
import { figure } from './helpers/figures.js';

const env = faultEnv('timers');

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
});

interface ShowJson {
  job: { state: string; last_error: string | null };
  attempts: { outcome: string | null }[];
}

/** CPU time (user + system, in clock ticks) a process has used, from /proc. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1')
    .split(' ')
    .filter(Boolean)
    .map(Number);
}

test('every duration at its largest accepted value: jobs run to the end, grace holds, idle workers sleep', async () => {
  const largest: Record<string, string> = {};
  for (const key of CONFIG_KEY_NAMES) {
    largest[key] = CONFIG_KEYS[key].largest;
    const set = await runCli(env, ['config', 'set', key, largest[key]!]);
    expect(set.code, `config set ${key} ${largest[key]}: ${set.stderr}`).toBe(0);
  }
  const finish = 'sleep 1; echo finished';
  const jobs = [
    // The largest timeout a job can carry, as JSON and through --timeout.
    { id: 'field-timeout', command: finish, timeout_seconds: LIMITS.timeoutSeconds },
    // No timeout of its own: config job-timeout (its largest value) applies.
    { id: 'config-timeout', command: finish },
    // Times out after 0.5 s; with kill-grace at its largest, SIGKILL must not follow at once:
    // the trap outlives the SIGTERM by a second and says so.
    {
      id: 'grace',
      command: `trap 'echo term; sleep 1; echo survived-grace; exit 0' TERM; sleep 30 & wait`,
      timeout_seconds: 0.5,
    },
  ];
  for (const job of jobs) {
    const enqueued = await runCli(env, ['enqueue', JSON.stringify({ ...job, max_retries: 0 })]);
    expect(enqueued.code, enqueued.stderr).toBe(0);
  }
  const viaFlag = await runCli(env, [
    'enqueue',
    '-c',
    finish,
    '--id',
    'flag-timeout',
    '--timeout',
    '365d',
    '--max-retries',
    '0',
  ]);
  expect(viaFlag.code, viaFlag.stderr).toBe(0);

  const workers = startWorkers(env, 1);
  try {
    const finished = async () => {
      const shown = await Promise.all(
        ['field-timeout', 'config-timeout', 'flag-timeout', 'grace'].map((id) =>
          cliJson<ShowJson>(env, ['show', id]),
        ),
      );
      return shown.every((s) => s.job.state === 'completed' || s.job.state === 'dead')
        ? shown
        : null;
    };
    const [field, config, flag, grace] = await waitFor(finished, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'the four jobs to finish',
    });
    for (const [id, shown] of [
      ['field-timeout', field],
      ['config-timeout', config],
      ['flag-timeout', flag],
    ] as const) {
      expect(shown!.job, id).toMatchObject({ state: 'completed', last_error: null });
      expect((await runCli(env, ['logs', id, '--stdout'])).stdout, id).toBe('finished\n');
    }
    expect(grace!.job.state).toBe('dead');
    expect(grace!.attempts[0]!.outcome).toBe('timed_out');
    const graceOut = (await runCli(env, ['logs', 'grace', '--stdout'])).stdout;
    expect(graceOut).toBe('term\nsurvived-grace\n');

    // Idle with poll-interval at its largest: the worker sleeps on its wake-up watch. Measured
    // over a 2 s window (a measurement, not a wait): the overflow bug spun at 15-19 % of a core.
    const [workerPid] = childrenOf(workers.child.pid!);
    const before = cpuTicks(workerPid!);
    const windowStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const ticks = cpuTicks(workerPid!) - before;
    const share = ticks / 100 / ((Date.now() - windowStart) / 1000);
    figure(
      `timers: largest values ${JSON.stringify(largest)}; year-long timeouts ran jobs to the end; ` +
        `grace held past SIGTERM; idle worker used ${(share * 100).toFixed(1)} % of a core`,
    );
    expect(share).toBeLessThan(0.05);
    expect(workers.output()).not.toMatch(/TimeoutOverflowWarning/);

    // A stop reaches a worker sleeping for up to an hour at once.
    const stopped = await runCli(env, ['worker', 'stop', '--timeout', '20s']);
    expect(stopped.code, stopped.stderr).toBe(0);
  } finally {
    await workers.stop();
  }
  expect(workers.output()).not.toMatch(/TimeoutOverflowWarning/);
});
