/** A job that kills its own worker every time uses up its retries and ends in the dead letter queue. */
import { afterAll, expect, test } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { allAttempts, readDb } from './helpers/database.js';
import { faultEnv, reapEnvironment, startWorkers } from './helpers/fault-env.js';
import { figure, seconds } from './helpers/figures.js';

const env = faultEnv('worker-killer');

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
});

const jobState = () =>
  readDb(env.db, (db) => db.prepare("SELECT state FROM jobs WHERE id = 'killer'").pluck().get());

test('a job that SIGKILLs its worker on every run ends in dead after max_retries + 1 runs', async () => {
  // $PPID of the job's shell is the worker process running it.
  const spec = { id: 'killer', command: 'kill -9 $PPID; sleep 60', max_retries: 2 };
  expect((await runCli(env, ['enqueue', JSON.stringify(spec)])).code).toBe(0);
  const started = Date.now();
  const workers = startWorkers(env, 2);
  try {
    await waitFor(() => jobState() === 'dead', {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'the job to end in dead',
    });
  } finally {
    await workers.stop();
  }
  const outcomes = allAttempts(env.db)
    .get('killer')!
    .map((a) => a.outcome);
  figure(
    `worker-killing job: ${outcomes.length} runs, each ${outcomes[0]}, dead after ${seconds(Date.now() - started)}`,
  );
  expect(outcomes).toEqual(['worker_lost', 'worker_lost', 'worker_lost']);
});
