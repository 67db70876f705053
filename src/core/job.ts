/**
 * The job model. Times are milliseconds since the Unix epoch; JSON output turns them into
 * ISO-8601 strings (see cli/output.ts).
 */

/**
 * - `pending`: waiting to run (possibly scheduled for later through `run_at`).
 * - `processing`: held by a worker and running now.
 * - `completed`: its last run exited 0.
 * - `failed`: its last run failed; it runs again once `run_at` (the backoff delay) has passed.
 * - `dead`: its retries are exhausted; this is the dead letter queue.
 * - `cancelled`: stopped by a user (`cancel`) before it completed; it does not run again unless
 *   restarted. A running job that is cancelled stays `processing` until its worker has ended the
 *   run (`cancel_requested` meanwhile).
 *
 * `completed`, `dead` and `cancelled` are the finished states: nothing moves a job out of them
 * but a user (`restart`, `dlq retry`).
 */
export const JOB_STATES = [
  'pending',
  'processing',
  'completed',
  'failed',
  'dead',
  'cancelled',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** The states a job ends in (see JOB_STATES). */
export const FINISHED_STATES = ['completed', 'dead', 'cancelled'] as const;
export type FinishedState = (typeof FINISHED_STATES)[number];

export function isFinished(state: JobState): state is FinishedState {
  return (FINISHED_STATES as readonly string[]).includes(state);
}

/** The states in which a job still waits to run or runs: a unique key is held only in these. */
export const LIVE_STATES = ['pending', 'failed', 'processing'] as const;

/** The queue of a job that names none. */
export const DEFAULT_QUEUE = 'default';

/**
 * The environment a job runs with. `inherit: false`: exactly `vars` (the CLI records the
 * enqueuer's whole environment this way); `inherit: true`: the worker's environment with `vars`
 * set over it. Either way the worker sets QUEUECTL_JOB_ID, QUEUECTL_ATTEMPT, QUEUECTL_QUEUE and
 * QUEUECTL_WORKER_PID over it. Values are secrets: they are never printed or logged.
 */
export interface JobEnvironment {
  vars: Record<string, string>;
  inherit: boolean;
}

export interface Job {
  id: string;
  command: string;
  /** The named queue the job belongs to (`default` unless it named one). */
  queue: string;
  state: JobState;
  /** Higher runs first; equal priorities run in enqueue order. */
  priority: number;
  /** Runs that started (including the current one). */
  attempts: number;
  /** Retries after the first run: a job runs at most max_retries + 1 times. */
  max_retries: number;
  /** A run longer than this is killed and counts as failed; null means no limit. */
  timeout_seconds: number | null;
  /** The earliest time the job may (next) start. */
  run_at: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  last_error: string | null;
  last_exit_code: number | null;
  /** The worker holding the job while it is `processing`. */
  worker_id: string | null;
  /** While processing: when the holder's lease runs out unless renewed by a heartbeat. */
  lease_expires_at: number | null;
  /** While processing: a user cancelled the job and its worker is ending the run. */
  cancel_requested: boolean;
  /** The directory the job runs in; null: the worker's own. */
  cwd: string | null;
  /** The names of the variables recorded for the job, sorted (never their values); null: none. */
  env_names: string[] | null;
  /**
   * While a job with this key is pending, failed or processing, enqueueing another with the same
   * key stores nothing. Null: none.
   */
  unique_key: string | null;
  /** The jobs it was enqueued `after` that have not completed yet (ids); empty when none. */
  waiting_for: string[];
}

/** What happened to one run. */
export const OUTCOMES = [
  'completed',
  'failed',
  'timed_out',
  'spawn_failed',
  'worker_lost',
  'interrupted',
  'cancelled',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** One run of a job, as recorded in its history. */
export interface Attempt {
  job_id: string;
  /** The run number: 1 for the job's first run ever, never reset (not even by `dlq retry`). */
  attempt: number;
  worker_id: string;
  host: string;
  pid: number;
  started_at: number;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  outcome: Outcome | null;
  error: string | null;
}

/** A job as it is stored by enqueue; everything else is derived. */
export interface NewJob {
  id: string;
  command: string;
  max_retries: number;
  priority: number;
  timeout_seconds: number | null;
  /** Absolute start time, or null for "as soon as possible". */
  run_at: number | null;
  /** An absolute directory to run in, or null for the worker's own. */
  cwd: string | null;
  /** The environment to run with, or null for the worker's own. */
  env: JobEnvironment | null;
  /** Its named queue. */
  queue: string;
  /** See Job.unique_key. */
  unique_key: string | null;
  /** Jobs that must complete before this one runs (ids, no repeats). */
  after: string[];
}

/**
 * What `update` may change in a job that has not started (or waits for a retry): typed values,
 * validated by the same rules as a job spec (core/job-spec.ts). `run_at` is epoch milliseconds;
 * `timeout_seconds: null` removes the job's own timeout.
 */
export interface JobChanges {
  priority?: number;
  run_at?: number;
  max_retries?: number;
  timeout_seconds?: number | null;
  command?: string;
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  /** The process start time read from /proc, so a reused pid is not taken for the worker. */
  pid_start: string | null;
  started_at: number;
  heartbeat_at: number;
  current_job: string | null;
  stop_requested: boolean;
}

export type StateCounts = Record<JobState, number>;

/** A named queue: its settings and what it holds. */
export interface QueueInfo {
  name: string;
  /** At most this many of its jobs are processing at once (all workers, all hosts); null: no limit. */
  concurrency: number | null;
  /** No worker claims its jobs until it is resumed; running ones finish. */
  paused: boolean;
  counts: StateCounts;
  /**
   * Jobs a worker could claim now (see "runnable" in the stores), and pending or failed jobs
   * whose dependencies have not all completed; null when not counted (counting them is a pass
   * over the queue's waiting jobs, so `status` and the live overview leave them out).
   */
  runnable: number | null;
  blocked: number | null;
  /** Age of its oldest job that is due and whose dependencies are met, unless paused; null: none. */
  lag_ms: number | null;
}

/** Another job named from one job: a dependency or a dependent, with its state. */
export interface JobLink {
  id: string;
  state: JobState;
}

/** What a job waits for and what waits for it (`show`). */
export interface JobDependencies {
  /** The jobs it was enqueued after; `met` once that one has completed. */
  dependencies: (JobLink & { met: boolean })[];
  /** The jobs enqueued after it (the first DEPENDENTS_SHOWN), and how many there are. */
  dependents: JobLink[];
  dependentsTotal: number;
}

export function emptyCounts(): StateCounts {
  return { pending: 0, processing: 0, completed: 0, failed: 0, dead: 0, cancelled: 0 };
}

export function isJobState(value: string): value is JobState {
  return (JOB_STATES as readonly string[]).includes(value);
}
