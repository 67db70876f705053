/** Scenario 1: many worker processes race for the same jobs; each job runs exactly once. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { stateCounts } from './helpers/database.js';
import { faultEnv, reapEnvironment, startWorkers } from './helpers/fault-env.js';
import { figure, ndjson, runsPerJob, seconds } from './helpers/figures.js';

const JOBS = 5000;
const WORKERS = 8;
const env = faultEnv('contention');

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
});

test(`${WORKERS} worker processes run each of ${JOBS} jobs exactly once`, async () => {
  const out = join(env.dir, 'work', 'ran.txt');
  writeFileSync(out, '');
  const specs = Array.from({ length: JOBS }, (_, i) => ({
    id: `c-${i}`,
    command: `echo "$QUEUECTL_JOB_ID" >> '${out}'`,
  }));
  const file = join(env.dir, 'work', 'jobs.ndjson');
  writeFileSync(file, ndjson(specs));
  const enqueued = await runCli(env, ['enqueue', '--file', file]);
  expect(enqueued.code, enqueued.stderr).toBe(0);

  const started = Date.now();
  const workers = startWorkers(env, WORKERS);
  try {
    await waitFor(() => (stateCounts(env.db).completed ?? 0) === JOBS, {
      timeoutMs: 200_000,
      intervalMs: 500,
      what: `all ${JOBS} jobs to complete`,
    });
  } finally {
    await workers.stop();
  }
  const took = Date.now() - started;

  const runs = runsPerJob(out);
  const duplicates = [...runs.values()].filter((n) => n > 1).length;
  const missing = specs.filter((spec) => !runs.has(spec.id)).length;
  figure(
    `contention: ${JOBS} jobs, ${WORKERS} workers, ${duplicates} duplicates, ${missing} missing, ${seconds(took)}`,
  );
  expect(duplicates).toBe(0);
  expect(missing).toBe(0);
  expect(runs.size).toBe(JOBS);
  expect(stateCounts(env.db)).toEqual({ completed: JOBS });
});
