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
  JobDependencies,
  JobEnvironment,
  JobState,
  NewJob,
  Outcome,
  QueueInfo,
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
  /** Only jobs of these queues (`worker start --queue a,b`); absent: every queue. */
  queues?: string[];
}

/** The queues a worker serves (absent: all). */
export interface ServedQueues {
  queues?: string[];
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
  /** `limit`: claim up to this many (default 1), as jobClaimMany would. */
  claim: ClaimParams & { limit?: number };
}

export interface SettledAndClaimed {
  settled: boolean;
  /** The state the settle recorded (`next`, or `ifCancelRequested`); null when refused. */
  state: JobState | null;
  /** The first job claimed, or null. */
  claimed: ClaimedJob | null;
  /** The other jobs claimed, when the claim's limit was more than 1. */
  more: ClaimedJob[];
}

export interface Heartbeat {
  known: boolean;
  stopRequested: boolean;
  leaseHeld: boolean;
  cancelRequested: boolean;
}

/**
 * A registered worker as listed: `stale` when no heartbeat came for the time asked; `running`,
 * how many jobs it holds now (`current_job` names one of them).
 */
export type ListedWorker = WorkerInfo & { stale: boolean; running: number };

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
  /** Only jobs of this queue. */
  queue?: string;
  limit: number;
  /** Keyset paging: only jobs enqueued before the job with this id (newest first). */
  before?: string;
  /** Case-insensitive substring of the id or command. */
  search?: string;
}

export interface StatsParams {
  /** Window length in milliseconds, ending now. */
  sinceMs: number;
  /** Only runs and jobs of this queue. */
  queue?: string;
}

export interface Stats {
  windowMs: number;
  completed: number;
  failed: number;
  /** Jobs that ended dead, and jobs cancelled (by a user or for a dependency), in the window. */
  dead: number;
  cancelled: number;
  retried: number;
  durationMs: { min: number; avg: number; p50: number; p95: number; max: number } | null;
  /** Age of the oldest job that is due to run and not running. */
  oldestWaitingMs: number | null;
  counts: StateCounts;
  /** Finished runs per minute over the window, oldest first (for charts). */
  perMinute: { minute: number; completed: number; failed: number }[];
}

/** A job not stored because a live job holds its unique key. */
export interface SkippedJob {
  /** Its 0-based place in the batch. */
  position: number;
  /** The id it was given (or generated). */
  id: string;
  uniqueKey: string;
  /** The job holding the key, whose id enqueue prints instead. */
  existingId: string;
}

/** What jobInsertMany stored, and what it skipped (how many, and the first SKIPPED_KEPT). */
export interface InsertResult {
  stored: number;
  skipped: number;
  skippedJobs: SkippedJob[];
}

/** How many skipped jobs jobInsertMany reports one by one. */
export const SKIPPED_KEPT = 10_000;

/** How many dependents jobDependencies lists. */
export const DEPENDENTS_SHOWN = 100;

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
   * same call) throws DuplicateJobError with its 0-based position and stores nothing; so does a
   * dependency (`after`) on a job that is neither stored nor earlier in the same call
   * (DependencyError). A job whose unique key a pending, failed or processing job holds (also one
   * earlier in the call) is skipped, atomically under concurrent calls (a unique index); a
   * dependency on a skipped job means the job holding its key. The queues named are created.
   * A job enqueued after one that has already ended dead or cancelled is stored cancelled
   * (transitions.ts dependentsAfter). Once it resolves, the jobs are durably committed.
   */
  jobInsertMany(batches: AsyncIterable<NewJob[]> | Iterable<NewJob[]>): Promise<InsertResult>;
  jobGet(id: string): Promise<Job | null>;
  jobList(params: JobListParams): Promise<Job[]>;
  /** Jobs per state, of every queue or of one. */
  jobCountByState(params?: { queue?: string }): Promise<StateCounts>;
  /**
   * Atomically takes the best runnable job (highest priority, then oldest) of the queues served,
   * marks it processing for this worker with a lease, and opens its attempt record. Runnable
   * (one definition per store): pending or failed, due, every dependency completed, its queue
   * not paused and under its concurrency limit. The limit holds exactly across concurrent
   * claims, and no claim that commits after a pause takes a job of the paused queue.
   */
  jobClaim(params: ClaimParams): Promise<ClaimedJob | null>;
  /**
   * Up to `limit` jobs for the same worker in one transaction (one commit, one round trip), each
   * as jobClaim would take it, in the order jobClaim would take them: a worker with that many
   * free slots (`worker start --concurrency`). Fewer, or none, when fewer are runnable.
   */
  jobClaimMany(params: ClaimParams & { limit: number }): Promise<ClaimedJob[]>;
  /**
   * Milliseconds until the earliest job that would be runnable but is not due yet becomes due
   * (jobs of paused queues and jobs waiting for dependencies do not count), or null when none:
   * an idle worker sleeps until then instead of a whole poll.
   */
  jobNextDueIn(params?: ServedQueues): Promise<number | null>;
  /**
   * Whether a draining worker should go on (`worker start --drain`): a job of the queues served
   * runs, or waits in a queue that is not paused with its dependencies met (due now or later),
   * or waits for dependencies while some job anywhere runs or could run. Jobs of paused queues,
   * and jobs waiting for dependencies that nothing can complete, do not keep it.
   */
  jobLeftToRun(params?: ServedQueues): Promise<boolean>;
  /** The jobs a job depends on and its dependents; NotFoundError for no such job. */
  jobDependencies(params: { id: string }): Promise<JobDependencies>;
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
   * other job uses; their dependency links), all or nothing in one transaction: NotFoundError for
   * an unknown id, ConflictError for one that runs, one that unfinished jobs (not removed with
   * it) still wait for, or, when `onlyIf` is given, one in another state; and no change. Returns each job's id and run count, in the order of `ids` (which must not repeat),
   * so that the caller can remove the runs' output files.
   */
  jobDelete(params: { ids: string[]; onlyIf?: JobState }): Promise<RemovedJob[]>;
  /**
   * Cancels jobs, all or nothing in one transaction (NotFoundError / ConflictError naming the
   * first id that is unknown or finished, and no change): a pending or failed job becomes
   * `cancelled` at once; a processing one is marked cancel_requested (`stopping: true`) and its
   * holder ends the run (a second cancel of it says `stopping: true` again). Jobs waiting for a
   * job cancelled at once are cancelled with it (dependentsAfter). Wakes workers.
   * Returns the jobs in the order of `ids` (which must not repeat).
   */
  jobCancel(params: { ids: string[] }): Promise<CancelledJob[]>;
  /**
   * Moves finished jobs (completed, dead, cancelled) back to pending with attempts reset, all or
   * nothing in one transaction (errors as jobCancel; ConflictError for a unique key another live
   * job holds). Their history stays: the next run is numbered after the last. A job that waits
   * for a dependency that is dead or cancelled is cancelled again at once. Returns the jobs in
   * the order of `ids` (which must not repeat).
   */
  jobRestart(params: { ids: string[] }): Promise<Job[]>;
  /**
   * jobRestart for every job in a finished state, in transactions of a bounded number of jobs
   * (not all or nothing as a whole); jobs that enter the state meanwhile may be left, and so are
   * jobs whose unique key a live job holds. Returns how many were moved.
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
  /**
   * jobCancelRequested for several leases in one step (a worker running many jobs): the ids of
   * those jobs, still held under their lease, whose cancel was requested.
   */
  jobListCancelRequested(params: { leases: Lease[] }): Promise<string[]>;
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
  workerList(params: { staleAfterMs: number }): Promise<ListedWorker[]>;
  /** Asks workers (all, or one host's) to stop; returns the ones asked. */
  workerRequestStop(params: { host?: string }): Promise<WorkerInfo[]>;

  /**
   * Every queue (created by enqueue, `queue set` or `pause`), by name, with its counts per state
   * and lag; `counted`: also its runnable and blocked jobs (a pass over its waiting jobs).
   */
  queueList(params?: { counted?: boolean }): Promise<QueueInfo[]>;
  /**
   * Sets (or, with null, removes) a queue's concurrency limit, creating the queue if needed;
   * it holds from the next claim on. Wakes workers.
   */
  queueSetConcurrency(params: { name: string; concurrency: number | null }): Promise<QueueInfo>;
  /**
   * Pauses or resumes queues, all or nothing (NotFoundError for an unknown one when resuming;
   * pausing creates it); `names` absent: every queue. Once it returns no claim takes a job of a
   * paused queue; a resume wakes every worker. Returns the queues, by name.
   */
  queuePause(params: { names?: string[]; paused: boolean }): Promise<QueueInfo[]>;

  configGetAll(): Promise<Record<string, string>>;
  configSet(params: { key: string; value: string }): Promise<void>;

  stats(params: StatsParams): Promise<Stats>;
  /**
   * Totals over every finished run still stored, per queue (by name); durations counted against
   * ascending bounds.
   */
  attemptTotals(params: { bucketsMs: number[] }): Promise<(RunTotals & { queue: string })[]>;

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
  /**
   * Folds the job counts' recent changes into their totals (PostgreSQL keeps counts as changes
   * appended by every write, so that writers never wait on one counter row; SQLite counts the
   * jobs themselves and has nothing to fold). Returns the changes folded.
   */
  jobCountsFold(): Promise<number>;

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
  /** Only this queue's jobs (`clean --queue`); every queue when absent. */
  queue?: string;
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
