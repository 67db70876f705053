/**
 * Killing everything a job started. A job's shell is started as a session leader, so its session
 * id is its pid, and every process it starts stays in that session unless it calls setsid(): a
 * child that only moves to a process group of its own (setpgid, `set -m`, a daemon that does not
 * detach fully) is still found here. Linux has no call that lists a session, so its members are
 * found by reading /proc/<pid>/stat (field 6: session).
 *
 * Reading every process costs ~9 µs each (~1 ms with 100 processes), too much after every job.
 * So while a job runs, the kernel's pid cursor (the last pid it handed out) is followed: every
 * process of the session was created after its shell, so its pid lies between the shell's pid
 * and the cursor, going round at pid_max. A short job's window holds a handful of pids, read one
 * by one. When the cursor may have gone all the way round (it moved pid_max or more, or it was
 * not looked at for a while), or /proc cannot tell, every process is read. Either way, where the
 * posix_spawn launcher has bound getsid(2), a pid in another session (or gone) is ruled out by
 * that one system call before its /proc file is opened.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { killProcessGroup, processGroupOf, statFields } from './process-info.js';
import { processCalls } from './process-calls.js';

/** Cursor samples further apart than this may have missed a full turn of the pid space. */
const MAX_SAMPLE_GAP_MS = 250;
/** Up to this many pids in the window are checked one by one; more, and /proc is listed. */
const PROBE_LIMIT = 32;
/** Rounds of SIGKILL: a member that forked into a new group before it died is caught next round. */
const KILL_ROUNDS = 3;

/**
 * The pids handed out after `from`, followed while a session lives. `contains` and `list` answer
 * for the window up to the latest sample; `known` is false once the window cannot be trusted.
 */
class PidWindow {
  private cursor: number;
  private travelled = 0;
  private sampledAt = performance.now();
  private known: boolean;

  constructor(private readonly from: number) {
    this.cursor = from;
    this.known = pidLimit() !== null;
  }

  /** Notes where the kernel's pid cursor is now. */
  sample(): void {
    if (!this.known) return;
    const now = performance.now();
    const cursor = lastPid();
    const limit = pidLimit();
    if (cursor === null || limit === null || now - this.sampledAt > MAX_SAMPLE_GAP_MS) {
      this.known = false;
      return;
    }
    // Going round, the cursor restarts low (at 300 in the first pid namespace): counting from 0
    // over-counts, which only makes a full scan come sooner.
    this.travelled += cursor >= this.cursor ? cursor - this.cursor : limit - this.cursor + cursor;
    this.cursor = cursor;
    this.sampledAt = now;
    if (this.travelled >= limit - 1) this.known = false;
  }

  /** The window's pids, or null when it is unknown or too wide to check one by one. */
  list(): number[] | null {
    if (!this.known) return null;
    const limit = pidLimit()!;
    const size =
      this.cursor >= this.from ? this.cursor - this.from : limit - this.from + this.cursor;
    if (size > PROBE_LIMIT) return null;
    const pids: number[] = [];
    for (let pid = this.from + 1, n = 0; n < size; n++, pid++) {
      if (pid >= limit) pid = 1;
      pids.push(pid);
    }
    return pids;
  }

  contains(pid: number): boolean {
    if (!this.known) return true;
    if (this.cursor >= this.from) return pid > this.from && pid <= this.cursor;
    return pid > this.from || pid <= this.cursor;
  }
}

/**
 * Shells this process started (jobs' and hooks'), by pid, with the order they were started in;
 * the newest OWN_STARTS_KEPT only (an older one is just not recognised: JobSession.ended then
 * looks, as it would for any other process).
 */
const ownStarts = new Map<number, number>();
const OWN_STARTS_KEPT = 1024;
let startCount = 0;

function noteStart(pid: number): number {
  const number = ++startCount;
  ownStarts.delete(pid); // set again below, as the newest: the oldest are dropped first
  ownStarts.set(pid, number);
  if (ownStarts.size > OWN_STARTS_KEPT) ownStarts.delete(ownStarts.keys().next().value!);
  return number;
}

/**
 * Whether none of `listed` (the pids handed out after a shell, its window) can be in that shell's
 * session: each went to a shell this process started after it (`starts`: pid → start number,
 * `after`: the shell's own), which leads a session of its own. Pids are handed out in turn
 * around pid_max, so within a known window none was handed out twice. Null (a window not
 * known): false.
 */
export function onlyLaterOwnStarts(
  listed: readonly number[] | null,
  starts: ReadonlyMap<number, number>,
  after: number,
): boolean {
  return listed !== null && listed.every((pid) => (starts.get(pid) ?? 0) > after);
}

/** The processes of one job's session, for signalling all of them at once. */
export class JobSession {
  private readonly window: PidWindow;
  private readonly startNumber: number;

  /** `sid` is the job shell's pid; call at once after starting it. */
  constructor(readonly sid: number) {
    this.window = new PidWindow(sid);
    this.startNumber = noteStart(sid);
  }

  /**
   * Once the shell has exited: kills whatever it left in its session, which holds only
   * processes started after the shell (their pids are in the window). After most jobs every pid
   * handed out meanwhile went to this worker's other shells (its other slots' jobs, hooks), so
   * nothing can be left and nothing is read or signalled; that look took ~0.1 ms of a busy
   * worker's ~0.8 ms a job. Returns whether it had to look.
   */
  ended(): boolean {
    this.window.sample();
    if (onlyLaterOwnStarts(this.window.list(), ownStarts, this.startNumber)) return false;
    this.signal('SIGKILL');
    return true;
  }

  /** While the job runs, often (every few tens of ms): follows the pid cursor. */
  sample(): void {
    this.window.sample();
  }

  /** Sends `signal` to every process in the session. */
  signal(signal: NodeJS.Signals): void {
    signalMembers(this.sid, signal, this.window);
  }
}

/**
 * Sends `signal` to every process in session `sid`, reading every process to find them (the
 * rescuer, for a run whose worker is gone).
 */
export function signalSession(sid: number, signal: NodeJS.Signals): void {
  signalMembers(sid, signal, null);
}

/** This process's group, never signalled (a worker does not change its group). */
let ownGroup: number | null | undefined;

/**
 * The shell's own process group first, at once; then each member found in another group, with
 * its whole group. SIGKILL is repeated while members are found, so one that forked into a new
 * group just before it died is caught too.
 */
function signalMembers(sid: number, signal: NodeJS.Signals, window: PidWindow | null): void {
  if (!Number.isInteger(sid) || sid <= 1 || sid === process.pid) return;
  killProcessGroup(sid, signal);
  ownGroup ??= processGroupOf(process.pid);
  const own = ownGroup;
  for (let round = 0; round < KILL_ROUNDS; round++) {
    window?.sample();
    const members = sessionMembers(sid, window);
    if (members.length === 0) return;
    for (const { pid, group } of members) {
      if (group !== own && group !== sid) killProcessGroup(group, signal);
      try {
        process.kill(pid, signal);
      } catch {
        // gone already
      }
    }
    if (signal !== 'SIGKILL') return; // a member may be handling SIGTERM: one round only
  }
}

interface Member {
  pid: number;
  group: number;
}

/** Live (not zombie) processes in session `sid`, other than this one, looked for in `window`. */
function sessionMembers(sid: number, window: PidWindow | null): Member[] {
  const members: Member[] = [];
  const calls = processCalls();
  const consider = (pid: number) => {
    if (pid === process.pid) return;
    // Most pids looked at are gone or in sessions of their own (other workers' jobs): where it is
    // bound, getsid rules them out in one system call before /proc is read.
    if (calls && calls.getsid(pid) !== sid) return;
    const fields = statFields(pid, 4); // state, ppid, pgrp, session
    if (!fields || fields[0] === 'Z' || fields[0] === 'X' || Number(fields[3]) !== sid) return;
    members.push({ pid, group: Number(fields[2]) });
  };
  const listed = window?.list() ?? null;
  if (listed) {
    // Without getsid, a pid that is gone costs ~2 µs to see here (no exception thrown).
    for (const pid of listed) if (calls || existsSync(`/proc/${pid}`)) consider(pid);
    return members;
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members; // no /proc: the process-group kill is all there is
  }
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue; // not a pid
    const pid = Number(entry);
    if (!window || window.contains(pid)) consider(pid);
  }
  return members;
}

/** The kernel's last handed-out pid in this pid namespace (/proc/loadavg, last field). */
function lastPid(): number | null {
  const text = readKernelFile('/proc/loadavg');
  const pid = text === null ? NaN : Number(text.slice(text.lastIndexOf(' ') + 1));
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** pid_max is read again at most this often (only an administrator changes it). */
const PID_LIMIT_TTL_MS = 1000;
let pidLimitRead: { limit: number | null; at: number } | undefined;

/** Pids are below this (/proc/sys/kernel/pid_max). */
function pidLimit(): number | null {
  const now = performance.now();
  if (pidLimitRead === undefined || now - pidLimitRead.at > PID_LIMIT_TTL_MS) {
    const limit = Number(readKernelFile('/proc/sys/kernel/pid_max'));
    pidLimitRead = { limit: Number.isInteger(limit) && limit > 1 ? limit : null, at: now };
  }
  return pidLimitRead.limit;
}

/**
 * Kernel files kept open and read again from the start: ~1.5 µs a read instead of ~11 µs for an
 * open, read and close (these are read every 25 ms while a job runs).
 */
const kernelFiles = new Map<string, number | null>();
const kernelBuffer = Buffer.alloc(256);

function readKernelFile(path: string): string | null {
  let fd = kernelFiles.get(path);
  if (fd === undefined) {
    try {
      fd = openSync(path, 'r');
    } catch {
      fd = null;
    }
    kernelFiles.set(path, fd);
  }
  if (fd === null) return null;
  try {
    return kernelBuffer.toString('latin1', 0, readSync(fd, kernelBuffer, 0, 256, 0)).trim();
  } catch {
    closeSync(fd);
    kernelFiles.set(path, null);
    return null;
  }
}
