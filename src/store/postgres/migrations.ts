/**
 * Numbered schema migrations for the PostgreSQL store, recorded in the `migrations` table of the
 * store's schema. They run in one transaction under a transaction-scoped advisory lock, so when
 * many workers start at once one migrates and the others wait, then find it done.
 * Never edit a released migration; add one. Times are bigint epoch milliseconds.
 */
import type pg from 'pg';
import { quoteIdent } from './connection.js';
import { due, LIVE, open, ready, runningIn, served } from './runnable.js';

export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      -- The store's clock: the given time (tests drive a manual clock) or the server's.
      -- now() is the transaction's start, so one transaction sees one time.
      CREATE FUNCTION now_ms(given bigint) RETURNS bigint LANGUAGE sql STABLE AS
        $$ SELECT COALESCE(given, floor(extract(epoch FROM now()) * 1000)::bigint) $$;

      CREATE TABLE jobs (
        seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id               text    NOT NULL UNIQUE,
        command          text    NOT NULL,
        state            text    NOT NULL
          CHECK (state IN ('pending', 'processing', 'completed', 'failed', 'dead')),
        priority         integer NOT NULL DEFAULT 0,
        attempts         integer NOT NULL DEFAULT 0,
        runs             integer NOT NULL DEFAULT 0,
        max_retries      integer NOT NULL,
        timeout_seconds  double precision,
        run_at           bigint  NOT NULL,
        created_at       bigint  NOT NULL,
        updated_at       bigint  NOT NULL,
        started_at       bigint,
        finished_at      bigint,
        last_error       text,
        last_exit_code   integer,
        worker_id        text,
        lease_expires_at bigint
      );
      -- The claim query walks this index in order and takes the first due, unlocked job.
      CREATE INDEX jobs_ready ON jobs (priority DESC, seq) WHERE state IN ('pending', 'failed');
      CREATE INDEX jobs_ready_run_at ON jobs (run_at) WHERE state IN ('pending', 'failed');
      CREATE INDEX jobs_held ON jobs (worker_id) WHERE state = 'processing';
      CREATE INDEX jobs_state_seq ON jobs (state, seq);

      CREATE TABLE attempts (
        job_id      text    NOT NULL,
        attempt     integer NOT NULL,
        worker_id   text    NOT NULL,
        host        text    NOT NULL,
        pid         integer NOT NULL,
        job_pid     integer,
        started_at  bigint  NOT NULL,
        finished_at bigint,
        exit_code   integer,
        signal      text,
        outcome     text,
        error       text,
        PRIMARY KEY (job_id, attempt)
      );
      CREATE INDEX attempts_finished ON attempts (finished_at) WHERE finished_at IS NOT NULL;

      CREATE TABLE workers (
        id             text    PRIMARY KEY,
        host           text    NOT NULL,
        pid            integer NOT NULL,
        pid_start      text,
        started_at     bigint  NOT NULL,
        heartbeat_at   bigint  NOT NULL,
        current_job    text,
        stop_requested boolean NOT NULL DEFAULT false
      );

      CREATE TABLE config (key text PRIMARY KEY, value text NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'cancelled state, working directories, environments, cancel requests',
    sql: `
      ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
      ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
        CHECK (state IN ('pending', 'processing', 'completed', 'failed', 'dead', 'cancelled'));

      -- One row per distinct environment; vars is canonical JSON (names sorted), names the
      -- sorted names alone. Unique by md5(vars): a B-tree entry holds at most ~2.7 kB, and an
      -- environment may be a megabyte; lookups compare vars itself too.
      CREATE TABLE environments (
        id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        inherit boolean NOT NULL,
        vars    text    NOT NULL,
        names   text    NOT NULL
      );
      CREATE UNIQUE INDEX environments_unique ON environments (inherit, md5(vars));

      ALTER TABLE jobs
        ADD COLUMN cwd text,
        ADD COLUMN env_id bigint REFERENCES environments (id),
        ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;
      -- Whether an environment is still used, when jobs are deleted.
      CREATE INDEX jobs_env ON jobs (env_id) WHERE env_id IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'named queues with limits and pauses, dependencies, unique keys',
    // The claim and the settle become functions (one round trip each, as before) because
    // each statement inside a PL/pgSQL function takes a fresh snapshot: a claim that has locked
    // a limited queue's row counts the jobs running in it as they are once every earlier claim
    // of that queue has committed, so the limit stays exact under SKIP LOCKED.
    sql: `
      CREATE TABLE queues (
        name        text    PRIMARY KEY,
        concurrency integer CHECK (concurrency IS NULL OR concurrency > 0),
        paused      boolean NOT NULL DEFAULT false
      );
      INSERT INTO queues (name) VALUES ('default');

      ALTER TABLE jobs
        ADD COLUMN queue text NOT NULL DEFAULT 'default',
        ADD COLUMN unique_key text,
        -- How many of the job's dependencies have not completed yet (job_deps rows not met).
        ADD COLUMN waiting_on integer NOT NULL DEFAULT 0;
      ALTER TABLE attempts ADD COLUMN queue text NOT NULL DEFAULT 'default';

      DROP INDEX jobs_ready;
      CREATE INDEX jobs_ready ON jobs (queue, priority DESC, seq)
        WHERE state IN ('pending', 'failed') AND waiting_on = 0;
      DROP INDEX jobs_ready_run_at;
      CREATE INDEX jobs_due ON jobs (queue, run_at)
        WHERE state IN ('pending', 'failed') AND waiting_on = 0;
      CREATE INDEX jobs_blocked ON jobs (queue) WHERE state IN ('pending', 'failed') AND waiting_on > 0;
      CREATE INDEX jobs_running ON jobs (queue) WHERE state = 'processing';
      CREATE INDEX jobs_queue_seq ON jobs (queue, seq);
      CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
        WHERE unique_key IS NOT NULL AND ${LIVE};
      -- The job that holds (or last held) a key, when it finished since its insert was refused.
      CREATE INDEX jobs_key ON jobs (unique_key, seq) WHERE unique_key IS NOT NULL;

      -- job_id runs after depends_on; met once depends_on has completed (never unset again).
      CREATE TABLE job_deps (
        job_id     text    NOT NULL,
        depends_on text    NOT NULL,
        met        boolean NOT NULL DEFAULT false,
        PRIMARY KEY (job_id, depends_on)
      );
      CREATE INDEX job_deps_dependents ON job_deps (depends_on, job_id);

      -- Cancels the jobs waiting for roots (jobs that ended in root_states: dead or cancelled),
      -- then the jobs waiting for those, and so on; p_message is transitions.ts's template.
      -- Nested loops only: the planner otherwise hashed all of job_deps again at every level of
      -- the recursion (a chain of 5,000 jobs took 2.3 s instead of 20 ms).
      CREATE FUNCTION cancel_dependents(roots text[], root_states text[], given bigint, p_message text)
      RETURNS void LANGUAGE sql SET enable_hashjoin = off SET enable_mergejoin = off AS $$
        WITH RECURSIVE chain (id, parent, parent_state) AS (
          SELECT d.job_id, r.id, r.state FROM unnest(roots, root_states) AS r (id, state)
            JOIN job_deps d ON d.depends_on = r.id AND NOT d.met
            JOIN jobs j ON j.id = d.job_id AND j.state IN ('pending', 'failed')
          UNION
          SELECT d.job_id, c.id, 'cancelled'::text FROM chain c
            JOIN job_deps d ON d.depends_on = c.id AND NOT d.met
            JOIN jobs j ON j.id = d.job_id AND j.state IN ('pending', 'failed'))
        UPDATE jobs SET state = 'cancelled', finished_at = now_ms(given), updated_at = now_ms(given),
          last_error = replace(replace(p_message, '{id}', c.parent), '{state}', c.parent_state)
        FROM (SELECT DISTINCT ON (id) id, parent, parent_state FROM chain ORDER BY id, parent) c
        WHERE jobs.id = c.id AND jobs.state IN ('pending', 'failed')
      $$;

      -- Jobs just stored or restarted (ids) that wait for a dependency already in p_cancel
      -- (dead, cancelled) are cancelled, with their chain. The dependencies are locked first,
      -- so that none of them can end meanwhile without seeing these jobs.
      CREATE FUNCTION cancel_doomed(ids text[], given bigint, p_cancel text[], p_message text)
      RETURNS void LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off AS $$
      DECLARE done text[];
      BEGIN
        PERFORM 1 FROM job_deps d JOIN jobs p ON p.id = d.depends_on
          WHERE d.job_id = ANY(ids) AND NOT d.met ORDER BY p.id FOR SHARE OF p;
        WITH doomed AS (
            SELECT DISTINCT ON (d.job_id) d.job_id AS id, d.depends_on AS parent, p.state AS parent_state
            FROM job_deps d JOIN jobs p ON p.id = d.depends_on
            WHERE d.job_id = ANY(ids) AND NOT d.met AND p.state = ANY(p_cancel)
            ORDER BY d.job_id, d.depends_on),
          cancelled AS (
            UPDATE jobs SET state = 'cancelled', finished_at = now_ms(given), updated_at = now_ms(given),
              last_error = replace(replace(p_message, '{id}', doomed.parent), '{state}', doomed.parent_state)
            FROM doomed WHERE jobs.id = doomed.id AND jobs.state IN ('pending', 'failed')
            RETURNING jobs.id)
        SELECT array_agg(id) INTO done FROM cancelled;
        IF done IS NOT NULL THEN
          PERFORM cancel_dependents(done, array_fill('cancelled'::text, ARRAY[cardinality(done)]),
            given, p_message);
        END IF;
      END $$;

      -- What a job's end does to its dependents (transitions.ts dependentsAfter, given as the
      -- states that release them and the states that cancel them). Nested loops only, as in
      -- cancel_dependents: every settle runs it, mostly for a job nothing depends on, and a hash
      -- join would read every job to find none.
      CREATE FUNCTION job_ended(p_id text, p_state text, given bigint, p_release text[],
          p_cancel text[], p_message text)
      RETURNS void LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off AS $$
      BEGIN
        IF p_state = ANY(p_release) THEN
          UPDATE jobs SET waiting_on = waiting_on - 1,
            run_at = CASE WHEN waiting_on = 1 THEN greatest(run_at, now_ms(given)) ELSE run_at END
          WHERE id IN (SELECT job_id FROM job_deps WHERE depends_on = p_id AND NOT met);
          UPDATE job_deps SET met = true WHERE depends_on = p_id AND NOT met;
        ELSIF p_state = ANY(p_cancel) THEN
          PERFORM cancel_dependents(ARRAY[p_id], ARRAY[p_state], given, p_message);
        END IF;
      END $$;

      -- A run's end under its lease: the job's next state (p_cancel_state when its cancel was
      -- requested meanwhile), its attempt closed, its dependents released or cancelled, and
      -- listeners woken. Returns the state recorded; null and no change when the lease was lost.
      CREATE FUNCTION settle_job(p_job text, p_worker text, p_run integer, p_state text,
          p_delay bigint, p_error text, p_exit integer, p_signal text, p_outcome text, given bigint,
          channel text, p_cancel_state text, p_cancel_delay bigint, p_release text[],
          p_cancel text[], p_message text)
      RETURNS text LANGUAGE plpgsql AS $$
      DECLARE ended text;
      BEGIN
        UPDATE jobs SET
          state = CASE WHEN cancel_requested THEN p_cancel_state ELSE p_state END,
          run_at = COALESCE(now_ms(given)
            + CASE WHEN cancel_requested THEN p_cancel_delay ELSE p_delay END, run_at),
          finished_at = now_ms(given), last_error = COALESCE(p_error, last_error),
          last_exit_code = p_exit, worker_id = NULL, lease_expires_at = NULL,
          cancel_requested = false, updated_at = now_ms(given)
        WHERE state = 'processing' AND id = p_job AND worker_id = p_worker AND runs = p_run
        RETURNING state INTO ended;
        IF NOT FOUND THEN RETURN NULL; END IF;
        UPDATE attempts SET finished_at = now_ms(given), exit_code = p_exit, signal = p_signal,
          outcome = p_outcome, error = p_error
        WHERE job_id = p_job AND attempt = p_run;
        PERFORM job_ended(p_job, ended, given, p_release, p_cancel, p_message);
        PERFORM pg_notify(channel, '');
        RETURN ended;
      END $$;

      -- Takes the best runnable job (runnable.ts) of the queues served for worker p_worker: the
      -- open queue whose best ready, due job comes first; that queue's row locked (shared when it
      -- has no limit, so that a pause or a new limit waits for this claim; exclusive when it has
      -- one, so that its claims take turns and each counts what the others started); its best
      -- unlocked ready job taken (SKIP LOCKED) and its attempt opened. A queue whose jobs are all
      -- being taken, or which was paused or filled meanwhile, is passed over for the next one.
      -- The job as JSON with its environment (env_inherit, env_vars), or null.
      CREATE FUNCTION claim_job(p_worker text, p_lease bigint, given bigint, serve text[])
      RETURNS jsonb LANGUAGE plpgsql AS $$
      DECLARE
        w record;
        q record;
        t bigint := now_ms(given);
        got boolean;
        lim integer;
        picked bigint;
        passed text[] := '{}';
        claimed jsonb;
      BEGIN
        SELECT id, host, pid INTO w FROM workers WHERE id = p_worker;
        IF NOT FOUND THEN RETURN NULL; END IF;
        LOOP
          SELECT o.name, o.concurrency INTO q FROM queues o
            CROSS JOIN LATERAL (SELECT j.priority, j.seq FROM jobs j
              WHERE j.queue = o.name AND ${ready('j')} AND ${due('j', 't')}
              ORDER BY j.priority DESC, j.seq LIMIT 1) head
            WHERE ${open('o')} AND ${served('o', 'serve')} AND o.name <> ALL(passed)
            ORDER BY head.priority DESC, head.seq LIMIT 1;
          IF NOT FOUND THEN RETURN NULL; END IF;
          IF q.concurrency IS NULL THEN
            PERFORM 1 FROM queues o WHERE o.name = q.name AND NOT o.paused
              AND o.concurrency IS NULL FOR SHARE;
            got := FOUND;
            lim := NULL;
          ELSE
            SELECT o.concurrency INTO lim FROM queues o WHERE o.name = q.name AND NOT o.paused
              AND o.concurrency IS NOT NULL FOR UPDATE;
            got := FOUND;
          END IF;
          IF got THEN
            SELECT j.seq INTO picked FROM queues o, jobs j
              WHERE o.name = q.name AND j.queue = q.name AND ${ready('j')} AND ${due('j', 't')}
                AND (lim IS NULL OR lim > ${runningIn('o')})
              ORDER BY j.priority DESC, j.seq LIMIT 1 FOR UPDATE OF j SKIP LOCKED;
            IF FOUND THEN
              WITH taken AS (
                  UPDATE jobs SET state = 'processing', attempts = attempts + 1, runs = runs + 1,
                    worker_id = p_worker, started_at = t, finished_at = NULL,
                    cancel_requested = false, lease_expires_at = t + p_lease, updated_at = t
                  WHERE seq = picked RETURNING jobs.*),
                opened AS (
                  INSERT INTO attempts (job_id, attempt, worker_id, host, pid, started_at, queue)
                  SELECT taken.id, taken.runs, w.id, w.host, w.pid, t, taken.queue FROM taken)
              SELECT to_jsonb(taken) || jsonb_build_object('env_inherit', e.inherit, 'env_vars', e.vars)
                INTO claimed
              FROM taken LEFT JOIN environments e ON e.id = taken.env_id;
              RETURN claimed;
            END IF;
          END IF;
          passed := passed || q.name;
        END LOOP;
      END $$;

      -- settle_job, then claim_job for p_claimer (with lease p_lease, queues serve): how a busy
      -- worker goes from one job to the next in one round trip. The claim sees the settle.
      CREATE FUNCTION settle_and_claim(p_job text, p_worker text, p_run integer, p_state text,
          p_delay bigint, p_error text, p_exit integer, p_signal text, p_outcome text, given bigint,
          channel text, p_cancel_state text, p_cancel_delay bigint, p_release text[],
          p_cancel text[], p_message text, p_claimer text, p_lease bigint, serve text[])
      RETURNS TABLE (settled text, job jsonb) LANGUAGE plpgsql AS $$
      BEGIN
        settled := settle_job(p_job, p_worker, p_run, p_state, p_delay, p_error, p_exit,
          p_signal, p_outcome, given, channel, p_cancel_state, p_cancel_delay, p_release,
          p_cancel, p_message);
        job := claim_job(p_claimer, p_lease, given, serve);
        RETURN NEXT;
      END $$;
    `,
  },
  {
    version: 4,
    name: 'maintenance leader, recurring schedules, hooks of command-settled jobs, retention index',
    // The tables are described in the SQLite store's migration 4.
    sql: `
      CREATE TABLE leaders (
        name       text    PRIMARY KEY,
        holder     text    NOT NULL,
        host       text    NOT NULL,
        term       bigint  NOT NULL,
        since      bigint  NOT NULL,
        expires_at bigint  NOT NULL
      );

      CREATE TABLE schedules (
        name            text    PRIMARY KEY,
        queue           text    NOT NULL DEFAULT 'default',
        cron            text,
        timezone        text,
        every_ms        bigint,
        command         text    NOT NULL,
        priority        integer NOT NULL DEFAULT 0,
        max_retries     integer,
        timeout_seconds double precision,
        cwd             text,
        env_inherit     boolean,
        env_vars        text,
        env_names       text,
        overlap         text    NOT NULL CHECK (overlap IN ('skip', 'allow')),
        catch_up        boolean NOT NULL DEFAULT false,
        paused          boolean NOT NULL DEFAULT false,
        anchor_at       bigint  NOT NULL,
        created_at      bigint  NOT NULL,
        updated_at      bigint  NOT NULL,
        next_at         bigint,
        last_slot_at    bigint,
        last_job_id     text,
        fired           bigint  NOT NULL DEFAULT 0,
        skipped         bigint  NOT NULL DEFAULT 0,
        missed          bigint  NOT NULL DEFAULT 0
      );

      CREATE TABLE pending_hooks (
        seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job_id     text    NOT NULL,
        state      text    NOT NULL,
        attempt    integer NOT NULL,
        exit_code  integer,
        command    text    NOT NULL,
        queue      text    NOT NULL DEFAULT 'default',
        created_at bigint  NOT NULL
      );

      CREATE INDEX jobs_finished ON jobs (state, finished_at, seq)
        WHERE state IN ('completed', 'dead', 'cancelled');
    `,
  },
  {
    version: 5,
    name: 'claim several jobs in one statement, also with a settle',
    sql: `
      -- claim_job up to p_limit times for one worker (worker start --concurrency): one round
      -- trip and one commit for every free slot. Each claim sees the ones before it, so queue
      -- limits and priority order hold as for separate claims.
      CREATE FUNCTION claim_jobs(p_worker text, p_lease bigint, given bigint, serve text[],
          p_limit integer)
      RETURNS SETOF jsonb LANGUAGE plpgsql AS $$
      DECLARE
        claimed jsonb;
      BEGIN
        FOR i IN 1..p_limit LOOP
          claimed := claim_job(p_worker, p_lease, given, serve);
          EXIT WHEN claimed IS NULL;
          RETURN NEXT claimed;
        END LOOP;
      END $$;

      -- settle_and_claim taking up to p_limit jobs (a worker whose other slots are free too): a
      -- row per job claimed, or one row with a null job when none was.
      CREATE FUNCTION settle_and_claim_jobs(p_job text, p_worker text, p_run integer,
          p_state text, p_delay bigint, p_error text, p_exit integer, p_signal text,
          p_outcome text, given bigint, channel text, p_cancel_state text, p_cancel_delay bigint,
          p_release text[], p_cancel text[], p_message text, p_claimer text, p_lease bigint,
          serve text[], p_limit integer)
      RETURNS TABLE (settled text, job jsonb) LANGUAGE plpgsql AS $$
      DECLARE
        taken integer := 0;
      BEGIN
        settled := settle_job(p_job, p_worker, p_run, p_state, p_delay, p_error, p_exit,
          p_signal, p_outcome, given, channel, p_cancel_state, p_cancel_delay, p_release,
          p_cancel, p_message);
        FOR job IN SELECT claimed FROM claim_jobs(p_claimer, p_lease, given, serve, p_limit)
            AS claimed LOOP
          taken := taken + 1;
          RETURN NEXT;
        END LOOP;
        IF taken = 0 THEN
          job := NULL;
          RETURN NEXT;
        END IF;
      END $$;
    `,
  },
  {
    version: 6,
    name: 'job counts per queue and state, kept as the jobs change',
    // `status`, the dashboard and `stats` read these instead of counting every job. One counter
    // row per (queue, state) updated by every claim and settle would make all workers take turns
    // on it; instead each statement appends its own deltas to job_count_changes (no row is ever
    // updated, so writers never wait for each other), readers add them to job_counts, and the
    // maintenance leader folds them in every few seconds (fold_job_counts). Statement triggers
    // with transition tables: a bulk enqueue or a batch restart appends one row per (queue, state)
    // it touched, not one per job.
    sql: `
      CREATE TABLE job_counts (
        queue text   NOT NULL,
        state text   NOT NULL,
        n     bigint NOT NULL,
        PRIMARY KEY (queue, state)
      );
      -- Append-only between folds; no index, so an append costs one heap insert.
      CREATE TABLE job_count_changes (
        queue text   NOT NULL,
        state text   NOT NULL,
        delta bigint NOT NULL
      );

      -- The counts now: what was folded plus every committed change since. One statement reads
      -- both with one snapshot, so a fold committing meanwhile is seen whole or not at all.
      CREATE VIEW job_tally AS
        SELECT queue, state, sum(n)::bigint AS n FROM (
          SELECT queue, state, n FROM job_counts
          UNION ALL SELECT queue, state, delta FROM job_count_changes) c
        GROUP BY queue, state;

      -- An update's deltas are -1 per old row and +1 per new row, summed: rows whose queue and
      -- state stayed cancel out, so nothing is appended for a lease renewal or a priority change.
      CREATE FUNCTION count_jobs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO job_count_changes (queue, state, delta)
          SELECT queue, state, sum(d) FROM (
            SELECT queue, state, -1 AS d FROM old_jobs
            UNION ALL SELECT queue, state, 1 FROM new_jobs) t
          GROUP BY queue, state HAVING sum(d) <> 0;
        RETURN NULL;
      END $$;
      CREATE FUNCTION count_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO job_count_changes (queue, state, delta)
          SELECT queue, state, count(*) FROM new_jobs GROUP BY queue, state;
        RETURN NULL;
      END $$;
      CREATE FUNCTION count_jobs_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO job_count_changes (queue, state, delta)
          SELECT queue, state, -count(*) FROM old_jobs GROUP BY queue, state;
        RETURN NULL;
      END $$;
      -- queuectl never truncates jobs; should someone, the counts follow.
      CREATE FUNCTION count_jobs_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM job_count_changes;
        DELETE FROM job_counts;
        RETURN NULL;
      END $$;

      -- No writer may commit between the backfill's count and the triggers taking over.
      LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;
      CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION count_jobs_inserted();
      CREATE TRIGGER jobs_count_update AFTER UPDATE ON jobs
        REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION count_jobs_updated();
      CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION count_jobs_deleted();
      CREATE TRIGGER jobs_count_truncate AFTER TRUNCATE ON jobs
        FOR EACH STATEMENT EXECUTE FUNCTION count_jobs_truncated();
      INSERT INTO job_counts (queue, state, n) SELECT queue, state, count(*) FROM jobs
        GROUP BY queue, state;

      -- Moves every committed change into job_counts in one statement; returns how many rows it
      -- moved. Two folds at once cannot count a change twice: the second waits for the rows the
      -- first deletes, then skips them.
      CREATE FUNCTION fold_job_counts() RETURNS bigint LANGUAGE sql AS $$
        WITH moved AS (DELETE FROM job_count_changes RETURNING queue, state, delta),
          stored AS (
            INSERT INTO job_counts AS c (queue, state, n)
              SELECT queue, state, sum(delta) FROM moved GROUP BY queue, state
            ON CONFLICT (queue, state) DO UPDATE SET n = c.n + EXCLUDED.n)
        SELECT count(*) FROM moved
      $$;
    `,
  },
  {
    version: 7,
    name: 'claim order by due time; a cheaper settle and claim',
    // - Claim order is priority, then the time a job became due (run_at), then seq. Ordered by
    //   seq, a claim walked past every job not yet due enqueued before the first due one
    //   (retries waiting out their backoff, delayed jobs), reading each from the table: 44 ms
    //   a claim behind 100,000 of them. Now a priority's due jobs come first in jobs_ready.
    // - claim_job's statements were planned afresh on every call (their cost depends on the
    //   time t, so the plan cache kept custom plans): ~0.1 ms a claim. The generic plan is the
    //   same walk of jobs_ready.
    // - settle_job ran job_ended for every job: two statements (the first firing the counts'
    //   trigger on no row) under job_ended's own settings, to release or cancel no dependent.
    //   One probe of job_deps_dependents now decides whether anything waits. A dependency
    //   being added meanwhile holds the job's row (FOR SHARE) until its enqueue commits, and
    //   the settle's update waits for that, so the probe sees every link made before it.
    // bench/parts/postgres-loop.mjs measures the settle and claim alone.
    sql: `
      DROP INDEX jobs_ready;
      CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at, seq)
        WHERE state IN ('pending', 'failed') AND waiting_on = 0;

      CREATE OR REPLACE FUNCTION claim_job(p_worker text, p_lease bigint, given bigint, serve text[])
      RETURNS jsonb LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
      DECLARE
        w record;
        q record;
        t bigint := now_ms(given);
        got boolean;
        lim integer;
        picked bigint;
        passed text[] := '{}';
        claimed jsonb;
      BEGIN
        SELECT id, host, pid INTO w FROM workers WHERE id = p_worker;
        IF NOT FOUND THEN RETURN NULL; END IF;
        LOOP
          SELECT o.name, o.concurrency INTO q FROM queues o
            CROSS JOIN LATERAL (SELECT j.priority, j.run_at, j.seq FROM jobs j
              WHERE j.queue = o.name AND ${ready('j')} AND ${due('j', 't')}
              ORDER BY j.priority DESC, j.run_at, j.seq LIMIT 1) head
            WHERE ${open('o')} AND ${served('o', 'serve')} AND o.name <> ALL(passed)
            ORDER BY head.priority DESC, head.run_at, head.seq LIMIT 1;
          IF NOT FOUND THEN RETURN NULL; END IF;
          IF q.concurrency IS NULL THEN
            PERFORM 1 FROM queues o WHERE o.name = q.name AND NOT o.paused
              AND o.concurrency IS NULL FOR SHARE;
            got := FOUND;
            lim := NULL;
          ELSE
            SELECT o.concurrency INTO lim FROM queues o WHERE o.name = q.name AND NOT o.paused
              AND o.concurrency IS NOT NULL FOR UPDATE;
            got := FOUND;
          END IF;
          IF got THEN
            SELECT j.seq INTO picked FROM queues o, jobs j
              WHERE o.name = q.name AND j.queue = q.name AND ${ready('j')} AND ${due('j', 't')}
                AND (lim IS NULL OR lim > ${runningIn('o')})
              ORDER BY j.priority DESC, j.run_at, j.seq LIMIT 1 FOR UPDATE OF j SKIP LOCKED;
            IF FOUND THEN
              WITH taken AS (
                  UPDATE jobs SET state = 'processing', attempts = attempts + 1, runs = runs + 1,
                    worker_id = p_worker, started_at = t, finished_at = NULL,
                    cancel_requested = false, lease_expires_at = t + p_lease, updated_at = t
                  WHERE seq = picked RETURNING jobs.*),
                opened AS (
                  INSERT INTO attempts (job_id, attempt, worker_id, host, pid, started_at, queue)
                  SELECT taken.id, taken.runs, w.id, w.host, w.pid, t, taken.queue FROM taken)
              SELECT to_jsonb(taken) || jsonb_build_object('env_inherit', e.inherit, 'env_vars', e.vars)
                INTO claimed
              FROM taken LEFT JOIN environments e ON e.id = taken.env_id;
              RETURN claimed;
            END IF;
          END IF;
          passed := passed || q.name;
        END LOOP;
      END $$;

      CREATE OR REPLACE FUNCTION settle_job(p_job text, p_worker text, p_run integer, p_state text,
          p_delay bigint, p_error text, p_exit integer, p_signal text, p_outcome text, given bigint,
          channel text, p_cancel_state text, p_cancel_delay bigint, p_release text[],
          p_cancel text[], p_message text)
      RETURNS text LANGUAGE plpgsql AS $$
      DECLARE ended text;
      BEGIN
        UPDATE jobs SET
          state = CASE WHEN cancel_requested THEN p_cancel_state ELSE p_state END,
          run_at = COALESCE(now_ms(given)
            + CASE WHEN cancel_requested THEN p_cancel_delay ELSE p_delay END, run_at),
          finished_at = now_ms(given), last_error = COALESCE(p_error, last_error),
          last_exit_code = p_exit, worker_id = NULL, lease_expires_at = NULL,
          cancel_requested = false, updated_at = now_ms(given)
        WHERE state = 'processing' AND id = p_job AND worker_id = p_worker AND runs = p_run
        RETURNING state INTO ended;
        IF NOT FOUND THEN RETURN NULL; END IF;
        UPDATE attempts SET finished_at = now_ms(given), exit_code = p_exit, signal = p_signal,
          outcome = p_outcome, error = p_error
        WHERE job_id = p_job AND attempt = p_run;
        IF EXISTS (SELECT 1 FROM job_deps WHERE depends_on = p_job AND NOT met) THEN
          PERFORM job_ended(p_job, ended, given, p_release, p_cancel, p_message);
        END IF;
        PERFORM pg_notify(channel, '');
        RETURN ended;
      END $$;
    `,
  },
  {
    version: 8,
    name: 'job_count_changes is vacuumed without truncating it',
    // The maintenance leader vacuums job_count_changes after every fold. A vacuum that finds the
    // table's end pages empty (as after a fold) truncates them, which needs an ACCESS EXCLUSIVE
    // lock; every claim and settle holds a ROW EXCLUSIVE lock on it (the count triggers append
    // there), so on a busy queue the vacuum asked for the lock every 50 ms for up to 5 s before
    // giving up, and when it got the lock every settle waited behind it. The table only ever
    // refills: its empty pages are reused, never given back. Autovacuum keeps to this too.
    sql: `
      ALTER TABLE job_count_changes SET (vacuum_truncate = false);
    `,
  },
  {
    version: 9,
    name: 'on-cancelled hooks of jobs cancelled for a dependency',
    // A job cancelled because a job it waits for ended dead or cancelled is settled by no worker,
    // so, as for a job a user cancels while it waits, its on-cancelled hook (while one is set) is
    // recorded for the maintenance leader. Both functions are as in migration 3, plus that.
    sql: `
      CREATE OR REPLACE FUNCTION cancel_dependents(roots text[], root_states text[], given bigint,
          p_message text)
      RETURNS void LANGUAGE sql SET enable_hashjoin = off SET enable_mergejoin = off AS $$
        WITH RECURSIVE chain (id, parent, parent_state) AS (
          SELECT d.job_id, r.id, r.state FROM unnest(roots, root_states) AS r (id, state)
            JOIN job_deps d ON d.depends_on = r.id AND NOT d.met
            JOIN jobs j ON j.id = d.job_id AND j.state IN ('pending', 'failed')
          UNION
          SELECT d.job_id, c.id, 'cancelled'::text FROM chain c
            JOIN job_deps d ON d.depends_on = c.id AND NOT d.met
            JOIN jobs j ON j.id = d.job_id AND j.state IN ('pending', 'failed')),
        cancelled AS (
          UPDATE jobs SET state = 'cancelled', finished_at = now_ms(given), updated_at = now_ms(given),
            last_error = replace(replace(p_message, '{id}', c.parent), '{state}', c.parent_state)
          FROM (SELECT DISTINCT ON (id) id, parent, parent_state FROM chain ORDER BY id, parent) c
          WHERE jobs.id = c.id AND jobs.state IN ('pending', 'failed')
          RETURNING jobs.id, jobs.runs, jobs.last_exit_code, jobs.command, jobs.queue)
        INSERT INTO pending_hooks (job_id, state, attempt, exit_code, command, queue, created_at)
          SELECT id, 'cancelled', runs, last_exit_code, command, queue, now_ms(given) FROM cancelled
          WHERE EXISTS (SELECT 1 FROM config WHERE key = 'hook:on-cancelled')
      $$;

      CREATE OR REPLACE FUNCTION cancel_doomed(ids text[], given bigint, p_cancel text[],
          p_message text)
      RETURNS void LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off AS $$
      DECLARE done text[];
      BEGIN
        PERFORM 1 FROM job_deps d JOIN jobs p ON p.id = d.depends_on
          WHERE d.job_id = ANY(ids) AND NOT d.met ORDER BY p.id FOR SHARE OF p;
        WITH doomed AS (
            SELECT DISTINCT ON (d.job_id) d.job_id AS id, d.depends_on AS parent, p.state AS parent_state
            FROM job_deps d JOIN jobs p ON p.id = d.depends_on
            WHERE d.job_id = ANY(ids) AND NOT d.met AND p.state = ANY(p_cancel)
            ORDER BY d.job_id, d.depends_on),
          cancelled AS (
            UPDATE jobs SET state = 'cancelled', finished_at = now_ms(given), updated_at = now_ms(given),
              last_error = replace(replace(p_message, '{id}', doomed.parent), '{state}', doomed.parent_state)
            FROM doomed WHERE jobs.id = doomed.id AND jobs.state IN ('pending', 'failed')
            RETURNING jobs.id)
        SELECT array_agg(id) INTO done FROM cancelled;
        IF done IS NOT NULL THEN
          INSERT INTO pending_hooks (job_id, state, attempt, exit_code, command, queue, created_at)
            SELECT id, 'cancelled', runs, last_exit_code, command, queue, now_ms(given) FROM jobs
            WHERE id = ANY(done) AND EXISTS (SELECT 1 FROM config WHERE key = 'hook:on-cancelled');
          PERFORM cancel_dependents(done, array_fill('cancelled'::text, ARRAY[cardinality(done)]),
            given, p_message);
        END IF;
      END $$;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

const UNDEFINED_TABLE = '42P01';

/** The schema version recorded in the store's schema (0: none yet). */
export async function currentVersion(db: pg.Pool | pg.PoolClient): Promise<number> {
  try {
    const { rows } = await db.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM migrations',
    );
    return rows[0]?.v ?? 0;
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE) return 0;
    throw error;
  }
}

/** Brings the schema up to date; returns the versions before and after. */
export async function migrate(
  pool: pg.Pool,
  schema: string,
): Promise<{ from: number; to: number }> {
  const seen = await currentVersion(pool);
  if (seen === SCHEMA_VERSION) return { from: seen, to: seen };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `queuectl.migrate.${schema}`,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const from = await currentVersion(client);
    if (from > SCHEMA_VERSION) {
      throw new Error(
        `schema "${schema}" was written by a newer queuectl (schema ${from}, this one knows ${SCHEMA_VERSION}); upgrade queuectl`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= from) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
    }
    await client.query('COMMIT');
    return { from, to: SCHEMA_VERSION };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
