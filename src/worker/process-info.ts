/** Facts about OS processes: liveness that a reused pid cannot fake, and process-group kills. */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { constants, hostname } from 'node:os';
import { processCalls } from './process-calls.js';

/** This machine's identity in worker records; QUEUECTL_HOST overrides it (tests of many hosts). */
export function hostId(): string {
  return process.env.QUEUECTL_HOST || hostname();
}

/** One buffer for reading /proc/<pid>/stat, which fits in well under 1 KiB. */
const statBuffer = Buffer.alloc(1024);
const CLOSE_PAREN = 0x29;
const SPACE = 0x20;

/**
 * The first `count` fields of /proc/<pid>/stat after the command name, or null when the process is
 * gone or /proc is absent: [0] is field 3 overall (state), [1] ppid, [2] pgrp, [3] session, [19]
 * starttime. Only those asked for are made into strings: a busy worker reads dozens of these
 * after every job, and splitting all 50 fields was a third of everything it allocated.
 */
export function statFields(pid: number, count = 20): string[] | null {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return null;
  }
  try {
    const length = readSync(fd, statBuffer, 0, statBuffer.length, 0);
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const close = statBuffer.lastIndexOf(CLOSE_PAREN, length - 1);
    if (close < 0) return null;
    const fields: string[] = [];
    for (let at = close + 2; fields.length < count && at < length;) {
      let end = statBuffer.indexOf(SPACE, at);
      if (end < 0 || end > length) end = length;
      fields.push(statBuffer.toString('latin1', at, end));
      at = end + 1;
    }
    return fields;
  } catch {
    return null; // exited between the open and the read
  } finally {
    closeSync(fd);
  }
}

/** The process start time (clock ticks since boot) from /proc, or null where /proc is absent. */
export function processStartTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null; // field 22 overall: starttime
}

/** Whether `pid` is alive and, when `startTime` is known, is still the same process. */
export function isProcessAlive(pid: number, startTime: string | null): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (startTime === null) return true;
  const current = processStartTime(pid);
  return current === null || current === startTime;
}

/** Sends a signal to every process in a process group; false if the group is already gone. */
export function killProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  const calls = processCalls();
  const number: number | undefined = constants.signals[signal];
  // kill(2) itself where it is bound: no exception to make and throw away.
  if (calls && number !== undefined) return calls.kill(-pgid, number) === 0;
  // After every job the group is usually gone already (ESRCH): the error is thrown away, and
  // capturing its stack would cost more than the kill itself.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** The process group of `pid` (from /proc), or null when it is gone or /proc is absent. */
export function processGroupOf(pid: number): number | null {
  const fields = statFields(pid, 3);
  return !fields || fields[0] === 'Z' ? null : Number(fields[2]); // field 5 overall: pgrp
}

/**
 * Pids of this user's processes whose environment holds every NAME=VALUE given: every process a
 * job starts inherits the job's environment, whatever process group it ends up in. Linux only
 * (/proc); elsewhere none are found.
 */
export function processesWithEnvironment(wanted: Record<string, string>): number[] {
  const pairs = Object.entries(wanted).map(([name, value]) => `${name}=${value}`);
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
    } catch {
      continue; // gone, or another user's
    }
    if (pairs.every((pair) => environ.includes(pair))) found.push(Number(entry));
  }
  return found;
}

/**
 * SIGKILLs each process and its whole process group (a job's command and everything it started
 * in its session), but never this process's own group.
 */
export function killWithGroups(pids: number[]): void {
  const own = processGroupOf(process.pid);
  for (const pid of pids) {
    const group = processGroupOf(pid);
    if (group !== null && group !== own && killProcessGroup(group, 'SIGKILL')) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
