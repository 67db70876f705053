/**
 * After a job's shell exits, JobSession.ended kills what it left in its session, and skips the
 * look when every pid handed out since went to shells this process started after it (which lead
 * sessions of their own). Real shells and real pids.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobSession, onlyLaterOwnStarts } from '../../src/worker/job-session.js';
import { loadPosixSpawnLauncher } from '../../src/worker/posix-spawn-launcher.js';
import {
  processCalls,
  provideProcessCalls,
  type ProcessCalls,
} from '../../src/worker/process-calls.js';
import { isProcessAlive, killProcessGroup, processGroupOf } from '../../src/worker/process-info.js';
import { glibcVersion } from '../helpers/glibc.js';
import { waitFor } from '../helpers/wait-for.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** `/bin/sh -c script` as a job's shell is started: a session of its own, stdin a pipe. */
function shell(script: string): ChildProcess {
  const child = spawn('/bin/sh', ['-c', script], {
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** The first line the child writes, or with `count`, the first `count` lines. */
function firstLine(child: ChildProcess): Promise<string>;
function firstLine(child: ChildProcess, count: number): Promise<string[]>;
function firstLine(child: ChildProcess, count?: number): Promise<string | string[]> {
  return new Promise((resolve) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const lines = text.split('\n');
      if (lines.length > (count ?? 1)) resolve(count ? lines.slice(0, count) : lines[0]!);
    });
  });
}

/**
 * A job whose shell leaves two processes behind, one moved to a process group of its own
 * (dash's `set -m` does not do that without a tty): both must be dead after JobSession.ended.
 * The session is sampled while the shell runs, as the worker does, so that the look can go
 * through the pid window. Returns how many times getsid was asked (0 with /proc only).
 */
async function leftoversKilled(calls: ProcessCalls | null): Promise<number> {
  let asked = 0;
  if (calls) {
    provideProcessCalls({ ...calls, getsid: (pid) => (asked++, calls.getsid(pid)) });
  }
  const job = shell(`sleep 30 & echo $!; perl -e 'setpgrp(0, 0); sleep 30' & echo $!; read line`);
  const session = new JobSession(job.pid!);
  const sampling = setInterval(() => session.sample(), 10);
  try {
    const left = (await firstLine(job, 2)).map(Number);
    const second = left[1]!;
    await waitFor(() => processGroupOf(second) === second, { what: 'perl to leave the group' });
    job.stdin!.end('\n');
    await exited(job);
    expect(session.ended()).toBe(true);
    // Long before their `sleep 30` would end.
    for (const pid of left) {
      await waitFor(() => !isProcessAlive(pid, null), { what: `leftover ${pid} to die` });
    }
    return asked;
  } finally {
    clearInterval(sampling);
    provideProcessCalls(calls);
  }
}

describe('onlyLaterOwnStarts', () => {
  const starts = new Map([
    [101, 5],
    [102, 7],
    [103, 2],
  ]);

  it('is true for an empty window and for one holding only shells started later', () => {
    expect(onlyLaterOwnStarts([], starts, 4)).toBe(true);
    expect(onlyLaterOwnStarts([101, 102], starts, 4)).toBe(true);
  });

  it('is false for a pid it did not start, one started before the shell, or no window', () => {
    expect(onlyLaterOwnStarts([101, 104], starts, 4)).toBe(false);
    expect(onlyLaterOwnStarts([101, 103], starts, 4)).toBe(false);
    expect(onlyLaterOwnStarts([101], starts, 5)).toBe(false);
    expect(onlyLaterOwnStarts(null, starts, 4)).toBe(false);
  });
});

// Looked up through /proc, and through getsid/kill once the posix_spawn launcher has bound them
// (as in a worker that has started a job): the same processes are found and killed either way.
const bound = (loadPosixSpawnLauncher(), processCalls());

describe.each([
  ['/proc and process.kill', null],
  ['getsid and kill bound by the posix_spawn launcher', bound],
])('JobSession.ended, with %s', (how, calls) => {
  beforeAll(() => provideProcessCalls(calls));
  afterAll(() => provideProcessCalls(bound));

  it('has the calls it is meant to test', async () => {
    expect(processCalls()).toBe(calls);
    // With glibc the launcher binds them; if it did not, the second pass would quietly test
    // /proc again. (Elsewhere, musl say, it cannot, and workers use /proc.)
    if (how.startsWith('getsid') && glibcVersion()) expect(calls).not.toBeNull();
    if (!calls) return;
    // A shell in a session of its own leads it. (This process's own session id may be 0: under
    // some container runtimes its session leader lives outside the pid namespace.)
    const job = shell('echo started; exec sleep 30');
    await firstLine(job);
    expect(calls.getsid(job.pid!)).toBe(job.pid);
    job.kill('SIGKILL');
    await exited(job);
    await waitFor(() => calls.getsid(job.pid!) === -1);
  });

  it('kills a process group, and says false for one that is gone', async () => {
    const job = shell('echo started; exec sleep 30');
    await firstLine(job);
    expect(killProcessGroup(job.pid!, 'SIGKILL')).toBe(true);
    await exited(job);
    expect(job.signalCode).toBe('SIGKILL');
    expect(killProcessGroup(job.pid!, 'SIGKILL')).toBe(false);
  });

  it('kills what the shell left in its session, also in a process group of its own', async () => {
    // Whether the look goes through the pid window or reads all of /proc (a window crowded by
    // other tests' processes), each pid considered is asked of getsid first where it is bound.
    const asked = await leftoversKilled(calls);
    if (calls) expect(asked).toBeGreaterThan(0);
  });

  it('looks, and kills nothing outside the session, when another process started meanwhile', async () => {
    const job = shell('read line');
    const session = new JobSession(job.pid!);
    const outsider = spawn('sleep', ['30'], { stdio: 'ignore' }); // not a shell of ours
    children.push(outsider);
    job.stdin!.end('\n');
    await exited(job);
    expect(session.ended()).toBe(true);
    expect(isProcessAlive(outsider.pid!, null)).toBe(true);
  });

  it('skips the look when only shells it started later got pids meanwhile', async () => {
    // Other tests start processes at the same time, and any of those in the window makes it
    // look (rightly): tried until one window holds only this test's own shells.
    let skipped = 0;
    for (let attempt = 0; attempt < 30 && skipped === 0; attempt++) {
      const job = shell('read line');
      const session = new JobSession(job.pid!);
      const other = shell('echo started; read line');
      const otherSession = new JobSession(other.pid!);
      await firstLine(other);
      job.stdin!.end('\n');
      await exited(job);
      if (!session.ended()) skipped++;
      other.stdin!.end('\n');
      await exited(other);
      otherSession.ended();
    }
    expect(skipped).toBe(1);
  });
});
