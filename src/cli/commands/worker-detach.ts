/**
 * `queuectl worker start --detach`: the same `worker start`, in the background. It runs in a
 * session of its own (so closing the terminal, which sends SIGHUP to the terminal's session, does
 * not reach it), with its output appended to a log file in the data directory, and this command
 * returns once its workers have registered, printing the supervisor's pid and the log's path.
 * `worker stop` and `status` see it like any other workers.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CommandFailure } from '../errors.js';
import type { Queue } from '../../core/queue.js';
import { dataDirectory, displayLocation } from '../../store/open-store.js';
import { tightenDirectory } from '../../store/private-directory.js';
import { hostId, isProcessAlive } from '../../worker/process-info.js';

/** How long the detached workers get to register before this command reports them failed. */
const START_TIMEOUT_MS = 20_000;

/** The log file of detached workers on this database: one per database, in the data directory. */
export function detachedLogPath(location: string): string {
  const digest = createHash('sha256').update(location).digest('hex').slice(0, 12);
  return join(dataDirectory(), `workers-${digest}.log`);
}

export interface Detached {
  pid: number;
  log: string;
  workers: number;
  /**
   * Set when the supervisor had already exited 0 before its workers were seen (a `--drain` on a
   * queue with nothing to run): its last log line.
   */
  finished?: string;
}

/**
 * Starts `worker start` (with `args`, which must not hold --detach) in the background on the
 * queue's database and waits until `count` of its workers have registered.
 */
export async function startDetached(
  queue: Queue,
  location: string,
  args: string[],
  count: number,
): Promise<Detached> {
  tightenDirectory(dataDirectory());
  const log = detachedLogPath(location);
  const out = openSync(log, 'a', 0o600);
  const start = Buffer.byteLength(readFileSync(log));
  let child;
  try {
    child = spawn(process.execPath, [process.argv[1]!, 'worker', 'start', ...args], {
      detached: true,
      stdio: ['ignore', out, out],
      // The location travels in the environment (it may hold a password), never argv.
      env: { ...process.env, QUEUECTL_DB: location },
    });
  } finally {
    closeSync(out);
  }
  const pid = child.pid!;
  child.unref();
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const mine = (await queue.status()).workers.filter(
      (w) => w.host === hostId() && parentOf(w.pid) === pid,
    );
    if (mine.length >= count) return { pid, log, workers: mine.length };
    if (exited !== null || !isProcessAlive(pid, null) || Date.now() > deadline) {
      const said = readFileSync(log, 'utf8').slice(start).trim().split('\n').pop() ?? '';
      if (exited === 0) return { pid, log, workers: 0, finished: said };
      throw new CommandFailure(
        `the background workers did not start${said ? `: ${said}` : ''} (log: ${log})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

export function renderDetached(detached: Detached, location: string): string {
  if (detached.finished !== undefined) {
    return [
      `the background workers on ${displayLocation(location)} finished at once${detached.finished ? `: ${detached.finished}` : ''}`,
      `log: ${detached.log}`,
    ].join('\n');
  }
  return [
    `started ${detached.workers} worker${detached.workers === 1 ? '' : 's'} in the background on ${displayLocation(location)} (supervisor pid ${detached.pid})`,
    `log: ${detached.log}`,
    'stop them with: queuectl worker stop',
  ].join('\n');
}
