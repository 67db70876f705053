/**
 * After a job's shell exits, JobSession.ended kills what it left in its session, and skips the
 * look when every pid handed out since went to shells this process started after it (which lead
 * sessions of their own). Real shells and real pids.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { JobSession, onlyLaterOwnStarts } from '../../src/worker/job-session.js';
import { isProcessAlive } from '../../src/worker/process-info.js';
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

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
  });
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

describe('JobSession.ended', () => {
  it('kills what the shell left in its session, also in a process group of its own', async () => {
    const job = shell('sleep 30 & echo $!; set -m; sleep 30 & echo $!');
    const session = new JobSession(job.pid!);
    const output = new Promise<string>((resolve) => {
      let text = '';
      job.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
      job.stdout!.on('close', () => resolve(text));
    });
    job.stdin!.end();
    await exited(job);
    expect(session.ended()).toBe(true);
    const left = (await output).trim().split('\n').map(Number);
    expect(left).toHaveLength(2);
    for (const pid of left) {
      await waitFor(() => !isProcessAlive(pid, null), { what: `leftover ${pid} to die` });
    }
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
