/** Every hot SQLite statement, prepared once per connection (exported for bench/: query plans). */
import type Database from 'better-sqlite3';

const HELD = `state = 'processing' AND id = :job AND worker_id = :worker AND runs = :run`;

export const SQL = {
  insertJob: `INSERT INTO jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at, cwd, env_id)
      VALUES (:id, :command, 'pending', :priority, :max_retries, :timeout_seconds, :run_at, :now, :now, :cwd, :env_id)`,
  findEnvironment: 'SELECT id FROM environments WHERE inherit = :inherit AND vars = :vars',
  insertEnvironment: `INSERT INTO environments (inherit, vars, names) VALUES (:inherit, :vars, :names)
      RETURNING id`,
  getEnvironment: 'SELECT inherit AS env_inherit, vars AS env_vars FROM environments WHERE id = ?',
  jobEnvironment: `SELECT j.state, e.inherit, e.vars FROM jobs j
      LEFT JOIN environments e ON e.id = j.env_id WHERE j.id = ?`,
  /** Removes an environment once no job uses it (jobs_env answers). */
  dropUnusedEnvironment: `DELETE FROM environments
      WHERE id = :id AND NOT EXISTS (SELECT 1 FROM jobs WHERE env_id = :id)`,
  getJob: `SELECT j.*, e.names AS env_names FROM jobs j
      LEFT JOIN environments e ON e.id = j.env_id WHERE j.id = ?`,
  getState: 'SELECT state FROM jobs WHERE id = ?',
  getSeq: 'SELECT seq FROM jobs WHERE id = ?',
  listJobs: `SELECT j.*, e.names AS env_names FROM jobs j
      LEFT JOIN environments e ON e.id = j.env_id
      WHERE j.seq < :before
      AND (:search IS NULL OR j.id LIKE :search ESCAPE '\\' OR j.command LIKE :search ESCAPE '\\')
      ORDER BY j.seq DESC LIMIT :limit`,
  listJobsInState: `SELECT j.*, e.names AS env_names FROM jobs j
      LEFT JOIN environments e ON e.id = j.env_id
      WHERE j.state = :state AND j.seq < :before
      AND (:search IS NULL OR j.id LIKE :search ESCAPE '\\' OR j.command LIKE :search ESCAPE '\\')
      ORDER BY j.seq DESC LIMIT :limit`,
  countJobs: 'SELECT state, n FROM job_counts',
  nextDueIn: `SELECT MIN(run_at) - :now AS ms FROM jobs
      WHERE state IN ('pending', 'failed') AND run_at > :now`,
  // INDEXED BY: without it the planner prefers jobs_state_seq (an equality on state) and sorts
  // every ready job on each claim (15 ms per claim with 100,000 pending, see bench/). The
  // jobs_ready walk stops at the first due job in priority order.
  claimJob: `UPDATE jobs SET state = 'processing', attempts = attempts + 1, runs = runs + 1,
        worker_id = :worker, started_at = :now, finished_at = NULL, cancel_requested = 0,
        lease_expires_at = :now + :lease, updated_at = :now
      WHERE seq = (SELECT seq FROM jobs INDEXED BY jobs_ready
                   WHERE state IN ('pending', 'failed') AND run_at <= :now
                   ORDER BY priority DESC, seq LIMIT 1)
      RETURNING *`,
  openAttempt: `INSERT INTO attempts (job_id, attempt, worker_id, host, pid, started_at)
      SELECT :job, :run, id, host, pid, :now FROM workers WHERE id = :worker`,
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
  /** The seq of the last job of the next batch of `limit` in a state, after seq :after. */
  restartBatchEnd: `SELECT max(seq) AS upto FROM (SELECT seq FROM jobs
        WHERE state = :state AND seq > :after AND seq <= :last ORDER BY seq LIMIT :limit)`,
  restartRange: `UPDATE jobs SET state = 'pending', attempts = 0, run_at = :now, updated_at = :now,
        started_at = NULL, finished_at = NULL, cancel_requested = 0
      WHERE state = :state AND seq > :after AND seq <= :upto`,
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
  registerWorker: `INSERT OR REPLACE INTO workers (id, host, pid, pid_start, started_at, heartbeat_at)
      VALUES (:id, :host, :pid, :pidStart, :now, :now)`,
  heartbeat: `UPDATE workers SET heartbeat_at = :now, current_job = :job WHERE id = :id
      RETURNING stop_requested`,
  deregisterWorker: 'DELETE FROM workers WHERE id = ?',
  listWorkers: `SELECT *, (heartbeat_at < :now - :stale) AS stale FROM workers ORDER BY host, started_at`,
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
      ORDER BY finished_at, seq LIMIT :limit`,
  purgeExpired: `DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs
        WHERE state IN ('completed', 'dead', 'cancelled') AND state = :state
          AND finished_at <= :cutoff
        ORDER BY finished_at, seq LIMIT :limit)
      RETURNING id, runs, env_id`,
  insertSchedule: `INSERT INTO schedules (name, cron, timezone, every_ms, command, priority,
        max_retries, timeout_seconds, cwd, env_inherit, env_vars, env_names, overlap, catch_up,
        anchor_at, created_at, updated_at, next_at)
      VALUES (:name, :cron, :timezone, :every_ms, :command, :priority, :max_retries,
        :timeout_seconds, :cwd, :env_inherit, :env_vars, :env_names, :overlap, :catch_up,
        :anchor_at, :now, :now, :next_at)
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
  insertSlotJob: `INSERT INTO jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at, cwd, env_id)
      VALUES (:id, :command, 'pending', :priority, :max_retries, :timeout_seconds, :now, :now, :now, :cwd, :env_id)
      ON CONFLICT (id) DO NOTHING`,
  configDelete: 'DELETE FROM config WHERE key = ?',
  /** Only when an on-cancelled hook is set: otherwise nobody would take the row. */
  queueCancelHook: `INSERT INTO pending_hooks (job_id, state, attempt, exit_code, command, created_at)
      SELECT id, 'cancelled', runs, last_exit_code, command, :now FROM jobs
      WHERE id = :id AND EXISTS (SELECT 1 FROM config WHERE key = 'hook:on-cancelled')`,
  takeHooks: `DELETE FROM pending_hooks WHERE seq IN (SELECT seq FROM pending_hooks ORDER BY seq LIMIT :limit)
      RETURNING job_id, state, attempt, exit_code, command, created_at`,
} as const;

export type Statements = Record<keyof typeof SQL, Database.Statement>;

/**
 * Each statement is prepared on its first use and kept: a command uses a few of them, and
 * preparing all ~40 costs half a millisecond of every start.
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
