/**
 * Numbered schema migrations for the SQLite store, applied in order inside one BEGIN IMMEDIATE
 * transaction and recorded in PRAGMA user_version. Never edit a released migration; add one.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE jobs (
        seq              INTEGER PRIMARY KEY,
        id               TEXT    NOT NULL UNIQUE,
        command          TEXT    NOT NULL,
        state            TEXT    NOT NULL
          CHECK (state IN ('pending', 'processing', 'completed', 'failed', 'dead')),
        priority         INTEGER NOT NULL DEFAULT 0,
        attempts         INTEGER NOT NULL DEFAULT 0,
        runs             INTEGER NOT NULL DEFAULT 0,
        max_retries      INTEGER NOT NULL,
        timeout_seconds  REAL,
        run_at           INTEGER NOT NULL,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        started_at       INTEGER,
        finished_at      INTEGER,
        last_error       TEXT,
        last_exit_code   INTEGER,
        worker_id        TEXT,
        lease_expires_at INTEGER
      );
      -- The claim query walks this index in order and stops at the first due job.
      CREATE INDEX jobs_ready ON jobs (priority DESC, seq) WHERE state IN ('pending', 'failed');
      -- Queue lag: the oldest due job.
      CREATE INDEX jobs_ready_run_at ON jobs (run_at) WHERE state IN ('pending', 'failed');
      CREATE INDEX jobs_held ON jobs (worker_id) WHERE state = 'processing';
      CREATE INDEX jobs_state_seq ON jobs (state, seq);

      -- Per-state counts kept by triggers, so status is O(1) at any size.
      CREATE TABLE job_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO job_counts (state, n) VALUES
        ('pending', 0), ('processing', 0), ('completed', 0), ('failed', 0), ('dead', 0);
      CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN
        UPDATE job_counts SET n = n + 1 WHERE state = NEW.state;
      END;
      CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
      END;
      CREATE TRIGGER jobs_count_update AFTER UPDATE OF state ON jobs
        WHEN NEW.state <> OLD.state BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
        UPDATE job_counts SET n = n + 1 WHERE state = NEW.state;
      END;

      CREATE TABLE attempts (
        job_id      TEXT    NOT NULL,
        attempt     INTEGER NOT NULL,
        worker_id   TEXT    NOT NULL,
        host        TEXT    NOT NULL,
        pid         INTEGER NOT NULL,
        job_pid     INTEGER,
        started_at  INTEGER NOT NULL,
        finished_at INTEGER,
        exit_code   INTEGER,
        signal      TEXT,
        outcome     TEXT,
        error       TEXT,
        PRIMARY KEY (job_id, attempt)
      ) WITHOUT ROWID;
      CREATE INDEX attempts_finished ON attempts (finished_at) WHERE finished_at IS NOT NULL;

      CREATE TABLE workers (
        id             TEXT    PRIMARY KEY,
        host           TEXT    NOT NULL,
        pid            INTEGER NOT NULL,
        pid_start      TEXT,
        started_at     INTEGER NOT NULL,
        heartbeat_at   INTEGER NOT NULL,
        current_job    TEXT,
        stop_requested INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;

      CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'cancelled state, working directories, environments, cancel requests',
    // SQLite cannot change a CHECK constraint in place: the jobs table is rebuilt as its
    // documented procedure says (https://www.sqlite.org/lang_altertable.html#otheralter): a new
    // table, the rows copied (seq kept), the old one dropped (with its indexes and triggers), the
    // new one renamed, indexes and triggers made again. The counts stay right: the copy goes
    // into a table without the counting triggers.
    sql: `
      -- One row per distinct environment; vars is canonical JSON (names sorted), names the
      -- sorted names alone. AUTOINCREMENT: an id is never reused for another environment.
      CREATE TABLE environments (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        inherit INTEGER NOT NULL CHECK (inherit IN (0, 1)),
        vars    TEXT    NOT NULL,
        names   TEXT    NOT NULL,
        UNIQUE (inherit, vars)
      );

      CREATE TABLE jobs_v2 (
        seq              INTEGER PRIMARY KEY,
        id               TEXT    NOT NULL UNIQUE,
        command          TEXT    NOT NULL,
        state            TEXT    NOT NULL
          CHECK (state IN ('pending', 'processing', 'completed', 'failed', 'dead', 'cancelled')),
        priority         INTEGER NOT NULL DEFAULT 0,
        attempts         INTEGER NOT NULL DEFAULT 0,
        runs             INTEGER NOT NULL DEFAULT 0,
        max_retries      INTEGER NOT NULL,
        timeout_seconds  REAL,
        run_at           INTEGER NOT NULL,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        started_at       INTEGER,
        finished_at      INTEGER,
        last_error       TEXT,
        last_exit_code   INTEGER,
        worker_id        TEXT,
        lease_expires_at INTEGER,
        cwd              TEXT,
        env_id           INTEGER REFERENCES environments (id),
        cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1))
      );
      INSERT INTO jobs_v2 (seq, id, command, state, priority, attempts, runs, max_retries,
          timeout_seconds, run_at, created_at, updated_at, started_at, finished_at, last_error,
          last_exit_code, worker_id, lease_expires_at)
        SELECT seq, id, command, state, priority, attempts, runs, max_retries, timeout_seconds,
          run_at, created_at, updated_at, started_at, finished_at, last_error, last_exit_code,
          worker_id, lease_expires_at
        FROM jobs ORDER BY seq;
      DROP TABLE jobs;
      ALTER TABLE jobs_v2 RENAME TO jobs;

      CREATE INDEX jobs_ready ON jobs (priority DESC, seq) WHERE state IN ('pending', 'failed');
      CREATE INDEX jobs_ready_run_at ON jobs (run_at) WHERE state IN ('pending', 'failed');
      CREATE INDEX jobs_held ON jobs (worker_id) WHERE state = 'processing';
      CREATE INDEX jobs_state_seq ON jobs (state, seq);
      -- Whether an environment is still used, when jobs are deleted.
      CREATE INDEX jobs_env ON jobs (env_id) WHERE env_id IS NOT NULL;

      INSERT INTO job_counts (state, n) VALUES ('cancelled', 0);
      CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN
        UPDATE job_counts SET n = n + 1 WHERE state = NEW.state;
      END;
      CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
      END;
      CREATE TRIGGER jobs_count_update AFTER UPDATE OF state ON jobs
        WHEN NEW.state <> OLD.state BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
        UPDATE job_counts SET n = n + 1 WHERE state = NEW.state;
      END;
    `,
  },
  {
    version: 3,
    name: 'named queues with limits and pauses, dependencies, unique keys',
    // Counts per state move from job_counts into each queue's row, kept by the same triggers;
    // the claim reads them (a limit is processing < concurrency). The ready-job indexes are
    // per queue and hold only jobs whose dependencies are met (waiting_on = 0), so a claim
    // never walks jobs of paused queues or jobs waiting for others.
    sql: `
      CREATE TABLE queues (
        name        TEXT    PRIMARY KEY,
        concurrency INTEGER CHECK (concurrency IS NULL OR concurrency > 0),
        paused      INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
        pending     INTEGER NOT NULL DEFAULT 0,
        processing  INTEGER NOT NULL DEFAULT 0,
        completed   INTEGER NOT NULL DEFAULT 0,
        failed      INTEGER NOT NULL DEFAULT 0,
        dead        INTEGER NOT NULL DEFAULT 0,
        cancelled   INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      INSERT INTO queues (name, pending, processing, completed, failed, dead, cancelled)
        SELECT 'default',
          (SELECT n FROM job_counts WHERE state = 'pending'),
          (SELECT n FROM job_counts WHERE state = 'processing'),
          (SELECT n FROM job_counts WHERE state = 'completed'),
          (SELECT n FROM job_counts WHERE state = 'failed'),
          (SELECT n FROM job_counts WHERE state = 'dead'),
          (SELECT n FROM job_counts WHERE state = 'cancelled');
      DROP TRIGGER jobs_count_insert;
      DROP TRIGGER jobs_count_delete;
      DROP TRIGGER jobs_count_update;
      DROP TABLE job_counts;

      ALTER TABLE jobs ADD COLUMN queue TEXT NOT NULL DEFAULT 'default';
      ALTER TABLE jobs ADD COLUMN unique_key TEXT;
      -- How many of the job's dependencies have not completed yet (job_deps rows with met = 0).
      ALTER TABLE jobs ADD COLUMN waiting_on INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE attempts ADD COLUMN queue TEXT NOT NULL DEFAULT 'default';

      CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN
        UPDATE queues SET pending = pending + (NEW.state = 'pending'),
          processing = processing + (NEW.state = 'processing'),
          completed = completed + (NEW.state = 'completed'), failed = failed + (NEW.state = 'failed'),
          dead = dead + (NEW.state = 'dead'), cancelled = cancelled + (NEW.state = 'cancelled')
        WHERE name = NEW.queue;
      END;
      CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN
        UPDATE queues SET pending = pending - (OLD.state = 'pending'),
          processing = processing - (OLD.state = 'processing'),
          completed = completed - (OLD.state = 'completed'), failed = failed - (OLD.state = 'failed'),
          dead = dead - (OLD.state = 'dead'), cancelled = cancelled - (OLD.state = 'cancelled')
        WHERE name = OLD.queue;
      END;
      CREATE TRIGGER jobs_count_update AFTER UPDATE OF state ON jobs
        WHEN NEW.state <> OLD.state BEGIN
        UPDATE queues SET
          pending = pending + (NEW.state = 'pending') - (OLD.state = 'pending'),
          processing = processing + (NEW.state = 'processing') - (OLD.state = 'processing'),
          completed = completed + (NEW.state = 'completed') - (OLD.state = 'completed'),
          failed = failed + (NEW.state = 'failed') - (OLD.state = 'failed'),
          dead = dead + (NEW.state = 'dead') - (OLD.state = 'dead'),
          cancelled = cancelled + (NEW.state = 'cancelled') - (OLD.state = 'cancelled')
        WHERE name = NEW.queue;
      END;

      -- The claim: per queue, the best ready job (run_at in the index: no table lookup to see
      -- whether it is due). Jobs waiting for dependencies are not in it.
      DROP INDEX jobs_ready;
      CREATE INDEX jobs_ready ON jobs (queue, priority DESC, seq, run_at)
        WHERE state IN ('pending', 'failed') AND waiting_on = 0;
      -- When the next ready job is due, queue lag, runnable counts.
      DROP INDEX jobs_ready_run_at;
      CREATE INDEX jobs_due ON jobs (queue, run_at)
        WHERE state IN ('pending', 'failed') AND waiting_on = 0;
      CREATE INDEX jobs_blocked ON jobs (queue) WHERE state IN ('pending', 'failed') AND waiting_on > 0;
      CREATE INDEX jobs_queue_seq ON jobs (queue, seq);
      -- A unique key is held while its job waits or runs: a second insert does nothing.
      CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
        WHERE unique_key IS NOT NULL AND state IN ('pending', 'failed', 'processing');

      -- job_id runs after depends_on; met once depends_on has completed (never unset again).
      CREATE TABLE job_deps (
        job_id     TEXT    NOT NULL,
        depends_on TEXT    NOT NULL,
        met        INTEGER NOT NULL DEFAULT 0 CHECK (met IN (0, 1)),
        PRIMARY KEY (job_id, depends_on)
      ) WITHOUT ROWID;
      CREATE INDEX job_deps_dependents ON job_deps (depends_on, job_id);
    `,
  },
  {
    version: 4,
    name: 'maintenance leader, recurring schedules, hooks of command-settled jobs, retention index',
    sql: `
      -- The maintenance leader: the worker that holds this row's lease runs the database-wide
      -- duties (core/leadership.ts). term grows with every change of holder.
      CREATE TABLE leaders (
        name       TEXT    PRIMARY KEY,
        holder     TEXT    NOT NULL,
        host       TEXT    NOT NULL,
        term       INTEGER NOT NULL,
        since      INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- Recurring schedules (core/schedule.ts). Either cron (with timezone) or every_ms. The
      -- job's fields as enqueue takes them; max_retries null: config max-retries when it fires.
      -- next_at: the next slot (null: never again); a slot fires by moving next_at on from the
      -- value read (compare and set), and its job's id is "<name>:<slot>", inserted or ignored.
      CREATE TABLE schedules (
        name            TEXT    PRIMARY KEY,
        queue           TEXT    NOT NULL DEFAULT 'default',
        cron            TEXT,
        timezone        TEXT,
        every_ms        INTEGER,
        command         TEXT    NOT NULL,
        priority        INTEGER NOT NULL DEFAULT 0,
        max_retries     INTEGER,
        timeout_seconds REAL,
        cwd             TEXT,
        env_inherit     INTEGER,
        env_vars        TEXT,
        env_names       TEXT,
        overlap         TEXT    NOT NULL CHECK (overlap IN ('skip', 'allow')),
        catch_up        INTEGER NOT NULL DEFAULT 0,
        paused          INTEGER NOT NULL DEFAULT 0,
        anchor_at       INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        next_at         INTEGER,
        last_slot_at    INTEGER,
        last_job_id     TEXT,
        fired           INTEGER NOT NULL DEFAULT 0,
        skipped         INTEGER NOT NULL DEFAULT 0,
        missed          INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;

      -- Jobs settled by a command rather than a worker (cancelled while waiting), whose
      -- on-cancelled hook the maintenance leader runs.
      CREATE TABLE pending_hooks (
        seq        INTEGER PRIMARY KEY,
        job_id     TEXT    NOT NULL,
        state      TEXT    NOT NULL,
        attempt    INTEGER NOT NULL,
        exit_code  INTEGER,
        command    TEXT    NOT NULL,
        queue      TEXT    NOT NULL DEFAULT 'default',
        created_at INTEGER NOT NULL
      );

      -- Retention: finished jobs by finish time. Partial, so a claim (pending -> processing)
      -- does not touch it; queries repeat the IN list verbatim so that SQLite may use it.
      CREATE INDEX jobs_finished ON jobs (state, finished_at, seq)
        WHERE state IN ('completed', 'dead', 'cancelled');
    `,
  },
  {
    version: 5,
    name: 'claim order: priority, then the time a job became due, then enqueue order',
    // Ordered by seq, a claim walked past every job not yet due that was enqueued before the
    // first due one (retries waiting out their backoff, jobs enqueued with a delay): 7 ms a
    // claim behind 100,000 of them. With run_at before seq, a priority's due jobs come first.
    sql: `
      DROP INDEX jobs_ready;
      CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at, seq)
        WHERE state IN ('pending', 'failed') AND waiting_on = 0;
    `,
  },
];
