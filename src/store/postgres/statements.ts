/**
 * The PostgreSQL store's SQL, under the same names as the SQLite store's statements where they
 * do the same step (statement-names.ts: the compiler checks both sets). Every statement that
 * needs the time takes it as a parameter passed to now_ms(): null in production (the server's
 * clock), the test clock's reading under the contract suite. The claim and the settle are the
 * functions of migrations 3 and 5 (claim_job, settle_job, claim_jobs, settle_and_claim_jobs). Statements run with
 * search_path set to the store's schema, so none names it.
 */
import type { StatementSet } from '../statement-names.js';
import { blocked, due, LIVE, open, ready, served } from './runnable.js';

const HELD = `state = 'processing' AND id = $1 AND worker_id = $2 AND runs = $3`;

/** A job with the names of its environment's variables and the dependencies it waits for. */
const JOB_WITH_NAMES = `SELECT j.*, e.names AS env_names,
        CASE WHEN j.waiting_on > 0 THEN ARRAY(SELECT depends_on FROM job_deps
          WHERE job_id = j.id AND NOT met) END AS waiting_for
      FROM jobs j LEFT JOIN environments e ON e.id = j.env_id`;

/** settle_job's parameters $1–$16 (see the function in migrations.ts). */
const SETTLE_ARGS = Array.from({ length: 16 }, (_, i) => `$${i + 1}`).join(', ');

/** Statements only this store has: arrays where SQLite goes one row at a time. */
type PostgresOnly =
  | 'insertJobs'
  | 'existingIds'
  | 'cancelDoomed'
  | 'getJobs'
  | 'claimJobs'
  | 'settleAndClaimJobs'
  | 'listCancelRequested'
  | 'lockJobs'
  | 'restartJobs'
  | 'restartBatch'
  | 'deleteJobs'
  | 'dropUnusedEnvironments'
  | 'lockQueues'
  | 'notify'
  | 'now'
  | 'queueCancelHooks'
  | 'foldCounts'
  | 'vacuumCounts';

export const SQL = {
  /** $1 queue names: each has its row. */
  ensureQueues: `INSERT INTO queues (name) SELECT DISTINCT unnest($1::text[])
      ON CONFLICT DO NOTHING`,
  /**
   * $1 ids, $2 commands, $3 priorities, $4 max_retries, $5 timeouts, $6 run_ats, $7 cwds,
   * $8 environment ids, $9 now, $10 queues, $11 unique keys. A job whose id is taken or whose
   * unique key a live job holds is left out (the caller tells which from what came back).
   */
  insertJobs: `INSERT INTO jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at, cwd, env_id, queue, unique_key)
      SELECT id, command, 'pending', priority, max_retries, timeout_seconds,
             COALESCE(run_at, now_ms($9)), now_ms($9), now_ms($9), cwd, env_id, queue, unique_key
      FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::float8[], $6::bigint[],
                  $7::text[], $8::bigint[], $10::text[], $11::text[])
        WITH ORDINALITY AS t (id, command, priority, max_retries, timeout_seconds, run_at, cwd, env_id, queue, unique_key, pos)
      ORDER BY pos
      ON CONFLICT DO NOTHING
      RETURNING id, seq`,
  /** $1 ids: those stored. */
  existingIds: 'SELECT id FROM jobs WHERE id = ANY($1)',
  /** $1 unique keys: the job holding each (a live one; else the newest, finished since). */
  keyHolders: `SELECT DISTINCT ON (unique_key) unique_key, id FROM jobs
      WHERE unique_key = ANY($1) AND unique_key IS NOT NULL
      ORDER BY unique_key, (${LIVE}) DESC, seq DESC`,
  /**
   * $1 ids named in `after`: where each stands and its state, locked (SHARE) until the enqueue
   * commits, so that none of them ends unseen by the links being made.
   */
  dependencyTargets: 'SELECT id, seq, state FROM jobs WHERE id = ANY($1) ORDER BY id FOR SHARE',
  /** $1 dependent ids, $2 dependency ids, $3 met. */
  insertDependencies: `INSERT INTO job_deps (job_id, depends_on, met)
      SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[])`,
  /** $1 ids, $2 how many links each waits for. */
  setWaitingOn: `UPDATE jobs SET waiting_on = t.n FROM unnest($1::text[], $2::int[]) AS t (id, n)
      WHERE jobs.id = t.id`,
  /** $1 ids, $2 now, $3 the states that cancel dependents, $4 the error template. */
  cancelDoomed: 'SELECT cancel_doomed($1, $2, $3, $4)',
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
  /** $1 state or null, $2 before seq, $3 search pattern or null, $4 limit, $5 queue or null. */
  listJobs: `${JOB_WITH_NAMES} WHERE ($1::text IS NULL OR j.state = $1) AND j.seq < $2
      AND ($5::text IS NULL OR j.queue = $5)
      AND ($3::text IS NULL OR j.id ILIKE $3 ESCAPE '\\' OR j.command ILIKE $3 ESCAPE '\\')
      ORDER BY j.seq DESC LIMIT $4`,
  /** Counts kept as the jobs change (migration 6's job_tally): as cheap at a million jobs. */
  countJobs: 'SELECT state, sum(n)::bigint AS n FROM job_tally GROUP BY state',
  /** $1 queue. */
  countJobsInQueue: 'SELECT state, n FROM job_tally WHERE queue = $1',
  /** Folds the counts' changes into their base (migration 6); the changes folded. */
  foldCounts: 'SELECT fold_job_counts() AS folded',
  /** Gives the changes' deleted rows back for reuse, so that readers scan a small table. */
  vacuumCounts: 'VACUUM job_count_changes',
  /** $1 id; by id, as the SQLite store. */
  dependenciesOf: `SELECT d.depends_on AS id, j.state, d.met FROM job_deps d
      LEFT JOIN jobs j ON j.id = d.depends_on WHERE d.job_id = $1 ORDER BY d.depends_on`,
  /** $1 id, $2 limit. */
  dependentsOf: `SELECT d.job_id AS id, j.state FROM job_deps d JOIN jobs j ON j.id = d.job_id
      WHERE d.depends_on = $1 ORDER BY d.job_id LIMIT $2`,
  countDependents: 'SELECT count(*) AS n FROM job_deps WHERE depends_on = $1',
  /**
   * $1 worker, $2 lease ms, $3 now, $4 queues served (null: all). The best runnable job, taken
   * with its attempt opened (claim_job); an unregistered worker claims nothing.
   */
  claimJob: 'SELECT claim_job($1, $2, $3, $4) AS job',
  /** claimJob up to $5 times in one statement (migration 5's claim_jobs). */
  claimJobs: 'SELECT job FROM claim_jobs($1, $2, $3, $4, $5) AS job',
  /** $1 now, $2 queues served. Milliseconds until the first job runnable but for its time. */
  nextDueIn: `SELECT min(d.t) - now_ms($1) AS ms FROM queues o
      CROSS JOIN LATERAL (SELECT min(j.run_at) AS t FROM jobs j
        WHERE j.queue = o.name AND ${ready('j')} AND j.run_at > now_ms($1)) d
      WHERE ${open('o')} AND ${served('o', '$2')}`,
  /** $1 queues served. See the SQLite store's leftToRun. */
  leftToRun: `SELECT EXISTS (SELECT 1 FROM queues o WHERE ${served('o', '$1')} AND (
          EXISTS (SELECT 1 FROM jobs j WHERE j.queue = o.name AND j.state = 'processing')
          OR (NOT o.paused AND EXISTS (SELECT 1 FROM jobs j WHERE j.queue = o.name AND ${ready('j')}))))
      OR (EXISTS (SELECT 1 FROM queues o WHERE ${served('o', '$1')} AND NOT o.paused
            AND EXISTS (SELECT 1 FROM jobs j WHERE j.queue = o.name AND ${blocked('j')}))
          AND EXISTS (SELECT 1 FROM queues o WHERE
            EXISTS (SELECT 1 FROM jobs j WHERE j.queue = o.name AND j.state = 'processing')
            OR (NOT o.paused AND EXISTS (SELECT 1 FROM jobs j WHERE j.queue = o.name AND ${ready('j')}))))
      AS left`,
  /**
   * settle_job's $1–$16: $1 job, $2 worker, $3 run, $4 state, $5 run_at delay ms (null: keep
   * run_at), $6 error, $7 exit code, $8 signal, $9 outcome, $10 now, $11 channel, $12 and $13
   * the state and delay if the job's cancel was requested, $14 the states that release
   * dependents, $15 those that cancel them, $16 the dependency error template. Changes nothing
   * unless the lease is still held.
   */
  settleJob: `SELECT settle_job(${SETTLE_ARGS}) AS settled`,
  /**
   * settleJob's $1–$16, then claimJob up to $20 times for worker $17 with lease $18 ms and queues
   * $19: a row per job claimed (one row, job null, if none). Migration 3's settle_and_claim, which
   * claims one, is left unused.
   */
  settleAndClaimJobs: `SELECT settled, job FROM settle_and_claim_jobs(${SETTLE_ARGS}, $17, $18, $19, $20)`,
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
  /** cancelRequested for the leases ($1 job ids, $2 workers, $3 runs): the ids asked to cancel. */
  listCancelRequested: `SELECT j.id FROM jobs j
      JOIN unnest($1::text[], $2::text[], $3::integer[]) AS l(job, worker, run)
        ON j.id = l.job AND j.worker_id = l.worker AND j.runs = l.run
      WHERE j.state = 'processing' AND j.cancel_requested`,
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
  /** $1 ids that ended, $2 their states, $3 now, $4 the error template. */
  cancelDependents: 'SELECT cancel_dependents($1, $2, $3, $4)',
  /** $1 ids: unfinished jobs still waiting for each of them. */
  waitingDependents: `SELECT d.depends_on AS "for", d.job_id AS id, j.state FROM job_deps d
      JOIN jobs j ON j.id = d.job_id
      WHERE d.depends_on = ANY($1) AND NOT d.met AND j.${LIVE}`,
  /** $1 ids being removed: the jobs waiting for them count them no more; their links go. */
  dropDependencyLinks: `WITH counted AS (
        UPDATE jobs SET waiting_on = waiting_on - t.n
        FROM (SELECT job_id, count(*)::int AS n FROM job_deps
              WHERE depends_on = ANY($1) AND NOT met GROUP BY job_id) t
        WHERE jobs.id = t.job_id)
      DELETE FROM job_deps WHERE job_id = ANY($1) OR depends_on = ANY($1)`,
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
  /** $1 ids: each one's unique key and a live job (another) holding it. */
  keyConflicts: `SELECT r.id, r.unique_key AS key, h.id AS holder FROM jobs r
      LEFT JOIN LATERAL (SELECT id FROM jobs h WHERE h.unique_key = r.unique_key
        AND h.${LIVE} AND h.id <> r.id LIMIT 1) h ON true
      WHERE r.id = ANY($1) AND r.unique_key IS NOT NULL`,
  /**
   * $1 state, $2 after seq, $3 last seq, $4 batch size, $5 now, $6 channel: restarts the next
   * batch (jobs with a unique key are left to keyedInState); `upto` is the batch's last seq
   * (null: none left), `waiting` the moved jobs that wait for dependencies.
   */
  restartBatch: `WITH batch AS (
        SELECT seq FROM jobs WHERE state = $1 AND seq > $2 AND seq <= $3
        ORDER BY seq LIMIT $4 FOR UPDATE),
      moved AS (
        UPDATE jobs SET state = 'pending', attempts = 0, run_at = now_ms($5),
          updated_at = now_ms($5), started_at = NULL, finished_at = NULL, cancel_requested = false
        FROM batch WHERE jobs.seq = batch.seq AND jobs.state = $1 AND jobs.unique_key IS NULL
        RETURNING jobs.id, jobs.waiting_on)
      SELECT (SELECT max(seq) FROM batch) AS upto, (SELECT count(*) FROM moved)::int AS moved,
        ARRAY(SELECT id FROM moved WHERE waiting_on > 0) AS waiting, pg_notify($6, '')`,
  /** $1 state, $2 last seq: the jobs with a unique key in it. */
  keyedInState: `SELECT id FROM jobs WHERE state = $1 AND seq <= $2 AND unique_key IS NOT NULL
      ORDER BY seq`,
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
  /**
   * $1 now, $2 a queue name or null (all), $3 counted: each queue with its counts per state and
   * its lag; with $3, its runnable and blocked jobs too.
   */
  listQueues: `SELECT o.name, o.concurrency, o.paused, c.*,
        CASE WHEN NOT $3 THEN NULL WHEN ${open('o')} THEN (SELECT count(*) FROM jobs j
          WHERE j.queue = o.name AND ${ready('j')} AND ${due('j', 'now_ms($1)')}) ELSE 0 END AS runnable,
        CASE WHEN $3 THEN (SELECT count(*) FROM jobs j WHERE j.queue = o.name AND ${blocked('j')})
          END AS blocked,
        CASE WHEN NOT o.paused THEN now_ms($1) - (SELECT min(j.run_at) FROM jobs j
          WHERE j.queue = o.name AND ${ready('j')} AND ${due('j', 'now_ms($1)')}) END AS lag_ms
      FROM queues o CROSS JOIN LATERAL (SELECT
          sum(n) FILTER (WHERE state = 'pending') AS pending,
          sum(n) FILTER (WHERE state = 'processing') AS processing,
          sum(n) FILTER (WHERE state = 'completed') AS completed,
          sum(n) FILTER (WHERE state = 'failed') AS failed,
          sum(n) FILTER (WHERE state = 'dead') AS dead,
          sum(n) FILTER (WHERE state = 'cancelled') AS cancelled
        FROM job_tally WHERE queue = o.name) c
      WHERE $2::text IS NULL OR o.name = $2 ORDER BY o.name`,
  /** $1 names: locked against claims (which hold them shared) until the transaction ends. */
  lockQueues: 'SELECT name FROM queues WHERE name = ANY($1) ORDER BY name FOR UPDATE',
  /** $1 name, $2 limit or null, $3 channel. */
  setConcurrency: `WITH stored AS (
        INSERT INTO queues (name, concurrency) VALUES ($1, $2)
        ON CONFLICT (name) DO UPDATE SET concurrency = $2 RETURNING name)
      SELECT pg_notify($3, '') FROM stored`,
  /** $1 names or null (every queue), $2 paused, $3 channel. */
  setPaused: `WITH changed AS (
        UPDATE queues SET paused = $2 WHERE $1::text[] IS NULL OR name = ANY($1) RETURNING name)
      SELECT name, pg_notify($3, '') FROM changed ORDER BY name`,
  /** $1 id, $2 host, $3 pid, $4 pid start, $5 now. */
  registerWorker: `INSERT INTO workers (id, host, pid, pid_start, started_at, heartbeat_at)
      VALUES ($1, $2, $3, $4, now_ms($5), now_ms($5))
      ON CONFLICT (id) DO UPDATE SET host = $2, pid = $3, pid_start = $4, started_at = now_ms($5),
        heartbeat_at = now_ms($5), current_job = NULL, stop_requested = false`,
  deregisterWorker: 'DELETE FROM workers WHERE id = $1',
  /** $1 now, $2 stale after ms. */
  listWorkers: `SELECT w.*, (w.heartbeat_at < now_ms($1) - $2) AS stale,
        (SELECT count(*) FROM jobs j WHERE j.state = 'processing' AND j.worker_id = w.id) AS running
      FROM workers w ORDER BY w.host, w.started_at`,
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
        AND ($7::text IS NULL OR queue = $7)
      ORDER BY finished_at, seq LIMIT $6`,
  /**
   * $1 state, $2 age ms, $3 now, $4 limit, $5 queue (null: all): deletes a batch with its
   * attempts and dependency links (met, or their dependents finished too).
   */
  purgeExpired: `WITH doomed AS (
        SELECT seq FROM jobs
        WHERE state IN ('completed', 'dead', 'cancelled') AND state = $1
          AND finished_at <= now_ms($3) - $2 AND ($5::text IS NULL OR queue = $5)
        ORDER BY finished_at, seq LIMIT $4
        FOR UPDATE SKIP LOCKED),
      gone AS (
        DELETE FROM jobs WHERE seq IN (SELECT seq FROM doomed)
          AND state = $1 AND finished_at <= now_ms($3) - $2
        RETURNING id, runs, env_id),
      history AS (DELETE FROM attempts WHERE job_id IN (SELECT id FROM gone)),
      links AS (DELETE FROM job_deps
        WHERE job_id IN (SELECT id FROM gone) OR depends_on IN (SELECT id FROM gone))
      SELECT id, runs, env_id FROM gone`,
  /** $1..$17 the schedule's fields (see insertSchedule's column list), $18 now, $19 queue. */
  insertSchedule: `INSERT INTO schedules (name, cron, timezone, every_ms, command, priority,
        max_retries, timeout_seconds, cwd, env_inherit, env_vars, env_names, overlap, catch_up,
        anchor_at, next_at, paused, created_at, updated_at, queue)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
        now_ms($18), now_ms($18), $19)
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
  insertSlotJob: `INSERT INTO jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at, cwd, env_id, queue)
      VALUES ($1, $2, 'pending', $3, $4, $5, now_ms($8), now_ms($8), now_ms($8), $6, $7, $9)
      ON CONFLICT (id) DO NOTHING`,
  /** $1 key, $2 channel. */
  configDelete: `WITH gone AS (DELETE FROM config WHERE key = $1 RETURNING key)
      SELECT key, pg_notify($2, '') FROM gone`,
  /** $1 ids (just cancelled while waiting), $2 now; only when an on-cancelled hook is set. */
  queueCancelHooks: `INSERT INTO pending_hooks (job_id, state, attempt, exit_code, command, queue, created_at)
      SELECT id, 'cancelled', runs, last_exit_code, command, queue, now_ms($2) FROM jobs
      WHERE id = ANY($1) AND EXISTS (SELECT 1 FROM config WHERE key = 'hook:on-cancelled')`,
  /** $1 limit. */
  takeHooks: `DELETE FROM pending_hooks WHERE seq IN (
        SELECT seq FROM pending_hooks ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING job_id, state, attempt, exit_code, command, queue, created_at`,
  now: 'SELECT now_ms(NULL) AS now',
} as const satisfies StatementSet<PostgresOnly>;
