/**
 * Numbered schema migrations for the PostgreSQL store, recorded in the `migrations` table of the
 * store's schema. They run in one transaction under a transaction-scoped advisory lock, so when
 * many workers start at once one migrates and the others wait, then find it done.
 * Never edit a released migration; add one. Times are bigint epoch milliseconds.
 */
import type pg from 'pg';
import { quoteIdent } from './connection.js';

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
    version: 4,
    name: 'maintenance leader, recurring schedules, hooks of command-settled jobs, retention index',
    // Version 3 is issue 14's (named queues …); the two apply in order whichever lands first.
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

      -- Issue 14's named queues: a queue column goes here.
      CREATE TABLE schedules (
        name            text    PRIMARY KEY,
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
        created_at bigint  NOT NULL
      );

      CREATE INDEX jobs_finished ON jobs (state, finished_at, seq)
        WHERE state IN ('completed', 'dead', 'cancelled');
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
