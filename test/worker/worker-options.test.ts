/**
 * The per-worker options of `worker start`: -s (poll interval over config), -l (a number of jobs,
 * then stop), -v (every line a job writes, as it comes). A real SQLite store and real jobs.
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { JobStore } from '../../src/store/job-store.js';
import { openStore } from '../../src/store/open-store.js';
import { Worker } from '../../src/worker/worker.js';
import { newJob } from '../helpers/job-factory.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const opened: JobStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function store(): Promise<JobStore> {
  const opened_ = await openStore({ db: join(tempDir(), 'q.db'), durable: false });
  opened.push(opened_);
  return opened_;
}

it('polls at the interval it is given, over config poll-interval', async () => {
  const real = await store();
  await real.configSet({ key: 'poll-interval', value: '1h' });
  // Wake-ups switched off: only the poll can find a job that arrives while it sleeps.
  const deaf = new Proxy(real, {
    get: (target, property) =>
      property === 'subscribe'
        ? () => () => {}
        : ((Reflect.get(target, property, target) as (...a: unknown[]) => unknown).bind?.(target) ??
          Reflect.get(target, property, target)),
  });
  const worker = new Worker({ store: deaf, logDir: tempDir(), pollIntervalMs: 50 });
  const run = worker.run();
  await waitFor(async () => (await real.workerList({ staleAfterMs: 60_000 })).length === 1);
  await real.jobInsertMany([[newJob({ id: 'late', command: 'true' })]]);
  await waitFor(async () => (await real.jobGet('late'))?.state === 'completed', {
    timeoutMs: 5000,
    what: 'the job to be found by a 50 ms poll (config says 1 h)',
  });
  worker.requestStop();
  await run;
});

it('runs --max-jobs jobs and then stops by itself, leaving the rest', async () => {
  const s = await store();
  await s.jobInsertMany([
    Array.from({ length: 5 }, (_, i) => newJob({ id: `j${i}`, command: 'true' })),
  ]);
  await new Worker({ store: s, logDir: tempDir(), maxJobs: 2 }).run();
  const counts = await s.jobCountByState();
  expect(counts).toMatchObject({ completed: 2, pending: 3, processing: 0 });
  expect(await s.workerList({ staleAfterMs: 60_000 })).toEqual([]);
});

it('passes on every line a job writes, with its stream, as the job writes it', async () => {
  const s = await store();
  const lines: string[] = [];
  const command = `printf 'one\\ntwo\\n'; echo oops >&2; printf 'no newline'; printf 'caf\\303'; printf '\\251\\n'`;
  await s.jobInsertMany([[newJob({ id: 'talk', command })]]);
  await new Worker({
    store: s,
    logDir: tempDir(),
    drain: true,
    onOutput: (id, stream, line) => lines.push(`${id} ${stream}: ${line}`),
  }).run();
  expect(lines.filter((l) => l.includes('stdout'))).toEqual([
    'talk stdout: one',
    'talk stdout: two',
    'talk stdout: no newlinecafé',
  ]);
  expect(lines).toContain('talk stderr: oops');
});
