/**
 * The PostgreSQL store's SQL, under the same names as the SQLite store's statements. Every
 * statement that needs the time takes it as a parameter passed to now_ms(): null in production
 * (the server's clock), the test clock's reading under the contract suite.
 * Statements run with search_path set to the store's schema, so none names it.
 */

const HELD = `state = 'processing' AND id = $1 AND worker_id = $2 AND runs = $3`;

/**
 * The settle's common table expressions (`settled`, `closed`), with settleJob's $1–$10: the
 * job leaves processing only if the lease is still held, and its attempt is closed.
 */
const SETTLE_STEPS = `settled AS (
        UPDATE jobs SET state = $4, run_at = COALESCE(now_ms($10) + $5::bigint, run_at),
          finished_at = now_ms($10), last_error = COALESCE($6, last_error), last_exit_code = $7,
          worker_id = NULL, lease_expires_at = NULL, updated_at = now_ms($10)
        WHERE ${HELD}
        RETURNING id),
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
          lease_expires_at = now_ms(${now}) + ${leaseMs}, updated_at = now_ms(${now})
        FROM picked WHERE jobs.seq = picked.seq
        RETURNING jobs.*),
      opened AS (
        INSERT INTO attempts (job_id, attempt, worker_id, host, pid, started_at)
        SELECT claimed.id, claimed.runs, worker.id, worker.host, worker.pid, claimed.started_at
        FROM claimed, worker)`;
}

export const SQL = {
  /** $1 ids, $2 commands, $3 priorities, $4 max_retries, $5 timeouts, $6 run_ats, $7 now. */
  insertJobs: `INSERT INTO jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at)
      SELECT id, command, 'pending', priority, max_retries, timeout_seconds,
             COALESCE(run_at, now_ms($7)), now_ms($7), now_ms($7)
      FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::float8[], $6::bigint[])
        WITH ORDINALITY AS t (id, command, priority, max_retries, timeout_seconds, run_at, pos)
      ORDER BY pos
      ON CONFLICT (id) DO NOTHING
      RETURNING id`,
  getJob: 'SELECT * FROM jobs WHERE id = $1',
  getSeq: 'SELECT seq FROM jobs WHERE id = $1',
  /** $1 state or null, $2 before seq, $3 search pattern or null, $4 limit. */
  listJobs: `SELECT * FROM jobs WHERE ($1::text IS NULL OR state = $1) AND seq < $2
      AND ($3::text IS NULL OR id ILIKE $3 ESCAPE '\\' OR command ILIKE $3 ESCAPE '\\')
      ORDER BY seq DESC LIMIT $4`,
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
      SELECT * FROM claimed`,
  /**
   * $1 job, $2 worker, $3 run, $4 state, $5 run_at delay ms (null: keep run_at), $6 error,
   * $7 exit code, $8 signal, $9 outcome, $10 now, $11 channel. Changes nothing unless the lease
   * is still held; closes the attempt and wakes listeners in the same statement.
   */
  settleJob: `WITH ${SETTLE_STEPS}
      SELECT id, pg_notify($11, '') FROM settled`,
  /**
   * settleJob's $1–$11, then claimJob for worker $12 with lease $13 ms: one statement, one
   * commit. Every part reads the snapshot from before the statement, so the job being settled
   * (still processing there) cannot be claimed again by it. One row: `settled` (0 or 1) and
   * the claimed job's columns (all null when nothing was claimed).
   */
  settleAndClaim: `WITH ${SETTLE_STEPS}, ${claimSteps('$12', '$13', '$10')}
      SELECT (SELECT count(*) FROM (SELECT pg_notify($11, '') FROM settled) AS woken)::int AS settled,
        claimed.*
      FROM (SELECT 1) AS one LEFT JOIN claimed ON true`,
  /**
   * $1 job, $2 worker, $3 run (all null without a lease), $4 worker id, $5 lease ms, $6 job pid,
   * $7 now. Renews the worker's heartbeat and its job's lease in one statement.
   */
  heartbeat: `WITH beat AS (
        UPDATE workers SET heartbeat_at = now_ms($7), current_job = $1 WHERE id = $4
        RETURNING stop_requested),
      renewed AS (
        UPDATE jobs SET lease_expires_at = now_ms($7) + $5 WHERE ${HELD}
        RETURNING id),
      reported AS (
        UPDATE attempts SET job_pid = $6
        WHERE $6::int IS NOT NULL AND job_id IN (SELECT id FROM renewed) AND attempt = $3
          AND job_pid IS NULL)
      SELECT EXISTS (SELECT 1 FROM beat) AS known,
        COALESCE((SELECT stop_requested FROM beat), false) AS "stopRequested",
        EXISTS (SELECT 1 FROM renewed) AS "leaseHeld"`,
  /** $1 now. */
  listHeld: `SELECT j.id AS "jobId", j.runs AS run, j.worker_id AS "workerId",
        j.max_retries AS "maxRetries", j.attempts AS attempts,
        a.host AS host, a.pid AS pid, a.job_pid AS "jobPid", w.pid_start AS "pidStart",
        (j.lease_expires_at <= now_ms($1)) AS "leaseExpired"
      FROM jobs j
      LEFT JOIN attempts a ON a.job_id = j.id AND a.attempt = j.runs
      LEFT JOIN workers w ON w.id = j.worker_id
      WHERE j.state = 'processing'`,
  /** $1 ids: their states, locked until the transaction ends. */
  lockJobs: 'SELECT id, state FROM jobs WHERE id = ANY($1) ORDER BY id FOR UPDATE',
  /** $1 ids (all dead and locked), $2 now, $3 channel. */
  retryDead: `WITH retried AS (
        UPDATE jobs SET state = 'pending', attempts = 0, run_at = now_ms($2), updated_at = now_ms($2),
          started_at = NULL, finished_at = NULL
        WHERE id = ANY($1) AND state = 'dead' RETURNING *)
      SELECT retried.*, pg_notify($3, '') FROM retried`,
  lockJob: 'SELECT state FROM jobs WHERE id = $1 FOR UPDATE',
  deleteJob: 'DELETE FROM jobs WHERE id = $1',
  deleteAttempts: 'DELETE FROM attempts WHERE job_id = $1',
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
  now: 'SELECT now_ms(NULL) AS now',
} as const;
