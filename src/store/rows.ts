/** Turns database rows (same column names in every store) into the model's records. */
import {
  DEFAULT_QUEUE,
  type Job,
  type JobEnvironment,
  type JobLink,
  type JobState,
  type QueueInfo,
  type WorkerInfo,
} from '../core/job.js';
import type { StoredSchedule } from '../core/schedule.js';
import { decodeEnvironment, decodeNames } from './environments.js';
import type { ClaimedJob, ExpiredPage, LeaderInfo } from './job-store.js';

export type Row = Record<string, unknown>;

/** SQLite has no booleans: 1 there, true in PostgreSQL. */
function flag(value: unknown): boolean {
  return value === true || value === 1;
}

/**
 * A `jobs` row; its `env_names` column (the environment's `names`) comes from a join with
 * `environments`, and is null without one.
 */
export function toJob(row: Row): Job {
  return {
    id: row.id as string,
    command: row.command as string,
    queue: (row.queue as string | undefined) ?? DEFAULT_QUEUE,
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
    cancel_requested: flag(row.cancel_requested),
    cwd: (row.cwd as string | null | undefined) ?? null,
    env_names: decodeNames(row.env_names),
    unique_key: (row.unique_key as string | null | undefined) ?? null,
    waiting_for: idList(row.waiting_for),
  };
}

/** A list of ids: a JSON array (SQLite's json_group_array), a PostgreSQL array, or nothing. */
function idList(value: unknown): string[] {
  if (Array.isArray(value)) return (value as string[]).sort();
  if (typeof value === 'string') return (JSON.parse(value) as string[]).sort();
  return [];
}

/** Rows of `id` and `state`: dependencies or dependents. */
export function toLinks(rows: Row[]): JobLink[] {
  return rows.map((row) => ({ id: row.id as string, state: row.state as JobState }));
}

/** A `queues` row with its counts per state and the figures computed beside them. */
export function toQueue(row: Row): QueueInfo {
  const count = (name: string) => Number(row[name] ?? 0);
  return {
    name: row.name as string,
    concurrency: (row.concurrency as number | null) ?? null,
    paused: flag(row.paused),
    counts: {
      pending: count('pending'),
      processing: count('processing'),
      completed: count('completed'),
      failed: count('failed'),
      dead: count('dead'),
      cancelled: count('cancelled'),
    },
    runnable: row.runnable === null || row.runnable === undefined ? null : count('runnable'),
    blocked: row.blocked === null || row.blocked === undefined ? null : count('blocked'),
    lag_ms:
      row.lag_ms === null || row.lag_ms === undefined ? null : Math.max(0, Number(row.lag_ms)),
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
    stop_requested: flag(row.stop_requested),
  };
}

/**
 * A claim's row (a job now processing for `workerId`) as the job and the lease to settle it;
 * `env_inherit` and `env_vars` are its environment's columns (null without one).
 */
export function toClaimed(row: Row, workerId: string): ClaimedJob {
  const env: JobEnvironment | null =
    typeof row.env_vars === 'string' ? decodeEnvironment(row.env_inherit, row.env_vars) : null;
  const job = toJob(row);
  if (env) job.env_names = Object.keys(env.vars).sort();
  return {
    job,
    lease: { jobId: row.id as string, workerId, run: row.runs as number },
    env,
  };
}

// ---- Issue 15 ----

/** A `leaders` row with `expired` (its lease ran out by the store's clock). */
/** A page of expired jobs (retention), with the cursor after it when it was full. */
export function toExpiredPage(rows: Row[], limit: number): ExpiredPage {
  const last = rows[rows.length - 1];
  return {
    jobs: rows.map((row) => ({ id: row.id as string, runs: row.runs as number })),
    next:
      rows.length < limit || !last
        ? null
        : { finishedAt: last.finished_at as number, seq: last.seq as number },
  };
}

export function toLeader(row: Row): LeaderInfo {
  return {
    name: row.name as string,
    holder: row.holder as string,
    host: row.host as string,
    term: row.term as number,
    since_at: row.since as number,
    expires_at: row.expires_at as number,
    expired: flag(row.expired),
  };
}

/** A `schedules` row, with `last_job_state` from a join with its last job. */
export function toSchedule(row: Row): StoredSchedule {
  return {
    name: row.name as string,
    cron: row.cron as string | null,
    timezone: row.timezone as string | null,
    every_ms: row.every_ms as number | null,
    command: row.command as string,
    priority: row.priority as number,
    max_retries: row.max_retries as number | null,
    timeout_seconds: row.timeout_seconds as number | null,
    cwd: row.cwd as string | null,
    queue: (row.queue as string | undefined) ?? DEFAULT_QUEUE,
    env: typeof row.env_vars === 'string' ? decodeEnvironment(row.env_inherit, row.env_vars) : null,
    env_names: decodeNames(row.env_names),
    overlap: row.overlap as StoredSchedule['overlap'],
    catch_up: flag(row.catch_up),
    paused: flag(row.paused),
    anchor_at: row.anchor_at as number,
    created_at: row.created_at as number,
    updated_at: row.updated_at as number,
    next_at: row.next_at as number | null,
    last_slot_at: row.last_slot_at as number | null,
    last_job_id: row.last_job_id as string | null,
    last_job_state: (row.last_job_state as JobState | null | undefined) ?? null,
    fired: row.fired as number,
    skipped: row.skipped as number,
    missed: row.missed as number,
  };
}
