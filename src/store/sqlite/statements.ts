/** Every hot SQLite statement, prepared once per connection (exported for bench/: query plans). */
import type Database from 'better-sqlite3';
import type { StatementSet } from '../statement-names.js';

const HELD = `state = 'processing' AND id = :job AND worker_id = :worker AND runs = :run`;

/**
 * "Runnable", the one definition this store has, in three parts that the claim, the next
 * wake-up, the drain check, the counts and the queue lag all use:
 * - READY (the job): waiting (pending, or failed until its retry) with every dependency
 *   completed. Exactly the jobs in the indexes jobs_ready and jobs_due, per queue.
 * - DUE (the job): its run_at has come.
 * - OPEN (its queue, `q`): not paused, and fewer of its jobs processing than its limit.
 * A job is runnable when it is READY and DUE in an OPEN queue. SERVED narrows the queues to the
 * ones a worker was started for (`:queues`, a JSON array, or null for all).
 */
export const READY = `state IN ('pending', 'failed') AND waiting_on = 0`;
export const DUE = 'run_at <= :now';
export const OPEN = `q.paused = 0 AND (q.concurrency IS NULL OR q.processing < q.concurrency)`;
export const SERVED = `(:queues IS NULL OR q.name IN (SELECT value FROM json_each(:queues)))`;
/** Waiting for dependencies (the index jobs_blocked). */
const BLOCKED = `state IN ('pending', 'failed') AND waiting_on > 0`;
const LIVE = `state IN ('pending', 'failed', 'processing')`;

/**
 * The seq of the best runnable job: each open queue's first ready, due job in jobs_ready order
 * (priority, then the time it became due, then seq: the index walk stops at it), and the best of
 * those heads. A queue costs one index probe however many jobs it holds, so the claim stays
 * flat as jobs pile up; jobs not yet due are passed over only where their priority is higher
 * than every due job's.
 */
const BEST_RUNNABLE = `SELECT j.seq FROM queues q
      JOIN jobs j ON j.seq = (SELECT seq FROM jobs INDEXED BY jobs_ready
          WHERE queue = q.name AND ${READY} AND ${DUE} ORDER BY priority DESC, run_at, seq LIMIT 1)
      WHERE ${OPEN} AND ${SERVED} AND q.pending + q.failed > 0
      ORDER BY j.priority DESC, j.run_at, j.seq LIMIT 1`;

/** The earliest run_at of a queue's ready jobs matching `when` (jobs_due). */
const earliestReady = (when: string) =>
  `(SELECT min(run_at) FROM jobs INDEXED BY jobs_due WHERE queue = q.name AND ${READY} AND ${when})`;

/** A job with the names of its environment's variables and the dependencies it waits for. */
const JOB_COLUMNS = `j.*, e.names AS env_names,
      CASE WHEN j.waiting_on > 0 THEN (SELECT json_group_array(depends_on) FROM job_deps
        WHERE job_id = j.id AND met = 0) END AS waiting_for`;
const JOB_FROM = `FROM jobs j LEFT JOIN environments e ON e.id = j.env_id`;
const SEARCH = `(:search IS NULL OR j.id LIKE :search ESCAPE '\\' OR j.command LIKE :search ESCAPE '\\')`;

const COUNTS = 'pending, processing, completed, failed, dead, cancelled';

/** Statements only this store has: one row at a time where PostgreSQL takes arrays. */
type SqliteOnly =
  | 'insertJob'
  | 'getEnvironment'
  | 'dropUnusedEnvironment'
  | 'getState'
  | 'listJobsInState'
  | 'listJobsInQueue'
  | 'listJobsInQueueAndState'
  | 'openAttempt'
  | 'closeAttempt'
  | 'renewLease'
  | 'setJobPid'
  | 'releaseDependents'
  | 'markMet'
  | 'anyWaiting'
  | 'unmetDependencies'
  | 'restartJob'
  | 'restartBatchEnd'
  | 'restartRange'
  | 'deleteJob'
  | 'setPausedAll'
  | 'getQueue'
  | 'queueCancelHook';

export const SQL = {
  insertJob: `INSERT INTO jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at, cwd, env_id, queue, unique_key)
      VALUES (:id, :command, 'pending', :priority, :max_retries, :timeout_seconds, :run_at, :now, :now, :cwd, :env_id, :queue, :unique_key)
      ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND ${LIVE} DO NOTHING`,
  /** Before jobs are stored: every queue they name (a JSON array) has its row and its counts. */
  ensureQueues: `INSERT INTO queues (name) SELECT DISTINCT value FROM json_each(?) WHERE true
      ON CONFLICT DO NOTHING`,
  findEnvironment: 'SELECT id FROM environments WHERE inherit = :inherit AND vars = :vars',
  insertEnvironment: `INSERT INTO environments (inherit, vars, names) VALUES (:inherit, :vars, :names)
      RETURNING id`,
  getEnvironment: 'SELECT inherit AS env_inherit, vars AS env_vars FROM environments WHERE id = ?',
  jobEnvironment: `SELECT j.state, e.inherit, e.vars FROM jobs j
      LEFT JOIN environments e ON e.id = j.env_id WHERE j.id = ?`,
  /** Removes an environment once no job uses it (jobs_env answers). */
  dropUnusedEnvironment: `DELETE FROM environments
      WHERE id = :id AND NOT EXISTS (SELECT 1 FROM jobs WHERE env_id = :id)`,
  /** The live job holding a unique key. */
  keyHolders: `SELECT id FROM jobs INDEXED BY jobs_unique_key
      WHERE unique_key = ? AND unique_key IS NOT NULL AND ${LIVE}`,
  /** A job named in `after`: where it stands in enqueue order, and its state. */
  dependencyTargets: 'SELECT seq, state FROM jobs WHERE id = ?',
  insertDependencies: 'INSERT INTO job_deps (job_id, depends_on, met) VALUES (:job, :on, :met)',
  setWaitingOn: 'UPDATE jobs SET waiting_on = :n WHERE id = :id',
  getJob: `SELECT ${JOB_COLUMNS} ${JOB_FROM} WHERE j.id = ?`,
  getState: 'SELECT state FROM jobs WHERE id = ?',
  getSeq: 'SELECT seq FROM jobs WHERE id = ?',
  listJobs: `SELECT ${JOB_COLUMNS} ${JOB_FROM}
      WHERE j.seq < :before AND ${SEARCH} ORDER BY j.seq DESC LIMIT :limit`,
  listJobsInState: `SELECT ${JOB_COLUMNS} ${JOB_FROM}
      WHERE j.state = :state AND j.seq < :before AND ${SEARCH} ORDER BY j.seq DESC LIMIT :limit`,
  listJobsInQueue: `SELECT ${JOB_COLUMNS} ${JOB_FROM}
      WHERE j.queue = :queue AND j.seq < :before AND ${SEARCH} ORDER BY j.seq DESC LIMIT :limit`,
  listJobsInQueueAndState: `SELECT ${JOB_COLUMNS} ${JOB_FROM}
      WHERE j.queue = :queue AND j.state = :state AND j.seq < :before AND ${SEARCH}
      ORDER BY j.seq DESC LIMIT :limit`,
  /** Kept by triggers in each queue's row: O(queues), at any number of jobs. */
  countJobs: `SELECT ${COUNTS.split(', ')
    .map((state) => `COALESCE(sum(${state}), 0) AS ${state}`)
    .join(', ')} FROM queues`,
  countJobsInQueue: `SELECT ${COUNTS} FROM queues WHERE name = ?`,
  /** By id: the links' own order (no sort, however many there are). */
  dependenciesOf: `SELECT d.depends_on AS id, j.state, d.met FROM job_deps d
      LEFT JOIN jobs j ON j.id = d.depends_on WHERE d.job_id = ? ORDER BY d.depends_on`,
  dependentsOf: `SELECT d.job_id AS id, j.state FROM job_deps d JOIN jobs j ON j.id = d.job_id
      WHERE d.depends_on = :id ORDER BY d.job_id LIMIT :limit`,
  countDependents: 'SELECT count(*) AS n FROM job_deps WHERE depends_on = ?',
  /** The best runnable job (see BEST_RUNNABLE), taken: one statement, one index probe a queue. */
  claimJob: `UPDATE jobs SET state = 'processing', attempts = attempts + 1, runs = runs + 1,
        worker_id = :worker, started_at = :now, finished_at = NULL, cancel_requested = 0,
        lease_expires_at = :now + :lease, updated_at = :now
      WHERE seq = (${BEST_RUNNABLE})
      RETURNING *`,
  /** Milliseconds until the first job that is runnable but for its time. */
  nextDueIn: `SELECT min(${earliestReady('run_at > :now')}) - :now AS ms
      FROM queues q WHERE ${OPEN} AND ${SERVED} AND q.pending + q.failed > 0`,
  /**
   * Whether a draining worker goes on: a job of its queues runs, or is ready in a queue that is
   * not paused (due now or later); or one waits for dependencies while something anywhere runs
   * or is ready in a queue that is not paused.
   */
  leftToRun: `SELECT EXISTS (SELECT 1 FROM queues q WHERE ${SERVED} AND (q.processing > 0
          OR (q.paused = 0 AND EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_due WHERE queue = q.name AND ${READY}))))
      OR (EXISTS (SELECT 1 FROM queues q WHERE ${SERVED} AND q.paused = 0
            AND EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_blocked WHERE queue = q.name AND ${BLOCKED}))
          AND EXISTS (SELECT 1 FROM queues q WHERE q.processing > 0
            OR (q.paused = 0 AND EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_due WHERE queue = q.name AND ${READY}))))
      AS left`,
  openAttempt: `INSERT INTO attempts (job_id, attempt, worker_id, host, pid, started_at, queue)
      SELECT :job, :run, id, host, pid, :now, :queue FROM workers WHERE id = :worker`,
  // The next state is :state, or :cancel_state when the job was cancelled meanwhile.
  settleJob: `UPDATE jobs SET
        state = CASE WHEN cancel_requested THEN :cancel_state ELSE :state END,
        run_at = COALESCE(CASE WHEN cancel_requested THEN :cancel_run_at ELSE :run_at END, run_at),
        finished_at = :now, last_error = COALESCE(:error, last_error), last_exit_code = :exit_code,
        worker_id = NULL, lease_expires_at = NULL, cancel_requested = 0, updated_at = :now
      WHERE ${HELD}
      RETURNING state`,
  closeAttempt: `UPDATE attempts SET finished_at = :now, exit_code = :exit_code, signal = :signal,
        outcome = :outcome, error = :error
      WHERE job_id = :job AND attempt = :run`,
  renewLease: `UPDATE jobs SET lease_expires_at = :until WHERE ${HELD} RETURNING cancel_requested`,
  cancelRequested: `SELECT cancel_requested FROM jobs WHERE ${HELD}`,
  setJobPid: `UPDATE attempts SET job_pid = :pid WHERE job_id = :job AND attempt = :run AND job_pid IS NULL`,
  listHeld: `SELECT j.id AS jobId, j.runs AS run, j.worker_id AS workerId, j.max_retries AS maxRetries, j.attempts AS attempts,
        j.cancel_requested AS cancelRequested, a.host AS host, a.pid AS pid, a.job_pid AS jobPid, w.pid_start AS pidStart,
        (j.lease_expires_at <= :now) AS leaseExpired
      FROM jobs j
      LEFT JOIN attempts a ON a.job_id = j.id AND a.attempt = j.runs
      LEFT JOIN workers w ON w.id = j.worker_id
      WHERE j.state = 'processing'`,
  /**
   * Jobs waiting for :id count one dependency less; one that waits for nothing more is due now
   * at the latest (its queue lag counts from here). Then markMet records the links as met.
   */
  releaseDependents: `UPDATE jobs SET waiting_on = waiting_on - 1,
        run_at = CASE WHEN waiting_on = 1 AND run_at < :now THEN :now ELSE run_at END
      WHERE id IN (SELECT job_id FROM job_deps WHERE depends_on = :id AND met = 0)`,
  markMet: 'UPDATE job_deps SET met = 1 WHERE depends_on = :id AND met = 0',
  /** Whether any job still waits for :id (most settled jobs have none: one probe, no writes). */
  anyWaiting: 'SELECT 1 AS yes FROM job_deps WHERE depends_on = ? AND met = 0 LIMIT 1',
  /** Cancels one job waiting for a dependency that ended dead or cancelled. */
  cancelDependents: `UPDATE jobs SET state = 'cancelled', finished_at = :now, updated_at = :now,
        last_error = :error
      WHERE id = :id AND state IN ('pending', 'failed')`,
  /** The dependencies :id still waits for, with their states. */
  unmetDependencies: `SELECT d.depends_on AS id, j.state FROM job_deps d
      JOIN jobs j ON j.id = d.depends_on WHERE d.job_id = ? AND d.met = 0`,
  /** Jobs still waiting for :id (pending or failed, or running), with their states. */
  waitingDependents: `SELECT d.job_id AS id, j.state FROM job_deps d JOIN jobs j ON j.id = d.job_id
      WHERE d.depends_on = ? AND d.met = 0 AND j.${LIVE}`,
  /** A removed job's links: its dependents count it no more, and the links go. */
  dropDependencyLinks: `DELETE FROM job_deps WHERE job_id = :id OR depends_on = :id`,
  retryDead: `UPDATE jobs SET state = 'pending', attempts = 0, run_at = :now, updated_at = :now,
        started_at = NULL, finished_at = NULL, cancel_requested = 0
      WHERE id = :id AND state = 'dead'`,
  cancelNow: `UPDATE jobs SET state = 'cancelled', finished_at = :now, last_error = 'cancelled',
        updated_at = :now
      WHERE id = :id AND state IN ('pending', 'failed')`,
  requestCancel: `UPDATE jobs SET cancel_requested = 1, updated_at = :now
      WHERE id = :id AND state = 'processing'`,
  restartJob: `UPDATE jobs SET state = 'pending', attempts = 0, run_at = :now, updated_at = :now,
        started_at = NULL, finished_at = NULL, cancel_requested = 0
      WHERE id = :id AND state IN ('completed', 'dead', 'cancelled')`,
  /** Another live job holding the unique key of job :id. */
  keyConflicts: `SELECT h.id, h.unique_key AS key FROM jobs r
      JOIN jobs h ON h.unique_key = r.unique_key AND h.${LIVE} AND h.id <> r.id
      WHERE r.id = ? AND r.unique_key IS NOT NULL`,
  /** The seq of the last job of the next batch of `limit` in a state, after seq :after. */
  restartBatchEnd: `SELECT max(seq) AS upto FROM (SELECT seq FROM jobs
        WHERE state = :state AND seq > :after AND seq <= :last ORDER BY seq LIMIT :limit)`,
  /** Jobs with a unique key are left to keyedInState: restarting one may meet a held key. */
  restartRange: `UPDATE jobs SET state = 'pending', attempts = 0, run_at = :now, updated_at = :now,
        started_at = NULL, finished_at = NULL, cancel_requested = 0
      WHERE state = :state AND seq > :after AND seq <= :upto AND unique_key IS NULL
      RETURNING id, waiting_on`,
  keyedInState: `SELECT id FROM jobs WHERE state = :state AND seq > :after AND seq <= :upto
      AND unique_key IS NOT NULL`,
  lastSeq: 'SELECT COALESCE(max(seq), 0) AS last FROM jobs',
  /** Each change applies when given (a null timeout needs :set_timeout). */
  updateJob: `UPDATE jobs SET priority = COALESCE(:priority, priority),
        run_at = COALESCE(:run_at, run_at), max_retries = COALESCE(:max_retries, max_retries),
        command = COALESCE(:command, command),
        timeout_seconds = CASE WHEN :set_timeout THEN :timeout_seconds ELSE timeout_seconds END,
        updated_at = :now
      WHERE id = :id AND state IN ('pending', 'failed')`,
  deleteJob: 'DELETE FROM jobs WHERE id = ? RETURNING runs, env_id',
  deleteAttempts: 'DELETE FROM attempts WHERE job_id = ?',
  listAttempts: `SELECT job_id, attempt, worker_id, host, pid, started_at, finished_at, exit_code,
        signal, outcome, error
      FROM attempts WHERE job_id = ? ORDER BY attempt`,
  /**
   * Every queue (or :name) with its counts and its lag; with :counted, its runnable and blocked
   * jobs too (a count over its ready jobs: left out otherwise, CASE does not evaluate them).
   */
  listQueues: `SELECT q.*,
        CASE WHEN NOT :counted THEN NULL WHEN ${OPEN} THEN (SELECT count(*) FROM jobs INDEXED BY jobs_due
          WHERE queue = q.name AND ${READY} AND ${DUE}) ELSE 0 END AS runnable,
        CASE WHEN :counted THEN (SELECT count(*) FROM jobs INDEXED BY jobs_blocked
          WHERE queue = q.name AND ${BLOCKED}) END AS blocked,
        CASE WHEN q.paused = 0 THEN :now - ${earliestReady(DUE)} END AS lag_ms
      FROM queues q WHERE :name IS NULL OR q.name = :name ORDER BY q.name`,
  getQueue: 'SELECT name FROM queues WHERE name = ?',
  setConcurrency: `INSERT INTO queues (name, concurrency) VALUES (:name, :concurrency)
      ON CONFLICT (name) DO UPDATE SET concurrency = :concurrency`,
  setPaused: 'UPDATE queues SET paused = :paused WHERE name = :name',
  setPausedAll: 'UPDATE queues SET paused = :paused RETURNING name',
  registerWorker: `INSERT OR REPLACE INTO workers (id, host, pid, pid_start, started_at, heartbeat_at)
      VALUES (:id, :host, :pid, :pidStart, :now, :now)`,
  heartbeat: `UPDATE workers SET heartbeat_at = :now, current_job = :job WHERE id = :id
      RETURNING stop_requested`,
  deregisterWorker: 'DELETE FROM workers WHERE id = ?',
  listWorkers: `SELECT w.*, (w.heartbeat_at < :now - :stale) AS stale,
        (SELECT count(*) FROM jobs j WHERE j.state = 'processing' AND j.worker_id = w.id) AS running
      FROM workers w ORDER BY w.host, w.started_at`,
  requestStop: `UPDATE workers SET stop_requested = 1 WHERE :host IS NULL OR host = :host RETURNING *`,
  configAll: 'SELECT key, value FROM config ORDER BY key',
  configSet:
    'INSERT INTO config (key, value) VALUES (:key, :value) ON CONFLICT (key) DO UPDATE SET value = :value',

  // ---- Issue 15: the maintenance leader, retention, schedules, hooks ----
  /** Granted when free, run out, or already this holder's; term grows on a change of holder. */
  leaderAcquire: `INSERT INTO leaders (name, holder, host, term, since, expires_at)
      VALUES (:name, :holder, :host, 1, :now, :now + :ttl)
      ON CONFLICT (name) DO UPDATE SET
        term = CASE WHEN leaders.holder = :holder THEN leaders.term ELSE leaders.term + 1 END,
        since = CASE WHEN leaders.holder = :holder THEN leaders.since ELSE :now END,
        holder = :holder, host = :host, expires_at = :now + :ttl
      WHERE leaders.holder = :holder OR leaders.expires_at <= :now`,
  leaderGet: `SELECT name, holder, host, term, since, expires_at, (expires_at <= :now) AS expired
      FROM leaders WHERE name = :name`,
  leaderRelease: `UPDATE leaders SET expires_at = :now
      WHERE name = :name AND holder = :holder AND expires_at > :now`,
  // The IN list repeats jobs_finished's condition so that SQLite may use that partial index.
  listExpired: `SELECT seq, id, runs, finished_at FROM jobs
      WHERE state IN ('completed', 'dead', 'cancelled') AND state = :state
        AND finished_at <= :cutoff AND (finished_at, seq) > (:after_at, :after_seq)
        AND (:queue IS NULL OR queue = :queue)
      ORDER BY finished_at, seq LIMIT :limit`,
  purgeExpired: `DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs
        WHERE state IN ('completed', 'dead', 'cancelled') AND state = :state
          AND finished_at <= :cutoff AND (:queue IS NULL OR queue = :queue)
        ORDER BY finished_at, seq LIMIT :limit)
      RETURNING id, runs, env_id`,
  insertSchedule: `INSERT INTO schedules (name, cron, timezone, every_ms, command, priority,
        max_retries, timeout_seconds, cwd, env_inherit, env_vars, env_names, overlap, catch_up,
        anchor_at, created_at, updated_at, next_at, queue)
      VALUES (:name, :cron, :timezone, :every_ms, :command, :priority, :max_retries,
        :timeout_seconds, :cwd, :env_inherit, :env_vars, :env_names, :overlap, :catch_up,
        :anchor_at, :now, :now, :next_at, :queue)
      ON CONFLICT (name) DO NOTHING`,
  listSchedules: `SELECT s.*, j.state AS last_job_state FROM schedules s
      LEFT JOIN jobs j ON j.id = s.last_job_id ORDER BY s.name`,
  deleteSchedule: 'DELETE FROM schedules WHERE name = ?',
  pauseSchedule: `UPDATE schedules SET paused = :paused, next_at = CASE WHEN :set_next THEN :next_at ELSE next_at END,
        updated_at = :now
      WHERE name = :name`,
  /** Compare and set: only from the slot that was read, and only while not paused. */
  advanceSchedule: `UPDATE schedules SET next_at = :to,
        last_slot_at = COALESCE(:slot, last_slot_at), last_job_id = COALESCE(:job, last_job_id),
        fired = fired + :fired, skipped = skipped + :skipped, missed = missed + :missed,
        updated_at = :now
      WHERE name = :name AND next_at = :from AND paused = 0`,
  /** A slot's job: inserted, or nothing when its id exists (the slot fired already). */
  insertSlotJob: `INSERT INTO jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at, cwd, env_id, queue)
      VALUES (:id, :command, 'pending', :priority, :max_retries, :timeout_seconds, :now, :now, :now, :cwd, :env_id, :queue)
      ON CONFLICT (id) DO NOTHING`,
  configDelete: 'DELETE FROM config WHERE key = ?',
  /** Only when an on-cancelled hook is set: otherwise nobody would take the row. */
  queueCancelHook: `INSERT INTO pending_hooks (job_id, state, attempt, exit_code, command, queue, created_at)
      SELECT id, 'cancelled', runs, last_exit_code, command, queue, :now FROM jobs
      WHERE id = :id AND EXISTS (SELECT 1 FROM config WHERE key = 'hook:on-cancelled')`,
  takeHooks: `DELETE FROM pending_hooks WHERE seq IN (SELECT seq FROM pending_hooks ORDER BY seq LIMIT :limit)
      RETURNING job_id, state, attempt, exit_code, command, queue, created_at`,
} as const satisfies StatementSet<SqliteOnly>;

export type Statements = Record<keyof typeof SQL, Database.Statement>;

/**
 * Each statement is prepared on its first use and kept: a command uses a few of them, and
 * preparing all ~60 costs about a millisecond of every start.
 */
export function prepareStatements(db: Database.Database): Statements {
  const statements = {} as Statements;
  for (const [name, sql] of Object.entries(SQL)) {
    Object.defineProperty(statements, name, {
      configurable: true,
      enumerable: true,
      get() {
        const statement = db.prepare(sql);
        Object.defineProperty(statements, name, { value: statement, enumerable: true });
        return statement;
      },
    });
  }
  return statements;
}
