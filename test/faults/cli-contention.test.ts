/**
 * Scenario 6: many CLI processes write and read at once while workers run. No caller ever sees
 * an error ("database is locked" or any other), and every job is stored exactly once. Also: two
 * simultaneous `dlq retry` of one dead job requeue it once.
 */
import { afterAll, expect, test } from 'vitest';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { readDb, stateCounts } from './helpers/database.js';
import { faultEnv, reapEnvironment, startWorkers } from './helpers/fault-env.js';
import { figure, ndjson, seconds } from './helpers/figures.js';

const ENQUEUERS = 16;
const JOBS_EACH = 200;
/** Each enqueuer stores its jobs in this many CLI calls (an argument or stdin, alternately). */
const CALLS_EACH = 8;
const WORKERS = 4;
const env = faultEnv('cli-contention');

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
});

test(`${ENQUEUERS} concurrent enqueuers, ${WORKERS} workers and status/list loops: no caller sees an error`, async () => {
  expect((await runCli(env, ['status'])).code).toBe(0);
  const failures: string[] = [];
  let calls = 0;
  const check = (args: string[], result: CliResult) => {
    calls++;
    if (result.code !== 0 || result.stderr !== '')
      failures.push(`queuectl ${args[0]} exited ${result.code}: ${result.stderr.trim()}`);
  };
  const workers = startWorkers(env, WORKERS);
  const started = Date.now();
  let enqueuing = true;
  let enqueuedIn = 0;
  try {
    const perCall = JOBS_EACH / CALLS_EACH;
    const enqueuer = async (e: number) => {
      for (let call = 0; call < CALLS_EACH; call++) {
        const specs = Array.from({ length: perCall }, (_, i) => ({
          id: `e${e}-${call * perCall + i}`,
          command: 'true',
        }));
        const args =
          call % 2 === 0 ? ['enqueue', JSON.stringify(specs)] : ['enqueue', '--file', '-'];
        check(args, await runCli(env, args, call % 2 === 0 ? undefined : ndjson(specs)));
      }
    };
    const reader = async (args: string[]) => {
      while (enqueuing) check(args, await runCli(env, args));
    };
    const readers = [
      reader(['status', '--json']),
      reader(['list', '--limit', '20', '--json']),
      reader(['stats', '--json']),
    ];
    await Promise.all(Array.from({ length: ENQUEUERS }, (_, e) => enqueuer(e)));
    enqueuing = false;
    enqueuedIn = Date.now() - started;
    await Promise.all(readers);
    const total = ENQUEUERS * JOBS_EACH;
    await waitFor(() => stateCounts(env.db).completed === total, {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: `all ${total} jobs to complete`,
    });
  } finally {
    enqueuing = false;
    await workers.stop();
  }
  const took = Date.now() - started;
  const stored = readDb(
    env.db,
    (db) =>
      db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids FROM jobs').get() as {
        n: number;
        ids: number;
      },
  );
  figure(
    `CLI contention: ${ENQUEUERS} enqueuers x ${JOBS_EACH} jobs (${CALLS_EACH} calls each), ${WORKERS} workers, ` +
      `${calls} CLI calls in all, ${failures.length} errors, ${stored.n} jobs stored, enqueued in ${seconds(enqueuedIn)}, all run in ${seconds(took)}`,
  );
  expect(failures).toEqual([]);
  expect(stored).toEqual({ n: ENQUEUERS * JOBS_EACH, ids: ENQUEUERS * JOBS_EACH });
  expect(stateCounts(env.db)).toEqual({ completed: ENQUEUERS * JOBS_EACH });
});

test('two simultaneous dlq retry of one dead job requeue it exactly once', async () => {
  const JOBS = 10;
  const ids = Array.from({ length: JOBS }, (_, i) => `dead-${i}`);
  const specs = ids.map((id) => ({ id, command: 'exit 3', max_retries: 0 }));
  expect((await runCli(env, ['enqueue', JSON.stringify(specs)])).code).toBe(0);
  const workers = startWorkers(env, 2);
  try {
    await waitFor(() => stateCounts(env.db).dead === JOBS, { what: 'the jobs to be dead' });
  } finally {
    await workers.stop();
  }
  let doubled = 0;
  for (const id of ids) {
    const results = await Promise.all([
      runCli(env, ['dlq', 'retry', id]),
      runCli(env, ['dlq', 'retry', id]),
    ]);
    const codes = results.map((r) => r.code).sort();
    if (codes[0] === 0 && codes[1] === 0) doubled++;
    expect(codes).toEqual([0, 2]);
    expect(results.find((r) => r.code === 2)!.stderr).toMatch(/is pending, not dead/);
  }
  const rows = readDb(
    env.db,
    (db) => db.prepare("SELECT state, attempts FROM jobs WHERE id LIKE 'dead-%'").all() as object[],
  );
  figure(`dlq retry race: ${JOBS} dead jobs each retried twice at once, ${doubled} requeued twice`);
  expect(rows).toEqual(ids.map(() => ({ state: 'pending', attempts: 0 })));
});
