/** Turns database rows (same column names in every store) into the model's records. */
import type { Job, WorkerInfo } from '../core/job.js';
import type { ClaimedJob } from './job-store.js';

export type Row = Record<string, unknown>;

export function toJob(row: Row): Job {
  return {
    id: row.id as string,
    command: row.command as string,
    state: row.state as Job['state'],
    priority: row.priority as number,
    attempts: row.attempts as number,
    max_retries: row.max_retries as number,
    timeout_seconds: row.timeout_seconds as number | null,
    run_at: row.run_at as number,
    created_at: row.created_at as number,
    updated_at: row.updated_at as number,
    started_at: row.started_at as number | null,
    finished_at: row.finished_at as number | null,
    last_error: row.last_error as string | null,
    last_exit_code: row.last_exit_code as number | null,
    worker_id: row.worker_id as string | null,
    lease_expires_at: row.lease_expires_at as number | null,
  };
}

export function toWorker(row: Row): WorkerInfo {
  return {
    id: row.id as string,
    host: row.host as string,
    pid: row.pid as number,
    pid_start: row.pid_start as string | null,
    started_at: row.started_at as number,
    heartbeat_at: row.heartbeat_at as number,
    current_job: row.current_job as string | null,
    // SQLite has no booleans: 1 there, true in PostgreSQL.
    stop_requested: row.stop_requested === true || row.stop_requested === 1,
  };
}

/** A claim's row (a job now processing for `workerId`) as the job and the lease to settle it. */
export function toClaimed(row: Row, workerId: string): ClaimedJob {
  return {
    job: toJob(row),
    lease: { jobId: row.id as string, workerId, run: row.runs as number },
  };
}
