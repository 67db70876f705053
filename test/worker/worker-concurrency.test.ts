/**
 * One worker running many jobs at once (`worker start --concurrency 8`), on real stores with real
 * processes: every job exactly once and never more than 8 at a time; a timeout, an output cap or a
 * lost lease ends only its own run; a graceful stop lets every running job finish; a stop at once
 * kills them all and puts them back; queue limits and --max-jobs hold across slots. (A worker
 * process SIGKILLed with 8 jobs: test/e2e/concurrency.test.ts and the fault suite's kill chaos.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logPath } from '../../src/core/output-files.js';
import type { JobStore } from '../../src/store/job-store.js';
import { Worker, type WorkerOptions } from '../../src/worker/worker.js';
import { newJob } from '../helpers/job-factory.js';
import { describePg, freshPgUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { openTracked, runTracked } from '../helpers/workers.js';

const SLOTS = 8;

/**
 * A job that notes its start and end (with its id and the time in ns) in a shared file; small
 * appends (O_APPEND) from many processes do not interleave.
 */
function noted(events: string, body: string): string {
  return (
    `echo "s $QUEUECTL_JOB_ID $(date +%s%N)" >> ${events}; ${body}; ` +
    `echo "e $QUEUECTL_JOB_ID $(date +%s%N)" >> ${events}`
  );
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The most jobs that ran at once, and how many times each job started, from the notes. */
function overlap(events: string, only?: (id: string) => boolean) {
  const lines = readFileSync(events, 'utf8').trim().split('\n');
  const parsed = lines
    .map((line) => line.split(' '))
    .filter(([, id]) => !only || only(id!))
    .map(([kind, id, ns]) => ({ kind, id: id!, at: BigInt(ns!) }))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.kind === 'e' ? -1 : 1));
  let now = 0;
  let most = 0;
  const starts = new Map<string, number>();
  for (const event of parsed) {
    now += event.kind === 's' ? 1 : -1;
    most = Math.max(most, now);
    if (event.kind === 's') starts.set(event.id, (starts.get(event.id) ?? 0) + 1);
  }
  return { most, starts };
}

function describeStore(name: string, location: () => string) {
  describe(`a worker with --concurrency ${SLOTS} (${name})`, () => {
    let db: string;
    let logDir: string;
    let events: string;

    const open = () => openTracked(db);

    async function start(options: Partial<WorkerOptions> = {}, store?: JobStore) {
      const worker = new Worker({
        store: store ?? (await open()),
        logDir,
        concurrency: SLOTS,
        ...options,
      });
      return runTracked(worker);
    }

    async function states(store: JobStore, ids: string[]) {
      return Promise.all(ids.map(async (id) => (await store.jobGet(id))!.state));
    }

    /** A fresh database, log directory and notes file for one test. */
    async function fresh(): Promise<JobStore> {
      db = location();
      const dir = tempDir();
      logDir = join(dir, 'logs');
      events = join(dir, 'events');
      return open();
    }

    it('runs every job exactly once, eight at a time and never more', async () => {
      const store = await fresh();
      const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
      await store.jobInsertMany([
        ids.map((id) => newJob({ id, command: noted(events, 'sleep 0.3'), max_retries: 0 })),
      ]);
      await start({ drain: true }).then((w) => w.done);
      expect(new Set(await states(store, ids))).toEqual(new Set(['completed']));
      const { most, starts } = overlap(events);
      expect(most).toBe(SLOTS);
      expect([...starts.values()].every((n) => n === 1)).toBe(true);
      expect(starts.size).toBe(ids.length);
      for (const id of ids) expect((await store.jobGet(id))!.attempts).toBe(1);
    });

    it('ends only the run that timed out or outgrew its output cap; the others go on', async () => {
      const store = await fresh();
      await store.configSet({ key: 'output-limit', value: '1KiB' });
      await store.jobInsertMany([
        [
          newJob({ id: 'slowpoke', command: 'sleep 30', timeout_seconds: 0.5, max_retries: 0 }),
          newJob({ id: 'loud', command: 'head -c 5000 /dev/zero | tr "\\0" x', max_retries: 0 }),
          newJob({ id: 'quiet', command: 'echo small', max_retries: 0 }),
          ...Array.from({ length: 5 }, (_, i) =>
            newJob({ id: `steady${i}`, command: 'sleep 1', max_retries: 0 }),
          ),
        ],
      ]);
      await start({ drain: true }).then((w) => w.done);
      const slowpoke = (await store.jobGet('slowpoke'))!;
      expect(slowpoke.state).toBe('dead');
      expect(slowpoke.last_error).toMatch(/timed out/);
      expect(await states(store, ['loud', 'quiet', 'steady0', 'steady4'])).toEqual([
        'completed',
        'completed',
        'completed',
        'completed',
      ]);
      expect(readFileSync(logPath(logDir, 'loud', 1, 'stdout'), 'utf8')).toMatch(
        /^x{1024}\n\[queuectl: (at least )?3976 more bytes were dropped; output-limit is 1024 bytes\]\n$/,
      );
      expect(readFileSync(logPath(logDir, 'quiet', 1, 'stdout'), 'utf8')).toBe('small\n');
    });

    it('a graceful stop lets all eight running jobs finish and claims nothing more', async () => {
      const store = await fresh();
      const ids = Array.from({ length: 12 }, (_, i) => `g${i}`);
      await store.jobInsertMany([ids.map((id) => newJob({ id, command: 'sleep 1' }))]);
      const { worker, done } = await start();
      await waitFor(async () => (await store.jobCountByState()).processing === SLOTS, {
        what: 'eight jobs running',
      });
      worker.requestStop();
      await done;
      const counts = await store.jobCountByState();
      expect(counts).toMatchObject({ completed: SLOTS, pending: 4, processing: 0 });
    });

    it('a stop at once kills all eight process groups and puts every job back', async () => {
      const store = await fresh();
      const ids = Array.from({ length: SLOTS }, (_, i) => `k${i}`);
      await store.jobInsertMany([ids.map((id) => newJob({ id, command: 'sleep 60' }))]);
      const { worker, done } = await start();
      const held = await waitFor(
        async () => {
          const jobs = await store.jobListHeld();
          return jobs.length === SLOTS && jobs.every((job) => job.jobPid) ? jobs : null;
        },
        { what: 'eight jobs running with their process ids recorded' },
      );
      worker.stopNow();
      await done;
      expect(await states(store, ids)).toEqual(ids.map(() => 'pending'));
      await waitFor(() => held.every((job) => !groupAlive(job.jobPid!)), {
        what: 'every job process group gone',
      });
      const attempts = await store.attemptList({ jobId: 'k3' });
      expect(attempts.map((a) => a.outcome)).toEqual(['interrupted']);
    });

    it('stops only the cancelled ones of eight running jobs, within a second', async () => {
      const store = await fresh();
      const ids = Array.from({ length: SLOTS }, (_, i) => `x${i}`);
      await store.jobInsertMany([ids.map((id) => newJob({ id, command: 'sleep 2' }))]);
      const { done, worker } = await start();
      await waitFor(async () => (await store.jobCountByState()).processing === SLOTS, {
        what: 'eight jobs running',
      });
      const asked = performance.now();
      await store.jobCancel({ ids: ['x2', 'x6'] });
      await waitFor(
        async () => (await states(store, ['x2', 'x6'])).every((state) => state === 'cancelled'),
        { what: 'x2 and x6 cancelled', intervalMs: 10 },
      );
      expect(performance.now() - asked).toBeLessThan(1500);
      await waitFor(async () => (await store.jobCountByState()).completed === SLOTS - 2, {
        what: 'the other six to complete',
      });
      worker.requestStop();
      await done;
    });

    it('keeps a queue limit of 2 with eight slots, and stops after --max-jobs across slots', async () => {
      const store = await fresh();
      await store.queueSetConcurrency({ name: 'narrow', concurrency: 2 });
      const narrow = Array.from({ length: 8 }, (_, i) => `n${i}`);
      await store.jobInsertMany([
        narrow.map((id) => newJob({ id, queue: 'narrow', command: noted(events, 'sleep 0.3') })),
      ]);
      await start({ drain: true }).then((w) => w.done);
      expect(overlap(events).most).toBe(2);
      expect(new Set(await states(store, narrow))).toEqual(new Set(['completed']));

      const rest = Array.from({ length: 20 }, (_, i) => `m${i}`);
      await store.jobInsertMany([rest.map((id) => newJob({ id, command: 'sleep 0.2' }))]);
      await start({ maxJobs: 11 }).then((w) => w.done);
      const counts = await store.jobCountByState();
      expect(counts).toMatchObject({ completed: 8 + 11, pending: 9, processing: 0 });
    });

    it('renews each lease on its own: one lost lease stops only that run', async () => {
      const store = await fresh();
      await store.configSet({ key: 'lease-timeout', value: '1s' });
      const ids = Array.from({ length: SLOTS }, (_, i) => `l${i}`);
      await store.jobInsertMany([
        ids.map((id) => newJob({ id, command: 'sleep 2.5', max_retries: 3 })),
      ]);
      // The store tells the worker, once, that the lease of l5 is no longer held.
      let lied = false;
      const liar = new Proxy(store, {
        get(target, property) {
          const value = Reflect.get(target, property, target) as unknown;
          if (property !== 'workerHeartbeat') {
            return typeof value === 'function' ? value.bind(target) : value;
          }
          return async (params: Parameters<JobStore['workerHeartbeat']>[0]) => {
            const beat = await target.workerHeartbeat(params);
            if (params.lease?.jobId === 'l5' && !lied) {
              lied = true;
              return { ...beat, leaseHeld: false };
            }
            return beat;
          };
        },
      });
      await start({ drain: true }, liar).then((w) => w.done);
      expect(new Set(await states(store, ids))).toEqual(new Set(['completed']));
      // 2.5 s runs under a 1 s lease: every other job kept its lease through its heartbeats.
      for (const id of ids) {
        expect((await store.jobGet(id))!.attempts, id).toBe(id === 'l5' ? 2 : 1);
      }
      expect((await store.attemptList({ jobId: 'l5' }))[0]!.outcome).toBe('interrupted');
    });
  });
}

describeStore('SQLite', () => join(tempDir(), 'q.db'));
describePg('PostgreSQL', () => describeStore('PostgreSQL', freshPgUrl));
