/**
 * `queuectl worker stop`: asks running workers to stop gracefully (through the database, so it
 * reaches every host; local workers also get SIGTERM so idle ones stop at once), then waits until
 * they have deregistered, bounded by --timeout.
 */
import type { WorkerInfo } from '../../core/job.js';
import type { Queue } from '../../core/queue.js';
import { parseDuration } from '../../core/units.js';
import { hostId, isProcessAlive } from '../../worker/process-info.js';
import { CommandFailure } from '../errors.js';

export interface WorkerStopOptions {
  timeout?: string;
  local?: boolean;
}

export interface WorkerStopResult {
  stopped: WorkerInfo[];
  stillRunning: WorkerInfo[];
}

export async function workerStop(
  queue: Queue,
  options: WorkerStopOptions,
): Promise<WorkerStopResult> {
  const timeoutMs = parseDuration(options.timeout ?? '60s', '--timeout');
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
      `${result.stopped.length} worker(s) stopped; ${remaining.length} still running after ${options.timeout ?? '60s'} (their jobs are still finishing): ${remaining.map((w) => `${w.id} pid ${w.pid}@${w.host}`).join(', ')}`,
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
