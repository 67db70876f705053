/**
 * When a worker, or the holder of a job, counts as gone: the rescuer acts on it and doctor
 * reports it. Whether a process is alive is asked of the caller (worker/process-info.ts), so
 * that these rules stay pure.
 */
import type { WorkerInfo } from './job.js';
import type { HeldJob } from '../store/job-store.js';

/** Whether `pid` is alive and is still the process that started at `startTime`. */
export type IsAlive = (pid: number, startTime: string | null) => boolean;

/** A job's holder is lost when its lease ran out (any host) or, on this host, its process is gone. */
export function holderIsLost(held: HeldJob, host: string, isAlive: IsAlive): boolean {
  if (held.leaseExpired) return true;
  return held.host === host && !isAlive(held.pid, held.pidStart);
}

/** A registered worker is gone when, on this host, its process is; elsewhere, when it went silent. */
export function workerIsGone(
  worker: WorkerInfo & { stale: boolean },
  host: string,
  isAlive: IsAlive,
): boolean {
  return worker.host === host ? !isAlive(worker.pid, worker.pid_start) : worker.stale;
}

/** Per host (every worker): a job held on this host whose worker process is gone. */
export function holderDiedHere(held: HeldJob, host: string, isAlive: IsAlive): boolean {
  return held.host === host && !isAlive(held.pid, held.pidStart);
}

/** Per host: a worker registered on this host whose process is gone. */
export function workerDiedHere(
  worker: WorkerInfo & { stale: boolean },
  host: string,
  isAlive: IsAlive,
): boolean {
  return worker.host === host && !isAlive(worker.pid, worker.pid_start);
}
