/**
 * A Worker whose store fails: with a broken database it says so, kills its running job, tries a
 * bounded number of times to put it back and stops (run() rejects with the error); with a
 * transient failure it keeps retrying, but told to stop at once it gives up within seconds
 * instead of retrying forever.
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { StoreBrokenError } from '../../src/core/errors.js';
import type { JobStore } from '../../src/store/job-store.js';
import { openStore } from '../../src/store/open-store.js';
import { isProcessAlive } from '../../src/worker/process-info.js';
import { Worker } from '../../src/worker/worker.js';
import { newJob } from '../helpers/job-factory.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const FAILING = new Set<PropertyKey>(['jobSettle', 'jobSettleAndClaim', 'workerHeartbeat']);
const opened: JobStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

/** A real SQLite store whose writes for a running job fail with `failure()` once `failing` is set. */
async function faultyStore(failure: () => Error) {
  const store = await openStore({ db: join(tempDir(), 'q.db'), durable: false });
  opened.push(store);
  const state = { failing: false, settles: 0 };
  const faulty = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (state.failing && FAILING.has(property)) {
        return async () => {
          if (property !== 'workerHeartbeat') state.settles++;
          throw failure();
        };
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
  return { store, faulty, state };
}

async function runningJob(store: JobStore, worker: Worker, run: Promise<void>) {
  await store.jobInsertMany([[newJob({ id: 'long', command: 'sleep 60', max_retries: 0 })]]);
  void run.catch(() => {});
  const held = await waitFor(
    async () => (await store.jobListHeld()).find((h) => h.jobPid !== null),
    {
      what: 'the job to run and report its process group',
    },
  );
  expect(worker.id).toBe(held.workerId);
  return held.jobPid!;
}

it('a broken database: says so, kills the job, tries three times to record it, and rejects', async () => {
  const broken = () =>
    new StoreBrokenError(
      '/q.db',
      'SQLITE_CORRUPT',
      'is corrupt',
      'database disk image is malformed',
    );
  const { store, faulty, state } = await faultyStore(broken);
  const alerts: string[] = [];
  const worker = new Worker({ store: faulty, logDir: tempDir(), alert: (m) => alerts.push(m) });
  const run = worker.run();
  const jobPid = await runningJob(store, worker, run);

  // The next heartbeat (within 2 s) meets the broken database.
  state.failing = true;
  const started = Date.now();
  await expect(run).rejects.toBeInstanceOf(StoreBrokenError);
  const tookMs = Date.now() - started;

  expect(isProcessAlive(jobPid, null)).toBe(false);
  expect(state.settles).toBe(3);
  expect(tookMs).toBeLessThan(6000);
  expect(alerts[0]).toBe(
    'the database /q.db is corrupt (SQLITE_CORRUPT: database disk image is malformed); stopping this worker and its job long, claiming nothing more',
  );
  expect(alerts[1]).toBe(
    'long: interrupted, but the result could not be recorded; the job stays processing until a worker puts it back',
  );
  // The job is left processing for the next worker to rescue.
  expect((await store.jobGet('long'))!.state).toBe('processing');
});

it('a transient failure is retried, but stopping at once gives up within seconds', async () => {
  const transient = () => Object.assign(new Error('Connection terminated unexpectedly'), {});
  const { store, faulty, state } = await faultyStore(transient);
  const worker = new Worker({ store: faulty, logDir: tempDir() });
  const run = worker.run();
  const jobPid = await runningJob(store, worker, run);

  state.failing = true;
  worker.requestStop();
  // Graceful: the job runs on; the first stop does not give up on recording its result.
  expect(isProcessAlive(jobPid, null)).toBe(true);
  const started = Date.now();
  worker.stopNow();
  await run;
  expect(Date.now() - started).toBeLessThan(5000);
  expect(state.settles).toBe(3);
  expect(isProcessAlive(jobPid, null)).toBe(false);
});
