/**
 * The PostgreSQL store's SQL, under the same names as the SQLite store's statements. Every
 * statement that needs the time takes it as a parameter passed to now_ms(): null in production
 * (the server's clock), the test clock's reading under the contract suite.
 * Statements run with search_path set to the store's schema, so none names it.
 */

const HELD = `state = 'processing' AND id = $1 AND worker_id = $2 AND runs = $3`;

/** A job with the names of its environment's variables (`env_names`). */
const JOB_WITH_NAMES = `SELECT j.*, e.names AS env_names FROM jobs j
      LEFT JOIN environments e ON e.id = j.env_id`;

/**
 * The settle's common table expressions (`settled`, `closed`), with settleJob's $1–$10, $12 and
 * $13: the job leaves processing only if the lease is still held, for state $4 (delay $5), or
 * $12 (delay $13) when its cancel was requested meanwhile; and its attempt is closed.
 */
const SETTLE_STEPS = `settled AS (
        UPDATE jobs SET
          state = CASE WHEN cancel_requested THEN $12 ELSE $4 END,
          run_at = COALESCE(now_ms($10) + CASE WHEN cancel_requested THEN $13::bigint ELSE $5::bigint END, run_at),
          finished_at = now_ms($10), last_error = COALESCE($6, last_error), last_exit_code = $7,
          worker_id = NULL, lease_expires_at = NULL, cancel_requested = false, updated_at = now_ms($10)
        WHERE ${HELD}
        RETURNING id, state),
      closed AS (
        UPDATE attempts SET finished_at = now_ms($10), exit_code = $7, signal = $8, outcome = $9, error = $6
        WHERE job_id IN (SELECT id FROM settled) AND attempt = $3)`;

/** The claim's common table expressions (`worker` … `claimed`, `opened`), given its parameters. */
function claimSteps(worker: string, leaseMs: string, now: string): string {
  return `worker AS (SELECT id, host, pid FROM workers WHERE id = ${worker}),
      picked AS (
        SELECT seq FROM jobs
        WHERE state IN ('pending', 'failed') AND run_at <= now_ms(${now}) AND EXISTS (SELECT 1 FROM worker)
        ORDER BY priority DESC, seq LIMIT 1
        FOR UPDATE SKIP LOCKED),
      claimed AS (
        UPDATE jobs SET state = 'processing', attempts = attempts + 1, runs = runs + 1,
          worker_id = ${worker}, started_at = now_ms(${now}), finished_at = NULL,
          cancel_requested = false, lease_expires_at = now_ms(${now}) + ${leaseMs}, updated_at = now_ms(${now})
        FROM picked WHERE jobs.seq = picked.seq
        RETURNING jobs.*),
      opened AS (
        INSERT INTO attempts (job_id, attempt, worker_id, host, pid, started_at)
        SELECT claimed.id, claimed.runs, worker.id, worker.host, worker.pid, claimed.started_at
        FROM claimed, worker)`;
}

export const SQL = {
  /**
   * $1 ids, $2 commands, $3 priorities, $4 max_retries, $5 timeouts, $6 run_ats, $7 cwds,
   * $8 environment ids, $9 now.
   */
  insertJobs: `INSERT INTO jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at, cwd, env_id)
      SELECT id, command, 'pending', priority, max_retries, timeout_seconds,
             COALESCE(run_at, now_ms($9)), now_ms($9), now_ms($9), cwd, env_id
      FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::float8[], $6::bigint[],
                  $7::text[], $8::bigint[])
        WITH ORDINALITY AS t (id, command, priority, max_retries, timeout_seconds, run_at, cwd, env_id, pos)
      ORDER BY pos
      ON CONFLICT (id) DO NOTHING
      RETURNING id`,
  /**
   * $1 inherit, $2 canonical vars. Locked (KEY SHARE) until the enqueue commits, so that a
   * delete of its last job cannot remove it meanwhile.
   */
  findEnvironment: `SELECT id FROM environments
      WHERE inherit = $1 AND md5(vars) = md5($2) AND vars = $2 FOR KEY SHARE`,
  /** $1 inherit, $2 vars, $3 names; nothing when an equal one was stored meanwhile. */
  insertEnvironment: `INSERT INTO environments (inherit, vars, names) VALUES ($1, $2, $3)
      ON CONFLICT DO NOTHING RETURNING id`,
  /** $1 environment ids: those no job uses any more are removed. */
  dropUnusedEnvironments: `DELETE FROM environments e
      WHERE e.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM jobs WHERE env_id = e.id)`,
  jobEnvironment: `SELECT j.state, e.inherit, e.vars FROM jobs j
      LEFT JOIN environments e ON e.id = j.env_id WHERE j.id = $1`,
  getJob: `${JOB_WITH_NAMES} WHERE j.id = $1`,
  /** $1 ids. */
  getJobs: `${JOB_WITH_NAMES} WHERE j.id = ANY($1)`,
  getSeq: 'SELECT seq FROM jobs WHERE id = $1',
  /** $1 state or null, $2 before seq, $3 search pattern or null, $4 limit. */
  listJobs: `${JOB_WITH_NAMES} WHERE ($1::text IS NULL OR j.state = $1) AND j.seq < $2
      AND ($3::text IS NULL OR j.id ILIKE $3 ESCAPE '\\' OR j.command ILIKE $3 ESCAPE '\\')
      ORDER BY j.seq DESC LIMIT $4`,
  countJobs: 'SELECT state, count(*) AS n FROM jobs GROUP BY state',
  /** $1 now. */
  nextDueIn: `SELECT min(run_at) - now_ms($1) AS ms FROM jobs
      WHERE state IN ('pending', 'failed') AND run_at > now_ms($1)`,
  /**
   * $1 worker, $2 lease ms, $3 now. Takes the best due job that no other claim holds
   * (SKIP LOCKED: concurrent claims never wait for each other), and opens its attempt record
   * with the worker's host and pid; an unregistered worker claims nothing.
   */
  claimJob: `WITH ${claimSteps('$1', '$2', '$3')}
      SELECT claimed.*, e.inherit AS env_inherit, e.vars AS env_vars
      FROM claimed LEFT JOIN environments e ON e.id = claimed.env_id`,
  /**
   * $1 job, $2 worker, $3 run, $4 state, $5 run_at delay ms (null: keep run_at), $6 error,
   * $7 exit code, $8 signal, $9 outcome, $10 now, $11 channel, $12 and $13 the state and delay
   * if the job's cancel was requested. Changes nothing unless the lease is still held; closes
   * the attempt and wakes listeners in the same statement.
   */
  settleJob: `WITH ${SETTLE_STEPS}
      SELECT id, state, pg_notify($11, '') FROM settled`,
  /**
   * settleJob's $1–$13, then claimJob for worker $14 with lease $15 ms: one statement, one
   * commit. Every part reads the snapshot from before the statement, so the job being settled
   * (still processing there) cannot be claimed again by it. One row: `settled` (0 or 1) and
   * the claimed job's columns (all null when nothing was claimed).
   */
  settleAndClaim: `WITH ${SETTLE_STEPS}, ${claimSteps('$14', '$15', '$10')}
      SELECT (SELECT count(*) FROM (SELECT pg_notify($11, '') FROM settled) AS woken)::int AS settled,
        (SELECT state FROM settled) AS settled_state, claimed.*, e.inherit AS env_inherit, e.vars AS env_vars
      FROM (SELECT 1) AS one LEFT JOIN claimed ON true
        LEFT JOIN environments e ON e.id = claimed.env_id`,
  /**
   * $1 job, $2 worker, $3 run (all null without a lease), $4 worker id, $5 lease ms, $6 job pid,
   * $7 now. Renews the worker's heartbeat and its job's lease in one statement.
   */
  heartbeat: `WITH beat AS (
        UPDATE workers SET heartbeat_at = now_ms($7), current_job = $1 WHERE id = $4
        RETURNING stop_requested),
      renewed AS (
        UPDATE jobs SET lease_expires_at = now_ms($7) + $5 WHERE ${HELD}
        RETURNING id, cancel_requested),
      reported AS (
        UPDATE attempts SET job_pid = $6
        WHERE $6::int IS NOT NULL AND job_id IN (SELECT id FROM renewed) AND attempt = $3
          AND job_pid IS NULL)
      SELECT EXISTS (SELECT 1 FROM beat) AS known,
        COALESCE((SELECT stop_requested FROM beat), false) AS "stopRequested",
        EXISTS (SELECT 1 FROM renewed) AS "leaseHeld",
        COALESCE((SELECT cancel_requested FROM renewed), false) AS "cancelRequested"`,
  /** $1 job, $2 worker, $3 run. */
  cancelRequested: `SELECT cancel_requested FROM jobs WHERE ${HELD}`,
  /** $1 now. */
  listHeld: `SELECT j.id AS "jobId", j.runs AS run, j.worker_id AS "workerId",
        j.max_retries AS "maxRetries", j.attempts AS attempts,
        j.cancel_requested AS "cancelRequested",
        a.host AS host, a.pid AS pid, a.job_pid AS "jobPid", w.pid_start AS "pidStart",
        (j.lease_expires_at <= now_ms($1)) AS "leaseExpired"
      FROM jobs j
      LEFT JOIN attempts a ON a.job_id = j.id AND a.attempt = j.runs
      LEFT JOIN workers w ON w.id = j.worker_id
      WHERE j.state = 'processing'`,
  /** $1 ids: their states, locked until the transaction ends. */
  lockJobs: 'SELECT id, state FROM jobs WHERE id = ANY($1) ORDER BY id FOR UPDATE',
  /** $1 ids (all dead and locked), $2 now. */
  retryDead: `UPDATE jobs SET state = 'pending', attempts = 0, run_at = now_ms($2),
        updated_at = now_ms($2), started_at = NULL, finished_at = NULL, cancel_requested = false
      WHERE id = ANY($1) AND state = 'dead'`,
  /** $1 ids (all finished and locked), $2 now. */
  restartJobs: `UPDATE jobs SET state = 'pending', attempts = 0, run_at = now_ms($2),
        updated_at = now_ms($2), started_at = NULL, finished_at = NULL, cancel_requested = false
      WHERE id = ANY($1) AND state IN ('completed', 'dead', 'cancelled')`,
  /**
   * $1 state, $2 after seq, $3 last seq, $4 batch size, $5 now, $6 channel: restarts the next
   * batch; `upto` is the batch's last seq (null: none left).
   */
  restartBatch: `WITH batch AS (
        SELECT seq FROM jobs WHERE state = $1 AND seq > $2 AND seq <= $3
        ORDER BY seq LIMIT $4 FOR UPDATE),
      moved AS (
        UPDATE jobs SET state = 'pending', attempts = 0, run_at = now_ms($5),
          updated_at = now_ms($5), started_at = NULL, finished_at = NULL, cancel_requested = false
        FROM batch WHERE jobs.seq = batch.seq AND jobs.state = $1
        RETURNING jobs.seq)
      SELECT (SELECT max(seq) FROM batch) AS upto, (SELECT count(*) FROM moved)::int AS moved,
        pg_notify($6, '')`,
  lastSeq: 'SELECT COALESCE(max(seq), 0) AS last FROM jobs',
  /** $1 ids (pending or failed, locked), $2 now. */
  cancelNow: `UPDATE jobs SET state = 'cancelled', finished_at = now_ms($2),
        last_error = 'cancelled', updated_at = now_ms($2)
      WHERE id = ANY($1) AND state IN ('pending', 'failed')`,
  /** $1 ids (processing, locked), $2 now. */
  requestCancel: `UPDATE jobs SET cancel_requested = true, updated_at = now_ms($2)
      WHERE id = ANY($1) AND state = 'processing'`,
  /**
   * $1 id, $2 now, $3 priority, $4 run_at, $5 max_retries, $6 command (each null: unchanged),
   * $7 whether to set the timeout, $8 the timeout.
   */
  updateJob: `UPDATE jobs SET priority = COALESCE($3, priority), run_at = COALESCE($4, run_at),
        max_retries = COALESCE($5, max_retries), command = COALESCE($6, command),
        timeout_seconds = CASE WHEN $7 THEN $8::float8 ELSE timeout_seconds END,
        updated_at = now_ms($2)
      WHERE id = $1 AND state IN ('pending', 'failed')`,
  /** $1 ids. */
  deleteJobs: 'DELETE FROM jobs WHERE id = ANY($1) RETURNING id, runs, env_id',
  deleteAttempts: 'DELETE FROM attempts WHERE job_id = ANY($1)',
  listAttempts: `SELECT job_id, attempt, worker_id, host, pid, started_at, finished_at, exit_code,
        signal, outcome, error
      FROM attempts WHERE job_id = $1 ORDER BY attempt`,
  /** $1 id, $2 host, $3 pid, $4 pid start, $5 now. */
  registerWorker: `INSERT INTO workers (id, host, pid, pid_start, started_at, heartbeat_at)
      VALUES ($1, $2, $3, $4, now_ms($5), now_ms($5))
      ON CONFLICT (id) DO UPDATE SET host = $2, pid = $3, pid_start = $4, started_at = now_ms($5),
        heartbeat_at = now_ms($5), current_job = NULL, stop_requested = false`,
  deregisterWorker: 'DELETE FROM workers WHERE id = $1',
  /** $1 now, $2 stale after ms. */
  listWorkers: `SELECT *, (heartbeat_at < now_ms($1) - $2) AS stale FROM workers
      ORDER BY host, started_at`,
  /** $1 host or null (all), $2 channel. */
  requestStop: `WITH asked AS (
        UPDATE workers SET stop_requested = true WHERE $1::text IS NULL OR host = $1 RETURNING *)
      SELECT asked.*, pg_notify($2, '') FROM asked ORDER BY host, started_at`,
  configAll: 'SELECT key, value FROM config ORDER BY key',
  /** $1 key, $2 value, $3 channel. */
  configSet: `WITH stored AS (
        INSERT INTO config (key, value) VALUES ($1, $2)
        ON CONFLICT (key) DO UPDATE SET value = $2 RETURNING key)
      SELECT pg_notify($3, '') FROM stored`,
  /** $1 channel. */
  notify: `SELECT pg_notify($1, '')`,

  // ---- Issue 15: the maintenance leader, retention, schedules, hooks ----
  /**
   * $1 name, $2 holder, $3 host, $4 ttl ms, $5 now. Granted when free, run out, or already this
   * holder's (term grows on a change of holder); one row: whether granted, and the lease now.
   * The row lock makes concurrent requests wait for each other and see each other's result.
   */
  leaderAcquire: `WITH granted AS (
        INSERT INTO leaders AS l (name, holder, host, term, since, expires_at)
        VALUES ($1, $2, $3, 1, now_ms($5), now_ms($5) + $4)
        ON CONFLICT (name) DO UPDATE SET
          term = CASE WHEN l.holder = $2 THEN l.term ELSE l.term + 1 END,
          since = CASE WHEN l.holder = $2 THEN l.since ELSE now_ms($5) END,
          holder = $2, host = $3, expires_at = now_ms($5) + $4
        WHERE l.holder = $2 OR l.expires_at <= now_ms($5)
        RETURNING name, holder, host, term, since, expires_at)
      SELECT true AS held, *, false AS expired FROM granted`,
  /** $1 name, $2 now. */
  leaderGet: `SELECT name, holder, host, term, since, expires_at, (expires_at <= now_ms($2)) AS expired
      FROM leaders WHERE name = $1`,
  /** $1 name, $2 holder, $3 now. */
  leaderRelease: `UPDATE leaders SET expires_at = now_ms($3)
      WHERE name = $1 AND holder = $2 AND expires_at > now_ms($3)`,
  /**
   * $1 state, $2 age ms, $3 now, $4 after finished_at, $5 after seq, $6 limit. The IN list
   * repeats jobs_finished's condition so that the planner may use that partial index.
   */
  listExpired: `SELECT seq, id, runs, finished_at FROM jobs
      WHERE state IN ('completed', 'dead', 'cancelled') AND state = $1
        AND finished_at <= now_ms($3) - $2 AND (finished_at, seq) > ($4::bigint, $5::bigint)
      ORDER BY finished_at, seq LIMIT $6`,
  /** $1 state, $2 age ms, $3 now, $4 limit: deletes a batch with its attempts. */
  purgeExpired: `WITH doomed AS (
        SELECT seq FROM jobs
        WHERE state IN ('completed', 'dead', 'cancelled') AND state = $1
          AND finished_at <= now_ms($3) - $2
        ORDER BY finished_at, seq LIMIT $4
        FOR UPDATE SKIP LOCKED),
      gone AS (
        DELETE FROM jobs WHERE seq IN (SELECT seq FROM doomed)
          AND state = $1 AND finished_at <= now_ms($3) - $2
        RETURNING id, runs, env_id),
      history AS (DELETE FROM attempts WHERE job_id IN (SELECT id FROM gone))
      SELECT id, runs, env_id FROM gone`,
  /** $1..$17 the schedule's fields (see insertSchedule's column list), $18 now. */
  insertSchedule: `INSERT INTO schedules (name, cron, timezone, every_ms, command, priority,
        max_retries, timeout_seconds, cwd, env_inherit, env_vars, env_names, overlap, catch_up,
        anchor_at, next_at, paused, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
        now_ms($18), now_ms($18))
      ON CONFLICT (name) DO NOTHING RETURNING name`,
  listSchedules: `SELECT s.*, j.state AS last_job_state FROM schedules s
      LEFT JOIN jobs j ON j.id = s.last_job_id ORDER BY s.name`,
  deleteSchedule: 'DELETE FROM schedules WHERE name = $1 RETURNING name',
  /** $1 name, $2 paused, $3 whether to set next_at, $4 next_at, $5 now, $6 channel. */
  pauseSchedule: `WITH changed AS (
        UPDATE schedules SET paused = $2,
          next_at = CASE WHEN $3 THEN $4::bigint ELSE next_at END, updated_at = now_ms($5)
        WHERE name = $1 RETURNING name)
      SELECT name, pg_notify($6, '') FROM changed`,
  /**
   * $1 name, $2 from, $3 to, $4 slot, $5 job id, $6 fired, $7 skipped, $8 missed, $9 now.
   * Compare and set: only from the slot that was read, and only while not paused.
   */
  advanceSchedule: `UPDATE schedules SET next_at = $3,
        last_slot_at = COALESCE($4, last_slot_at), last_job_id = COALESCE($5, last_job_id),
        fired = fired + $6, skipped = skipped + $7, missed = missed + $8, updated_at = now_ms($9)
      WHERE name = $1 AND next_at = $2 AND NOT paused
      RETURNING name`,
  /** $1 id, $2 command, $3 priority, $4 max_retries, $5 timeout, $6 cwd, $7 env id, $8 now. */
  insertSlotJob: `INSERT INTO jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at, cwd, env_id)
      VALUES ($1, $2, 'pending', $3, $4, $5, now_ms($8), now_ms($8), now_ms($8), $6, $7)
      ON CONFLICT (id) DO NOTHING`,
  /** $1 key, $2 channel. */
  configDelete: `WITH gone AS (DELETE FROM config WHERE key = $1 RETURNING key)
      SELECT key, pg_notify($2, '') FROM gone`,
  /** $1 ids (just cancelled while waiting), $2 now; only when an on-cancelled hook is set. */
  queueCancelHooks: `INSERT INTO pending_hooks (job_id, state, attempt, exit_code, command, created_at)
      SELECT id, 'cancelled', runs, last_exit_code, command, now_ms($2) FROM jobs
      WHERE id = ANY($1) AND EXISTS (SELECT 1 FROM config WHERE key = 'hook:on-cancelled')`,
  /** $1 limit. */
  takeHooks: `DELETE FROM pending_hooks WHERE seq IN (
        SELECT seq FROM pending_hooks ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING job_id, state, attempt, exit_code, command, created_at`,
  now: 'SELECT now_ms(NULL) AS now',
} as const;
