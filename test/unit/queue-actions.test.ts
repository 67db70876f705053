/**
 * What users do to jobs through the Queue (the CLI and the dashboard call these): ids checked
 * first, repeats counted once, all or nothing with "nothing was changed"; update validated with
 * the job-spec rules; rm removes output files; recorded cwd and environment; waitForJobs.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/core/errors.js';
import { logDirectory, logPath } from '../../src/core/output-files.js';
import { Queue } from '../../src/core/queue.js';
import { waitForJobs } from '../../src/core/wait.js';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const queues: Queue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
});

async function queue(): Promise<Queue> {
  const q = new Queue(await openStore({ db: join(tempDir(), 'q.db'), durable: false }));
  queues.push(q);
  return q;
}

/** Runs the next job as a worker would, with the given result. */
async function runNext(q: Queue, outcome: 'completed' | 'failed'): Promise<string> {
  await q.store.workerRegister({ id: 'w', host: 'h', pid: 1, pidStart: null });
  const claimed = (await q.store.jobClaim({ workerId: 'w', leaseMs: 60_000 }))!;
  await q.store.jobSettle({
    lease: claimed.lease,
    run: { outcome, exitCode: outcome === 'completed' ? 0 : 1, signal: null, error: null },
    next: outcome === 'completed' ? { state: 'completed' } : { state: 'dead' },
  });
  return claimed.job.id;
}

describe('cancel, restart, remove', () => {
  it('checks ids first, counts repeats once, and says nothing was changed', async () => {
    const q = await queue();
    await q.enqueue({ id: 'a', command: 'true' });
    await q.enqueue({ id: 'b', command: 'true' });
    await expect(q.cancel(['a', 'bad/id'])).rejects.toBeInstanceOf(ValidationError);
    await expect(q.cancel([])).rejects.toThrow('name at least one job id to cancel');
    await expect(q.cancel(['a', 'ghost'])).rejects.toThrow(
      'no job with id "ghost"; nothing was changed',
    );
    await expect(q.cancel(['ghost'])).rejects.toThrow(/^no job with id "ghost"$/);
    expect((await q.get('a')).state).toBe('pending');
    const cancelled = await q.cancel(['a', 'b', 'a']);
    expect(cancelled.map((c) => c.job.state)).toEqual(['cancelled', 'cancelled']);
    await expect(q.cancel(['a', 'b'])).rejects.toThrow(
      'job "a" is cancelled; only pending, failed or processing jobs can be cancelled; nothing was changed',
    );
    expect((await q.restart(['b', 'a', 'b'])).map((job) => [job.id, job.state])).toEqual([
      ['b', 'pending'],
      ['a', 'pending'],
    ]);
    await expect(q.restart(['a'])).rejects.toBeInstanceOf(ConflictError);
  });

  it('restarts every job in a finished state, and refuses other states', async () => {
    const q = await queue();
    for (const id of ['x', 'y', 'z']) await q.enqueue({ id, command: 'true' });
    await runNext(q, 'completed');
    await runNext(q, 'completed');
    expect(await q.restartState('completed')).toBe(2);
    await expect(q.restartState('pending')).rejects.toThrow(
      'only finished jobs can be restarted: name completed, dead, cancelled, not pending',
    );
    await expect(q.restartState('finished')).rejects.toThrow(/unknown state "finished"/);
  });

  it('removes jobs and the output files of every run, a file already gone included', async () => {
    const q = await queue();
    await q.enqueue({ id: 'out', command: 'true', max_retries: 0 });
    await q.enqueue({ id: 'keep', command: 'true', priority: -1 });
    await runNext(q, 'failed');
    await q.restart(['out']);
    expect(await runNext(q, 'completed')).toBe('out');
    const logDir = logDirectory(q.store.location);
    mkdirSync(logDir, { recursive: true });
    for (const name of [
      logPath(logDir, 'out', 1, 'stdout'),
      logPath(logDir, 'out', 2, 'stderr'),
      logPath(logDir, 'keep', 1, 'stdout'),
    ]) {
      writeFileSync(name, 'x');
    }
    // Run 1's stderr and run 2's stdout were never written: that is fine.
    const removed = await q.remove(['out']);
    expect(removed).toEqual({ jobs: [{ id: 'out', runs: 2 }], filesLeft: [] });
    expect(readdirSync(logDir)).toEqual(['keep.1.stdout']);
    await expect(q.get('out')).rejects.toBeInstanceOf(NotFoundError);
    // The dashboard's delete goes the same way.
    await q.deleteJob('keep');
    await expect(q.remove(['keep'])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('removes 10,000 jobs in one call, or none', async () => {
    const q = await queue();
    const ids = Array.from({ length: 10_000 }, (_, i) => `many-${i}`);
    await q.enqueueMany(ids.map((id) => ({ value: { id, command: 'true' }, where: id })));
    await expect(q.remove([...ids, 'ghost'])).rejects.toThrow(/nothing was changed/);
    expect((await q.status()).counts.pending).toBe(10_000);
    expect((await q.remove(ids)).jobs).toHaveLength(10_000);
    expect((await q.status()).counts.pending).toBe(0);
  });
});

describe('update', () => {
  it('changes a waiting job with typed values checked like a job spec', async () => {
    const q = await queue();
    await q.enqueue({ id: 'u', command: 'true', timeout_seconds: 3 });
    const later = Date.UTC(2030, 0, 1);
    expect(
      await q.update('u', { priority: 5, run_at: later, timeout_seconds: null, command: 'false' }),
    ).toMatchObject({ priority: 5, run_at: later, timeout_seconds: null, command: 'false' });
    const refused: [object, RegExp][] = [
      [{ priority: 2_000_000 }, /priority must be a whole number from -1000000 to 1000000/],
      [{ max_retries: -1 }, /max_retries must be a whole number from 0 to 1000/],
      [{ max_retries: 1.5 }, /max_retries/],
      [{ timeout_seconds: 0 }, /timeout_seconds must be a number of seconds from 0.001/],
      [{ command: ' ' }, /command must not be empty/],
      [{ command: 'a\u0000b' }, /NUL/],
      [{ command: 'x'.repeat(64 * 1024 + 1) }, /longer than the limit of 65536 bytes/],
      [{ run_at: Number.NaN }, /run_at must be a time in milliseconds/],
      [{ run_at: 1e20 }, /run_at must be a time in milliseconds/],
      [{}, /name something to change/],
      [{ state: 'completed' }, /"state" cannot be updated/],
    ];
    for (const [changes, message] of refused) {
      await expect(q.update('u', changes)).rejects.toThrow(message);
    }
    expect(await q.get('u')).toMatchObject({ priority: 5, command: 'false' });
    await q.cancel(['u']);
    await expect(q.update('u', { priority: 1 })).rejects.toThrow(/job "u" is cancelled/);
  });
});

describe('recorded directory and environment', () => {
  const recorded = { inherit: false, vars: { PATH: '/bin', HOME: '/home/me', 'X-Y': 'odd' } };

  it('records what the CLI passes, with the spec over it; the library records nothing by itself', async () => {
    const q = await queue();
    const plain = await q.enqueue({ command: 'true' });
    expect(plain).toMatchObject({ cwd: null, env_names: null });
    expect(await q.environment(plain.id)).toBeNull();

    const own = await q.enqueue({ command: 'true', env: { A: '1' }, cwd: '/srv' });
    expect(own).toMatchObject({ cwd: '/srv', env_names: ['A'] });
    expect(await q.environment(own.id)).toEqual({ inherit: true, vars: { A: '1' } });

    const { ids } = await q.enqueueMany(
      [
        { value: { command: 'true' }, where: 'line 1' },
        { value: { command: 'true', env: { HOME: '/other', B: '2' }, cwd: '/x' }, where: 'line 2' },
      ],
      { cwd: '/work', env: recorded },
    );
    expect(await q.get(ids[0]!)).toMatchObject({ cwd: '/work' });
    expect(await q.environment(ids[0]!)).toEqual(recorded);
    expect(await q.get(ids[1]!)).toMatchObject({ cwd: '/x' });
    expect(await q.environment(ids[1]!)).toEqual({
      inherit: false,
      vars: { PATH: '/bin', HOME: '/other', 'X-Y': 'odd', B: '2' },
    });
  });

  it('refuses bad directories and environments, without quoting a value', async () => {
    const q = await queue();
    const refused: [object, RegExp][] = [
      [{ cwd: 'relative' }, /cwd must be an absolute path \(starting with \/\)/],
      [{ cwd: 7 }, /cwd must be an absolute path \(a string\), not 7/],
      [{ cwd: '/a\u0000b' }, /cwd must not contain a NUL byte/],
      [{ cwd: `/${'d'.repeat(4096)}` }, /cwd is longer than the limit of 4096 bytes/],
      [{ env: [] }, /env must be an object like \{"NAME":"value"\}, not an array/],
      [{ env: { '1A': 'x' } }, /env: "1A" is not a variable name/],
      [{ env: { 'A=B': 'x' } }, /env: "A=B" is not a variable name/],
      [{ env: { A: 1 } }, /env: the value of A must be a string, not number/],
      [{ env: { A: 'secret\u0000' } }, /env: the value of A contains a NUL byte/],
      [{ env: { A: 'v'.repeat(128 * 1024) } }, /env: A is longer than 131072 bytes/],
      [
        { env: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`V${i}`, ''])) },
        /env has 10001 variables; the limit is 10000/,
      ],
      [
        {
          env: Object.fromEntries(
            Array.from({ length: 9 }, (_, i) => [`V${i}`, 'v'.repeat(120_000)]),
          ),
        },
        /env is \d+ bytes \(NAME=VALUE pairs\); the limit is 1048576/,
      ],
    ];
    for (const [fields, message] of refused) {
      const error = await q.enqueue({ command: 'true', ...fields }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('secret');
    }
    await expect(
      q.enqueueMany([{ value: { command: 'true' }, where: 'job' }], {
        env: { inherit: false, vars: { A: 'x'.repeat(200_000) } },
      }),
    ).rejects.toThrow(/the recorded environment: A is longer than 131072 bytes/);
    expect((await q.status()).counts.pending).toBe(0);
  });
});

describe('waitForJobs', () => {
  it('resolves when every job has finished, woken by the change', async () => {
    const q = await queue();
    for (const id of ['w1', 'w2']) await q.enqueue({ id, command: 'true' });
    const waiting = waitForJobs(q, ['w1', 'w2', 'w1']);
    let resolved = false;
    void waiting.then(() => (resolved = true));
    await runNext(q, 'completed');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(resolved).toBe(false);
    const asked = performance.now();
    await q.cancel(['w2']);
    const { jobs, timedOut } = await waiting;
    // Woken by the commit, not by the 5 s safety check.
    expect(performance.now() - asked).toBeLessThan(1000);
    expect(timedOut).toBe(false);
    expect(jobs.map((job) => [job.id, job.state])).toEqual([
      ['w1', 'completed'],
      ['w2', 'cancelled'],
    ]);
  });

  it('refuses an unknown id up front, times out, and can be aborted', async () => {
    const q = await queue();
    await q.enqueue({ id: 'slow', command: 'true' });
    await expect(waitForJobs(q, ['slow', 'ghost'])).rejects.toThrow(/no job with id "ghost"/);
    expect(await waitForJobs(q, ['slow'], { timeoutMs: 50 })).toMatchObject({
      timedOut: true,
      jobs: [{ id: 'slow', state: 'pending' }],
    });
    const controller = new AbortController();
    const waiting = waitForJobs(q, ['slow'], { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
