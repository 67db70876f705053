/**
 * `queuectl worker stop`: asks running workers to stop gracefully (through the database, so it
 * reaches every host; local workers also get SIGTERM so idle ones stop at once), then waits until
 * they have deregistered, bounded by --timeout. When the database is broken (a SQLite file that
 * cannot be opened or written), the local workers that have it open get SIGTERM instead.
 */
import { readFileSync } from 'node:fs';
import { StoreBrokenError } from '../../core/errors.js';
import type { WorkerInfo } from '../../core/job.js';
import type { Queue } from '../../core/queue.js';
import { formatDuration } from '../../core/units.js';
import { processesWithOpenFile } from '../../store/open-files.js';
import { isPostgresUrl, resolveLocation } from '../../store/open-store.js';
import { hostId, isProcessAlive, processStartTime } from '../../worker/process-info.js';
import { withQueue } from '../context.js';
import type { DataCommand } from '../command-spec.js';
import { CommandFailure } from '../errors.js';

export interface WorkerStopOptions {
  /** How long to wait for them, in milliseconds (default 60 s). */
  timeout?: number;
  local?: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export interface WorkerStopResult {
  stopped: WorkerInfo[];
  stillRunning: WorkerInfo[];
}

export const workerStopCommand: DataCommand<WorkerStopResult, WorkerStopOptions> = {
  kind: 'data',
  run: ({ opts }) => stopWorkers(opts.db, opts),
  render: (result) => renderWorkerStop(result),
};

/** worker stop through the database, or by signal when the database is broken. */
export async function stopWorkers(
  db: string | undefined,
  options: WorkerStopOptions,
): Promise<WorkerStopResult> {
  try {
    return await withQueue({ db }, (queue) => workerStop(queue, options));
  } catch (error) {
    if (!(error instanceof StoreBrokenError) || isPostgresUrl(resolveLocation(db))) throw error;
    return stopBySignal(resolveLocation(db), options, error);
  }
}

/** Worker processes on this host that have the SQLite file (or its -wal) open. */
function localWorkersUsing(path: string): number[] {
  return processesWithOpenFile([path, `${path}-wal`])
    .map((open) => open.pid)
    .filter((pid) => {
      try {
        // worker-entry.cjs runs the bundle; worker-main.js is run where there is none.
        return /worker-(entry|main)\./.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    });
}

async function stopBySignal(
  path: string,
  options: WorkerStopOptions,
  broken: StoreBrokenError,
): Promise<never> {
  const timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const workers = localWorkersUsing(path).map((pid) => ({ pid, start: processStartTime(pid) }));
  for (const { pid } of workers) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + timeoutMs;
  let alive = workers;
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    alive = alive.filter(({ pid, start }) => isProcessAlive(pid, start));
  }
  const pids = (list: { pid: number }[]) => list.map((w) => w.pid).join(', ');
  const stopped = workers.filter((w) => !alive.includes(w));
  throw new CommandFailure(
    `${broken.message}; ` +
      (workers.length === 0
        ? 'no worker on this host has it open'
        : `stopped ${stopped.length} local worker${stopped.length === 1 ? '' : 's'} by signal${stopped.length ? ` (pids ${pids(stopped)})` : ''}` +
          (alive.length
            ? `; still running after ${formatDuration(timeoutMs)}: pids ${pids(alive)}`
            : '')) +
      '; run queuectl doctor',
  );
}

export async function workerStop(
  queue: Queue,
  options: WorkerStopOptions,
): Promise<WorkerStopResult> {
  const timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const host = hostId();
  const asked = await queue.requestStop(options.local ? host : undefined);
  for (const worker of asked) {
    if (worker.host === host && isProcessAlive(worker.pid, worker.pid_start)) {
      try {
        process.kill(worker.pid, 'SIGTERM');
      } catch {
        // Already gone: its deregistration is what we wait for.
      }
    }
  }
  const deadline = Date.now() + timeoutMs;
  let remaining = asked;
  while (remaining.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const registered = new Set((await queue.status()).workers.map((w) => w.id));
    remaining = remaining.filter((w) => registered.has(w.id));
  }
  const stillRunning = new Set(remaining.map((w) => w.id));
  const result = { stopped: asked.filter((w) => !stillRunning.has(w.id)), stillRunning: remaining };
  if (remaining.length > 0) {
    throw new CommandFailure(
      `${result.stopped.length} worker(s) stopped; ${remaining.length} still running after ${formatDuration(timeoutMs)} (their jobs are still finishing): ${remaining.map((w) => `${w.id} pid ${w.pid}@${w.host}`).join(', ')}`,
    );
  }
  return result;
}

export function renderWorkerStop(result: WorkerStopResult): string {
  if (result.stopped.length === 0) return 'no workers were running';
  return [
    `stopped ${result.stopped.length} worker${result.stopped.length === 1 ? '' : 's'}:`,
    ...result.stopped.map((w) => `  ${w.id}  pid ${w.pid} on ${w.host}`),
  ].join('\n');
}
