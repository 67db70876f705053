/**
 * The storage contract. Every store (SQLite, PostgreSQL) implements it and passes the same
 * contract suite (test/store/job-store.contract.ts). It says nothing of SQL or drivers.
 *
 * Time: the store reads its own clock (an injected one for SQLite, the database server's for
 * PostgreSQL) for every timestamp it writes and every "is it due / expired" comparison, so hosts
 * with skewed clocks agree. Callers pass durations, never absolute times, except `run_at`.
 *
 * Decisions live in code, not here: the worker decides retry vs dead (core/backoff.ts) and the
 * store only records what it is told, conditionally on the caller still holding the job.
 */
import type {
  Attempt,
  FinishedState,
  Job,
  JobChanges,
  JobEnvironment,
  JobState,
  NewJob,
  Outcome,
  StateCounts,
  WorkerInfo,
} from '../core/job.js';
import type { PendingHook } from '../core/hooks.js';
import type { NewSchedule, ScheduleAdvance, StoredSchedule } from '../core/schedule.js';

/**
 * Identifies one run of one job by one worker; every settle is conditional on it. `run` is the
 * job's run number, which (unlike `attempts`) is never reset, so it names this run uniquely.
 */
export interface Lease {
  jobId: string;
  workerId: string;
  run: number;
}

export interface RunRecord {
  outcome: Outcome;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
}

/** What happens to a job after a run: chosen by the caller. */
export type NextState =
  | { state: 'completed' }
  | { state: 'failed'; delayMs: number }
  | { state: 'dead' }
  | { state: 'pending' }
  | { state: 'cancelled' };

export interface HeldJob {
  jobId: string;
  run: number;
  workerId: string;
  /** From the attempt record: where and by which process the job is held. */
  host: string;
  pid: number;
  /** The worker's process start time, when its row still exists. */
  pidStart: string | null;
  /** The job's process group, once the worker has reported it. */
  jobPid: number | null;
  leaseExpired: boolean;
  attempts: number;
  maxRetries: number;
  /** A user cancelled the job while it was held. */
  cancelRequested: boolean;
}

/** A claimed job and the lease its holder must present to settle it. */
export interface ClaimedJob {
  job: Job;
  lease: Lease;
  /** The environment recorded for the job (with its values), or null. */
  env: JobEnvironment | null;
}

/** Who claims, and for how long the lease runs before heartbeats must renew it. */
export interface ClaimParams {
  workerId: string;
  leaseMs: number;
}

/** A run's end, under the lease it was claimed with, and the job's next state. */
export interface SettleParams {
  lease: Lease;
  run: RunRecord;
  next: NextState;
  /**
   * The next state instead, when the job's cancel was requested by the time the settle commits
   * (core/transitions.ts settleDecision). Absent: `next` either way.
   */
  ifCancelRequested?: NextState;
}

export interface SettleAndClaimParams {
  settle: SettleParams;
  claim: ClaimParams;
}

export interface SettledAndClaimed {
  settled: boolean;
  /** The state the settle recorded (`next`, or `ifCancelRequested`); null when refused. */
  state: JobState | null;
  claimed: ClaimedJob | null;
}

export interface Heartbeat {
  known: boolean;
  stopRequested: boolean;
  leaseHeld: boolean;
  cancelRequested: boolean;
}

/** A deleted job: its id and how many runs it had (runs 1..runs may have output files). */
export interface RemovedJob {
  id: string;
  runs: number;
}

/** A cancelled job; `stopping`: it was running and its holder is ending the run. */
export interface CancelledJob {
  job: Job;
  stopping: boolean;
}

export interface JobListParams {
  state?: JobState;
  limit: number;
  /** Keyset paging: only jobs enqueued before the job with this id (newest first). */
  before?: string;
  /** Case-insensitive substring of the id or command. */
  search?: string;
}

export interface StatsParams {
  /** Window length in milliseconds, ending now. */
  sinceMs: number;
}

export interface Stats {
  windowMs: number;
  completed: number;
  failed: number;
  dead: number;
  retried: number;
  durationMs: { min: number; avg: number; p50: number; p95: number; max: number } | null;
  /** Age of the oldest job that is due to run and not running. */
  oldestWaitingMs: number | null;
  counts: StateCounts;
  /** Finished runs per minute over the window, oldest first (for charts). */
  perMinute: { minute: number; completed: number; failed: number }[];
}

/** Every finished run still stored, for counters and a duration histogram (/metrics). */
export interface RunTotals {
  /** Finished runs, and the sum of their durations. */
  count: number;
  sumMs: number;
  /** Runs whose outcome was `completed`, and those that failed (failed, timed out, not spawned, lost). */
  completed: number;
  failed: number;
  /** Runs whose duration is at most `leMs`, for each bound asked for (cumulative). */
  buckets: { leMs: number; count: number }[];
}

export interface JobStore {
  readonly kind: 'sqlite' | 'postgres';
  /** A file path or a URL with any password removed; shown by `status`. */
  readonly location: string;

  close(): Promise<void>;
  /** The store's notion of now (the database server's clock for PostgreSQL). */
  now(): Promise<number>;
  /**
   * Calls `onChange` soon after any process commits a change (SQLite: the WAL file changes;
   * PostgreSQL: LISTEN/NOTIFY). Wake-ups may be spurious or, rarely, missed: callers still poll
   * slowly. Returns a function that stops the subscription.
   */
  subscribe(onChange: () => void): () => void;

  /**
   * Stores batches of new jobs all-or-nothing: a duplicate id (already stored or earlier in the
   * same call) throws DuplicateJobError with its 0-based position and stores nothing.
   * Once it resolves, the jobs are durably committed.
   */
  jobInsertMany(batches: AsyncIterable<NewJob[]> | Iterable<NewJob[]>): Promise<number>;
  jobGet(id: string): Promise<Job | null>;
  jobList(params: JobListParams): Promise<Job[]>;
  jobCountByState(): Promise<StateCounts>;
  /**
   * Atomically takes the best runnable job (pending or failed, due, highest priority, oldest),
   * marks it processing for this worker with a lease, and opens its attempt record.
   */
  jobClaim(params: ClaimParams): Promise<ClaimedJob | null>;
  /**
   * Milliseconds until the earliest waiting job (pending or failed) that is not due yet becomes
   * due, or null when none waits: an idle worker sleeps until then instead of a whole poll.
   */
  jobNextDueIn(): Promise<number | null>;
  /**
   * Records a run's end and the next state; returns the state recorded (`next`, or
   * `ifCancelRequested` when the job's cancel was requested by then), or null (and no change)
   * if the lease was lost.
   */
  jobSettle(params: SettleParams): Promise<JobState | null>;
  /**
   * jobSettle, then jobClaim for the same worker, in one step: how a busy worker goes from one
   * job to the next (SQLite: one transaction and one commit instead of two). The claim happens
   * whether or not the settle was refused; if it fails, `claimed` is null and the settle stands.
   */
  jobSettleAndClaim(params: SettleAndClaimParams): Promise<SettledAndClaimed>;
  /** Jobs in `processing`, with what is needed to tell whether their holder is alive. */
  jobListHeld(): Promise<HeldJob[]>;
  /**
   * Moves dead jobs back to pending with attempts reset, all or nothing in one transaction:
   * NotFoundError or ConflictError naming the first id that is missing or not dead, and no change.
   * Returns the jobs in the order of `ids` (which must not repeat).
   */
  jobRetryDead(params: { ids: string[] }): Promise<Job[]>;
  /**
   * Removes jobs that are not running, with their history (attempt records; an environment no
   * other job uses), all or nothing in one transaction: NotFoundError for an unknown id,
   * ConflictError for one that runs or, when `onlyIf` is given, is in another state; and no
   * change. Returns each job's id and run count, in the order of `ids` (which must not repeat),
   * so that the caller can remove the runs' output files.
   */
  jobDelete(params: { ids: string[]; onlyIf?: JobState }): Promise<RemovedJob[]>;
  /**
   * Cancels jobs, all or nothing in one transaction (NotFoundError / ConflictError naming the
   * first id that is unknown or finished, and no change): a pending or failed job becomes
   * `cancelled` at once; a processing one is marked cancel_requested (`stopping: true`) and its
   * holder ends the run (a second cancel of it says `stopping: true` again). Wakes workers.
   * Returns the jobs in the order of `ids` (which must not repeat).
   */
  jobCancel(params: { ids: string[] }): Promise<CancelledJob[]>;
  /**
   * Moves finished jobs (completed, dead, cancelled) back to pending with attempts reset, all or
   * nothing in one transaction (errors as jobCancel). Their history stays: the next run is
   * numbered after the last. Returns the jobs in the order of `ids` (which must not repeat).
   */
  jobRestart(params: { ids: string[] }): Promise<Job[]>;
  /**
   * jobRestart for every job in a finished state, in transactions of a bounded number of jobs
   * (not all or nothing as a whole); jobs that enter the state meanwhile may be left. Returns
   * how many were moved.
   */
  jobRestartState(params: { state: FinishedState }): Promise<number>;
  /**
   * Changes a job that waits to run (pending, or failed waiting for a retry); NotFoundError, or
   * ConflictError naming its state, and no change otherwise. `changes` are validated by the caller.
   */
  jobUpdate(params: { id: string; changes: JobChanges }): Promise<Job>;
  /** The environment recorded for a job (with its values), or null; NotFoundError for no such job. */
  jobEnvironment(params: { id: string }): Promise<JobEnvironment | null>;
  /** Whether the job held under `lease` has been cancelled (false once the lease is lost). */
  jobCancelRequested(params: { lease: Lease }): Promise<boolean>;
  attemptList(params: { jobId: string }): Promise<Attempt[]>;

  workerRegister(params: {
    id: string;
    host: string;
    pid: number;
    pidStart: string | null;
  }): Promise<void>;
  /**
   * Records that the worker is alive (and which job it runs, and that job's process id) and renews
   * the lease of that job. Returns whether the worker is still registered (a rescuer may have
   * removed it), whether a stop was requested, whether the lease is still held, and whether its
   * job has been cancelled.
   */
  workerHeartbeat(params: {
    workerId: string;
    lease: Lease | null;
    leaseMs: number;
    jobPid: number | null;
  }): Promise<Heartbeat>;
  workerDeregister(params: { workerId: string }): Promise<void>;
  /** Every registered worker; `stale` when no heartbeat came for `staleAfterMs`. */
  workerList(params: { staleAfterMs: number }): Promise<(WorkerInfo & { stale: boolean })[]>;
  /** Asks workers (all, or one host's) to stop; returns the ones asked. */
  workerRequestStop(params: { host?: string }): Promise<WorkerInfo[]>;

  configGetAll(): Promise<Record<string, string>>;
  configSet(params: { key: string; value: string }): Promise<void>;

  stats(params: StatsParams): Promise<Stats>;
  /** Totals over every finished run still stored; durations counted against ascending bounds. */
  attemptTotals(params: { bucketsMs: number[] }): Promise<RunTotals>;

  // ---- Issue 15: the maintenance leader, retention, schedules, hooks ----

  /**
   * Takes or renews the lease named `name` for `holder`: granted when nobody holds it, its
   * holder's lease has run out (store time), or `holder` holds it already; renewed until now +
   * ttlMs. At any store time at most one holder has an unexpired lease. Returns whether it is
   * held and the lease as it now stands.
   */
  leaderAcquire(params: {
    name: string;
    holder: string;
    host: string;
    ttlMs: number;
  }): Promise<{ held: boolean; leader: LeaderInfo | null }>;
  /** Ends `holder`'s lease now (a graceful stop), so that another may take it at once. */
  leaderRelease(params: { name: string; holder: string }): Promise<void>;
  leaderGet(params: { name: string }): Promise<LeaderInfo | null>;

  /**
   * Finished jobs in `state` that finished at least `olderThanMs` ago, oldest finish first,
   * after `after` (keyset); for `clean --dry-run`. Changes nothing.
   */
  jobListExpired(params: ExpiredParams & { after: ExpiredCursor | null }): Promise<ExpiredPage>;
  /**
   * Deletes up to `limit` such jobs (oldest finish first) with their attempts, in one short
   * transaction; returns them, so that the caller removes their output files.
   */
  jobPurgeExpired(params: ExpiredParams): Promise<RemovedJob[]>;
  /** Gives freed space back to the file system, a bounded step at a time; returns pages freed. */
  storeCompact(): Promise<number>;

  /** Stores a new schedule; ConflictError when one has that name. */
  scheduleInsert(schedule: NewSchedule): Promise<void>;
  /** Every schedule, by name, with its environment (values: secrets) and its last job's state. */
  scheduleList(): Promise<StoredSchedule[]>;
  /** Whether a schedule of that name was there to delete. */
  scheduleDelete(params: { name: string }): Promise<boolean>;
  /** Pauses or resumes; `nextAt` (when given) becomes its next slot. False: no such schedule. */
  scheduleSetPaused(params: {
    name: string;
    paused: boolean;
    nextAt?: number | null;
  }): Promise<boolean>;
  /**
   * Moves a schedule from slot `from` to `to` if its next slot is still `from` and it is not
   * paused (compare and set: of two leaders, one moves it), and in the same transaction inserts
   * the slot's job unless a job with its id exists (insert or ignore). Returns whether it moved.
   */
  scheduleAdvance(params: ScheduleAdvance): Promise<boolean>;

  /** Removes a stored key (hooks are stored as config keys `hook:on-…`). */
  configDelete(params: { key: string }): Promise<boolean>;
  /** Takes (and removes) up to `limit` hooks of jobs settled by a command, oldest first. */
  hookOutboxTake(params: { limit: number }): Promise<PendingHook[]>;
}

// ---- Issue 15 ----

/** Who leads a duty group, as the store holds it. */
export interface LeaderInfo {
  name: string;
  holder: string;
  host: string;
  /** Grows with every change of holder. */
  term: number;
  /** When this holder took the lease. */
  since_at: number;
  expires_at: number;
  /** Its lease has run out (store time): anyone may take it. */
  expired: boolean;
}

export interface ExpiredParams {
  state: FinishedState;
  olderThanMs: number;
  limit: number;
}

/** Where a page of expired jobs ended. */
export interface ExpiredCursor {
  finishedAt: number;
  seq: number;
}

export interface ExpiredPage {
  jobs: RemovedJob[];
  /** The cursor for the next page; null when this was the last. */
  next: ExpiredCursor | null;
}
