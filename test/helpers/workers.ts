/**
 * Stores and workers a test opens on real databases: each test's workers are stopped at once and
 * its stores closed after it, whatever it left running.
 */
import { afterEach } from 'vitest';
import type { JobStore } from '../../src/store/job-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Worker } from '../../src/worker/worker.js';

const opened: JobStore[] = [];
const running: { worker: Worker; done: Promise<void> }[] = [];

afterEach(async () => {
  for (const { worker, done } of running.splice(0)) {
    worker.stopNow();
    await done.catch(() => {});
  }
  for (const store of opened.splice(0)) await store.close();
});

/** A worker's connection to `db` (a path or a PostgreSQL URL), closed after the test. */
export async function openTracked(db: string): Promise<JobStore> {
  const store = await openStore({ db, durable: false });
  opened.push(store);
  return store;
}

/** Runs `worker` until the test ends (then stops it at once); `done` settles when it stops. */
export function runTracked(worker: Worker): { worker: Worker; done: Promise<void> } {
  const run = { worker, done: worker.run() };
  running.push(run);
  return run;
}
