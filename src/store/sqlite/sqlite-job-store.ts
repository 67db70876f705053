/** The SQLite store: one file, WAL mode, every write in a BEGIN IMMEDIATE transaction. */
import type Database from 'better-sqlite3';
import type { Clock } from '../../core/clock.js';
import { ConflictError, DuplicateJobError, NotFoundError } from '../../core/errors.js';
import {
  emptyCounts,
  type Attempt,
  type FinishedState,
  type Job,
  type JobChanges,
  type JobEnvironment,
  type JobState,
  type NewJob,
  type StateCounts,
  type WorkerInfo,
} from '../../core/job.js';
import type { PendingHook } from '../../core/hooks.js';
import type { NewSchedule, ScheduleAdvance, StoredSchedule } from '../../core/schedule.js';
import type {
  CancelledJob,
  ClaimedJob,
  ExpiredCursor,
  ExpiredPage,
  ExpiredParams,
  LeaderInfo,
  ClaimParams,
  Heartbeat,
  HeldJob,
  JobListParams,
  JobStore,
  Lease,
  NextState,
  RemovedJob,
  RunTotals,
  SettleAndClaimParams,
  SettledAndClaimed,
  SettleParams,
  Stats,
  StatsParams,
} from '../job-store.js';
import {
  cancelAction,
  checkDeletable,
  checkExists,
  checkRestartable,
  checkUpdatable,
  notRetryable,
} from '../job-rules.js';
import {
  decodeEnvironment,
  encodeEnvironment,
  environmentKey,
  type EncodedEnvironment,
} from '../environments.js';
import { toClaimed, toJob, toLeader, toSchedule, toWorker, type Row } from '../rows.js';
import { withBrokenErrors } from '../broken-store.js';
import { FileGuard } from './file-guard.js';
import { openDatabase, openForInspection } from './open-database.js';
import { sqliteClassifier } from './sqlite-errors.js';
import { watchWal } from './watch-wal.js';
import { prepareStatements, type Statements } from './statements.js';
import { computeStats, runTotals } from './stats-queries.js';

/** Batches up to this size are inserted directly; larger input is staged first. */
const DIRECT_INSERT_LIMIT = 1000;
/** Jobs restarted per transaction by jobRestartState. */
const RESTART_BATCH = 1000;
/** Pages (4 KiB) given back to the file system per storeCompact step: 2 MiB. */
const COMPACT_PAGES = 512;

/** When the run_at of a settled job is reset: a retry's delay, or now for pending. */
function settleRunAt(next: NextState, now: number): number | null {
  if (next.state === 'failed') return now + next.delayMs;
  return next.state === 'pending' ? now : null;
}

/**
 * Environments of one enqueue, numbered in the order first met; a job refers to its own by that
 * number until the move, when each gets its row id (found or inserted once).
 */
class BatchEnvironments {
  readonly list: EncodedEnvironment[] = [];
  private readonly keys = new Map<string, number>();
  private lastEnv: JobEnvironment | null = null;
  private lastKey = -1;

  /** The number of `env` in this batch (null for none). */
  keyOf(env: JobEnvironment | null): number | null {
    if (env === null) return null;
    if (env === this.lastEnv) return this.lastKey;
    const encoded = encodeEnvironment(env);
    const text = environmentKey(encoded);
    let key = this.keys.get(text);
    if (key === undefined) {
      key = this.list.length;
      this.list.push(encoded);
      this.keys.set(text, key);
    }
    this.lastEnv = env;
    this.lastKey = key;
    return key;
  }
}

/**
 * Opens the store with every error that means a broken file (corrupt, not a database, I/O,
 * read-only, disk full, deleted while in use) raised as StoreBrokenError, opening included.
 */
export function openSqliteStore(
  location: string,
  clock: Clock,
  options: { durable: boolean; inspect?: boolean },
): SqliteJobStore {
  const classify = sqliteClassifier(location);
  try {
    return withBrokenErrors(new SqliteJobStore(location, clock, options), classify);
  } catch (error) {
    throw classify(error) ?? error;
  }
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export class SqliteJobStore implements JobStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly sql: Statements;
  /**
   * Checked before each write a worker makes: see file-guard.ts. Only workers' connections
   * (not durable) have one: they live long and write; a command's write is over in milliseconds,
   * and the stat calls cost the plain enqueue's start-up.
   */
  private readonly files: FileGuard | null;
  /** The hot transactions, built once (db.transaction() makes a new wrapper on every call). */
  private readonly claimTransaction: Database.Transaction<
    (params: ClaimParams, now: number) => ClaimedJob | null
  >;
  private readonly settleTransaction: Database.Transaction<
    (params: SettleParams, now: number) => JobState | null
  >;
  private readonly settleAndClaimTransaction: Database.Transaction<
    (params: SettleAndClaimParams, now: number) => SettledAndClaimed
  >;

  constructor(
    readonly location: string,
    private readonly clock: Clock,
    /** inspect: read only, on an existing database of this schema version (doctor). */
    options: { durable: boolean; inspect?: boolean },
  ) {
    this.db = options.inspect ? openForInspection(location) : openDatabase(location, options);
    this.files = location === ':memory:' || options.durable ? null : new FileGuard(location);
    this.sql = prepareStatements(this.db);
    this.claimTransaction = this.db.transaction(this.claimRows.bind(this));
    this.settleTransaction = this.db.transaction(this.settleRows.bind(this));
    this.settleAndClaimTransaction = this.db.transaction(this.settleAndClaimRows.bind(this));
  }

  async close(): Promise<void> {
    this.db.close();
  }

  async now(): Promise<number> {
    return this.clock.now();
  }

  subscribe(onChange: () => void): () => void {
    return watchWal(this.location, onChange);
  }

  async jobInsertMany(batches: AsyncIterable<NewJob[]> | Iterable<NewJob[]>): Promise<number> {
    const iterator =
      Symbol.asyncIterator in batches
        ? batches[Symbol.asyncIterator]()
        : (batches as Iterable<NewJob[]>)[Symbol.iterator]();
    const first = await iterator.next();
    if (first.done) return 0;
    const second = await iterator.next();
    if (second.done && first.value.length <= DIRECT_INSERT_LIMIT) {
      return this.insertDirect(first.value);
    }
    return this.insertStaged(first.value, second.done ? [] : second.value, iterator);
  }

  /** The row id of an environment, inserted if it is not stored yet (inside a write transaction). */
  private environmentId(env: EncodedEnvironment): number {
    const args = { inherit: env.inherit ? 1 : 0, vars: env.vars };
    const found = this.sql.findEnvironment.get(args) as { id: number } | undefined;
    if (found) return found.id;
    return (this.sql.insertEnvironment.get({ ...args, names: env.names }) as { id: number }).id;
  }

  private insertDirect(jobs: NewJob[]): number {
    const now = this.clock.now();
    const envs = new BatchEnvironments();
    this.db
      .transaction(() => {
        const ids = new Map<number, number>();
        jobs.forEach((job, position) => {
          const key = envs.keyOf(job.env ?? null);
          let envId: number | null = null;
          if (key !== null) {
            envId = ids.get(key) ?? this.environmentId(envs.list[key]!);
            ids.set(key, envId);
          }
          try {
            this.sql.insertJob.run({
              id: job.id,
              command: job.command,
              priority: job.priority,
              max_retries: job.max_retries,
              timeout_seconds: job.timeout_seconds,
              run_at: job.run_at ?? now,
              cwd: job.cwd ?? null,
              env_id: envId,
              now,
            });
          } catch (error) {
            if (isUniqueViolation(error)) throw new DuplicateJobError(job.id, position);
            throw error;
          }
        });
      })
      .immediate();
    return jobs.length;
  }

  /**
   * Large or streamed input goes to a temporary table first (which takes no lock on the
   * database), then moves in one short IMMEDIATE transaction: workers are never blocked while
   * the input is read, and the batch is still all-or-nothing. Duplicates are left to the jobs
   * table's unique id, and only when it refuses the move is the staging table searched for the
   * first one: checking each row on the way costs a third of a big enqueue.
   */
  private async insertStaged(
    first: NewJob[],
    second: NewJob[],
    rest: AsyncIterator<NewJob[]> | Iterator<NewJob[]>,
  ): Promise<number> {
    this.db.exec(`CREATE TEMP TABLE IF NOT EXISTS staging (
      pos INTEGER PRIMARY KEY, id TEXT NOT NULL, command TEXT NOT NULL, priority INTEGER NOT NULL,
      max_retries INTEGER NOT NULL, timeout_seconds REAL, run_at INTEGER, cwd TEXT, env_key INTEGER);
      CREATE TEMP TABLE IF NOT EXISTS staging_envs (key INTEGER PRIMARY KEY, id INTEGER NOT NULL)`);
    const stage = this.db.prepare(
      `INSERT INTO temp.staging (pos, id, command, priority, max_retries, timeout_seconds, run_at, cwd, env_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const envs = new BatchEnvironments();
    let position = 0;
    const stageBatch = this.db.transaction((jobs: NewJob[]) => {
      for (const job of jobs) {
        stage.run(
          position++,
          job.id,
          job.command,
          job.priority,
          job.max_retries,
          job.timeout_seconds,
          job.run_at,
          job.cwd ?? null,
          envs.keyOf(job.env ?? null),
        );
      }
    });
    try {
      stageBatch(first);
      stageBatch(second);
      for (let next = await rest.next(); !next.done; next = await rest.next())
        stageBatch(next.value);
      // Each environment is looked up (or stored) once, and the jobs get its id in the move.
      const move = this.db.prepare(
        `INSERT INTO main.jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at, cwd, env_id)
         SELECT s.id, s.command, 'pending', s.priority, s.max_retries, s.timeout_seconds,
           COALESCE(s.run_at, :now), :now, :now, s.cwd, ${envs.list.length ? 'e.id' : 'NULL'}
         FROM temp.staging s
         ${envs.list.length ? 'LEFT JOIN temp.staging_envs e ON e.key = s.env_key' : ''}
         ORDER BY s.pos`,
      );
      const mapEnv = this.db.prepare('INSERT INTO temp.staging_envs (key, id) VALUES (?, ?)');
      try {
        this.db
          .transaction(() => {
            envs.list.forEach((env, key) => mapEnv.run(key, this.environmentId(env)));
            move.run({ now: this.clock.now() });
          })
          .immediate();
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const duplicate = this.firstStagedDuplicate();
        throw new DuplicateJobError(duplicate.id, duplicate.pos);
      }
      return position;
    } finally {
      this.db.exec('DELETE FROM temp.staging; DELETE FROM temp.staging_envs');
    }
  }

  /** The staged row with the lowest position whose id is already stored or staged before it. */
  private firstStagedDuplicate(): { id: string; pos: number } {
    return this.db
      .prepare(
        `SELECT id, pos FROM (
           SELECT s.id, s.pos FROM temp.staging s WHERE EXISTS (SELECT 1 FROM main.jobs j WHERE j.id = s.id)
           UNION ALL
           SELECT id, pos FROM (
             SELECT id, pos, row_number() OVER (PARTITION BY id ORDER BY pos) AS nth FROM temp.staging)
           WHERE nth > 1)
         ORDER BY pos LIMIT 1`,
      )
      .get() as { id: string; pos: number };
  }

  async jobGet(id: string): Promise<Job | null> {
    const row = this.sql.getJob.get(id) as Row | undefined;
    return row ? toJob(row) : null;
  }

  async jobList(params: JobListParams): Promise<Job[]> {
    let beforeSeq = Number.MAX_SAFE_INTEGER;
    if (params.before !== undefined) {
      const row = this.sql.getSeq.get(params.before) as { seq: number } | undefined;
      if (!row) throw new NotFoundError(`no job with id "${params.before}"`);
      beforeSeq = row.seq;
    }
    const search = params.search ? `%${params.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const args = { state: params.state ?? null, before: beforeSeq, limit: params.limit, search };
    const statement = params.state ? this.sql.listJobsInState : this.sql.listJobs;
    return (statement.all(args) as Row[]).map(toJob);
  }

  async jobCountByState(): Promise<StateCounts> {
    const counts = emptyCounts();
    for (const row of this.sql.countJobs.all() as { state: keyof StateCounts; n: number }[]) {
      counts[row.state] = row.n;
    }
    return counts;
  }

  async jobNextDueIn(): Promise<number | null> {
    return (this.sql.nextDueIn.get({ now: this.clock.now() }) as { ms: number | null }).ms;
  }

  async jobClaim(params: ClaimParams): Promise<ClaimedJob | null> {
    this.files?.check();
    return this.claimTransaction.immediate(params, this.clock.now());
  }

  async jobSettle(params: SettleParams): Promise<JobState | null> {
    this.files?.check();
    return this.settleTransaction.immediate(params, this.clock.now());
  }

  async jobSettleAndClaim(params: SettleAndClaimParams): Promise<SettledAndClaimed> {
    this.files?.check();
    return this.settleAndClaimTransaction.immediate(params, this.clock.now());
  }

  private settleAndClaimRows(params: SettleAndClaimParams, now: number): SettledAndClaimed {
    const state = this.settleRows(params.settle, now);
    let claimed: ClaimedJob | null = null;
    try {
      claimed = this.claimTransaction(params.claim, now); // nested: a savepoint
    } catch {
      // The settle stands; the worker's own claim meets this error again and reports it.
    }
    return { settled: state !== null, state, claimed };
  }

  private claimRows(params: ClaimParams, now: number): ClaimedJob | null {
    const row = this.sql.claimJob.get({
      now,
      worker: params.workerId,
      lease: params.leaseMs,
    }) as Row | undefined;
    if (!row) return null;
    if (row.env_id !== null) Object.assign(row, this.sql.getEnvironment.get(row.env_id));
    const claimed = toClaimed(row, params.workerId);
    const opened = this.sql.openAttempt.run({
      job: claimed.lease.jobId,
      run: claimed.lease.run,
      worker: params.workerId,
      now,
    });
    if (opened.changes === 0) {
      throw new Error(`worker ${params.workerId} must be registered before it claims jobs`);
    }
    return claimed;
  }

  private settleRows(
    { lease, run, next, ifCancelRequested }: SettleParams,
    now: number,
  ): JobState | null {
    const cancelNext = ifCancelRequested ?? next;
    const settled = this.sql.settleJob.get({
      job: lease.jobId,
      worker: lease.workerId,
      run: lease.run,
      state: next.state,
      run_at: settleRunAt(next, now),
      cancel_state: cancelNext.state,
      cancel_run_at: settleRunAt(cancelNext, now),
      error: run.error,
      exit_code: run.exitCode,
      now,
    }) as { state: JobState } | undefined;
    if (!settled) return null;
    this.sql.closeAttempt.run({
      job: lease.jobId,
      run: lease.run,
      now,
      exit_code: run.exitCode,
      signal: run.signal,
      outcome: run.outcome,
      error: run.error,
    });
    return settled.state;
  }

  async jobListHeld(): Promise<HeldJob[]> {
    return (this.sql.listHeld.all({ now: this.clock.now() }) as Row[]).map((row) => ({
      jobId: row.jobId as string,
      run: row.run as number,
      workerId: row.workerId as string,
      host: (row.host as string | null) ?? '',
      pid: (row.pid as number | null) ?? 0,
      pidStart: row.pidStart as string | null,
      jobPid: row.jobPid as number | null,
      leaseExpired: row.leaseExpired === 1,
      attempts: row.attempts as number,
      maxRetries: row.maxRetries as number,
      cancelRequested: row.cancelRequested === 1,
    }));
  }

  /** One job as read back after a change (with its environment's names). */
  private readJob(id: string): Job {
    return toJob(this.sql.getJob.get(id) as Row);
  }

  private stateOf(id: string): JobState | undefined {
    return (this.sql.getState.get(id) as { state: JobState } | undefined)?.state;
  }

  /**
   * Runs `change` in one IMMEDIATE transaction after `check` has passed for every id (it throws
   * to refuse), so that one refused id changes nothing.
   */
  private allOrNothing<T>(
    ids: string[],
    check: (id: string, state: JobState | undefined) => void,
    change: (id: string, now: number) => T,
  ): T[] {
    const now = this.clock.now();
    return this.db
      .transaction((): T[] => {
        for (const id of ids) check(id, this.stateOf(id));
        return ids.map((id) => change(id, now));
      })
      .immediate();
  }

  async jobRetryDead(params: { ids: string[] }): Promise<Job[]> {
    return this.allOrNothing(
      params.ids,
      (id, state) => {
        if (state !== 'dead') throw notRetryable(id, state);
      },
      (id, now) => {
        this.sql.retryDead.run({ id, now });
        return this.readJob(id);
      },
    );
  }

  async jobDelete(params: { ids: string[]; onlyIf?: JobState }): Promise<RemovedJob[]> {
    return this.allOrNothing(
      params.ids,
      (id, state) => checkDeletable(id, state, params.onlyIf),
      (id) => {
        const row = this.sql.deleteJob.get(id) as { runs: number; env_id: number | null };
        this.sql.deleteAttempts.run(id);
        if (row.env_id !== null) this.sql.dropUnusedEnvironment.run({ id: row.env_id });
        return { id, runs: row.runs };
      },
    );
  }

  async jobCancel(params: { ids: string[] }): Promise<CancelledJob[]> {
    const actions = new Map<string, 'now' | 'stop'>();
    return this.allOrNothing(
      params.ids,
      (id, state) => actions.set(id, cancelAction(id, state)),
      (id, now) => {
        const stopping = actions.get(id) === 'stop';
        (stopping ? this.sql.requestCancel : this.sql.cancelNow).run({ id, now });
        // Settled here, by a command: the maintenance leader runs its on-cancelled hook.
        if (!stopping) this.sql.queueCancelHook.run({ id, now });
        return { job: this.readJob(id), stopping };
      },
    );
  }

  async jobRestart(params: { ids: string[] }): Promise<Job[]> {
    return this.allOrNothing(params.ids, checkRestartable, (id, now) => {
      this.sql.restartJob.run({ id, now });
      return this.readJob(id);
    });
  }

  async jobRestartState(params: { state: FinishedState }): Promise<number> {
    const { last } = this.sql.lastSeq.get() as { last: number };
    const batch = this.db.transaction((after: number): { upto: number | null; moved: number } => {
      const { upto } = this.sql.restartBatchEnd.get({
        state: params.state,
        after,
        last,
        limit: RESTART_BATCH,
      }) as { upto: number | null };
      if (upto === null) return { upto, moved: 0 };
      const args = { state: params.state, after, upto, now: this.clock.now() };
      return { upto, moved: this.sql.restartRange.run(args).changes };
    });
    let moved = 0;
    for (let after = 0; ;) {
      const done = batch.immediate(after);
      if (done.upto === null) return moved;
      moved += done.moved;
      after = done.upto;
    }
  }

  async jobUpdate(params: { id: string; changes: JobChanges }): Promise<Job> {
    const { changes } = params;
    return this.allOrNothing([params.id], checkUpdatable, (id, now) => {
      this.sql.updateJob.run({
        id,
        now,
        priority: changes.priority ?? null,
        run_at: changes.run_at ?? null,
        max_retries: changes.max_retries ?? null,
        command: changes.command ?? null,
        set_timeout: changes.timeout_seconds === undefined ? 0 : 1,
        timeout_seconds: changes.timeout_seconds ?? null,
      });
      return this.readJob(id);
    })[0]!;
  }

  async jobEnvironment(params: { id: string }): Promise<JobEnvironment | null> {
    const row = this.sql.jobEnvironment.get(params.id) as Row | undefined;
    checkExists(params.id, row?.state as JobState | undefined);
    return typeof row!.vars === 'string' ? decodeEnvironment(row!.inherit, row!.vars) : null;
  }

  async jobCancelRequested(params: { lease: Lease }): Promise<boolean> {
    const { lease } = params;
    const row = this.sql.cancelRequested.get({
      job: lease.jobId,
      worker: lease.workerId,
      run: lease.run,
    }) as { cancel_requested: number } | undefined;
    return row?.cancel_requested === 1;
  }

  async attemptList(params: { jobId: string }): Promise<Attempt[]> {
    return this.sql.listAttempts.all(params.jobId) as Attempt[];
  }

  async workerRegister(params: {
    id: string;
    host: string;
    pid: number;
    pidStart: string | null;
  }): Promise<void> {
    this.sql.registerWorker.run({ ...params, now: this.clock.now() });
  }

  async workerHeartbeat(params: {
    workerId: string;
    lease: Lease | null;
    leaseMs: number;
    jobPid: number | null;
  }): Promise<Heartbeat> {
    this.files?.check();
    const now = this.clock.now();
    return this.db
      .transaction((): Heartbeat => {
        const { lease } = params;
        const worker = this.sql.heartbeat.get({
          id: params.workerId,
          now,
          job: lease?.jobId ?? null,
        }) as { stop_requested: number } | undefined;
        let held: { cancel_requested: number } | undefined;
        if (lease) {
          const args = { job: lease.jobId, worker: lease.workerId, run: lease.run };
          held = this.sql.renewLease.get({ ...args, until: now + params.leaseMs }) as
            { cancel_requested: number } | undefined;
          if (held && params.jobPid !== null)
            this.sql.setJobPid.run({ ...args, pid: params.jobPid });
        }
        return {
          known: worker !== undefined,
          stopRequested: worker?.stop_requested === 1,
          leaseHeld: held !== undefined,
          cancelRequested: held?.cancel_requested === 1,
        };
      })
      .immediate();
  }

  async workerDeregister(params: { workerId: string }): Promise<void> {
    this.sql.deregisterWorker.run(params.workerId);
  }

  async workerList(params: { staleAfterMs: number }): Promise<(WorkerInfo & { stale: boolean })[]> {
    const rows = this.sql.listWorkers.all({
      now: this.clock.now(),
      stale: params.staleAfterMs,
    }) as Row[];
    return rows.map((row) => ({ ...toWorker(row), stale: row.stale === 1 }));
  }

  async workerRequestStop(params: { host?: string }): Promise<WorkerInfo[]> {
    return (this.sql.requestStop.all({ host: params.host ?? null }) as Row[]).map(toWorker);
  }

  async configGetAll(): Promise<Record<string, string>> {
    const rows = this.sql.configAll.all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  }

  async configSet(params: { key: string; value: string }): Promise<void> {
    this.sql.configSet.run(params);
  }

  async stats(params: StatsParams): Promise<Stats> {
    return computeStats(this.db, this.clock.now(), params.sinceMs, await this.jobCountByState());
  }

  async attemptTotals(params: { bucketsMs: number[] }): Promise<RunTotals> {
    return runTotals(this.db, params.bucketsMs);
  }

  // ---- Issue 15: the maintenance leader, retention, schedules, hooks ----

  async leaderAcquire(params: {
    name: string;
    holder: string;
    host: string;
    ttlMs: number;
  }): Promise<{ held: boolean; leader: LeaderInfo | null }> {
    this.files?.check();
    const now = this.clock.now();
    return this.db
      .transaction(() => {
        const granted = this.sql.leaderAcquire.run({
          name: params.name,
          holder: params.holder,
          host: params.host,
          ttl: params.ttlMs,
          now,
        }).changes;
        const row = this.sql.leaderGet.get({ name: params.name, now }) as Row | undefined;
        return { held: granted > 0, leader: row ? toLeader(row) : null };
      })
      .immediate();
  }

  async leaderRelease(params: { name: string; holder: string }): Promise<void> {
    this.sql.leaderRelease.run({ ...params, now: this.clock.now() });
  }

  async leaderGet(params: { name: string }): Promise<LeaderInfo | null> {
    const row = this.sql.leaderGet.get({ name: params.name, now: this.clock.now() }) as
      Row | undefined;
    return row ? toLeader(row) : null;
  }

  async jobListExpired(
    params: ExpiredParams & { after: ExpiredCursor | null },
  ): Promise<ExpiredPage> {
    const rows = this.sql.listExpired.all({
      state: params.state,
      cutoff: this.clock.now() - params.olderThanMs,
      after_at: params.after?.finishedAt ?? -Number.MAX_SAFE_INTEGER,
      after_seq: params.after?.seq ?? 0,
      limit: params.limit,
    }) as Row[];
    const last = rows[rows.length - 1];
    return {
      jobs: rows.map((row) => ({ id: row.id as string, runs: row.runs as number })),
      next:
        rows.length < params.limit || !last
          ? null
          : { finishedAt: last.finished_at as number, seq: last.seq as number },
    };
  }

  async jobPurgeExpired(params: ExpiredParams): Promise<RemovedJob[]> {
    this.files?.check();
    const cutoff = this.clock.now() - params.olderThanMs;
    return this.db
      .transaction(() => {
        const rows = this.sql.purgeExpired.all({
          state: params.state,
          cutoff,
          limit: params.limit,
        }) as { id: string; runs: number; env_id: number | null }[];
        const envIds = new Set<number>();
        for (const row of rows) {
          this.sql.deleteAttempts.run(row.id);
          if (row.env_id !== null) envIds.add(row.env_id);
        }
        for (const id of envIds) this.sql.dropUnusedEnvironment.run({ id });
        return rows.map((row) => ({ id: row.id, runs: row.runs }));
      })
      .immediate();
  }

  async storeCompact(): Promise<number> {
    if (this.db.pragma('auto_vacuum', { simple: true }) !== 2) return 0;
    const free = () => this.db.pragma('freelist_count', { simple: true }) as number;
    const before = free();
    if (before === 0) return 0;
    this.files?.check();
    this.db.pragma(`incremental_vacuum(${COMPACT_PAGES})`);
    return before - free();
  }

  async scheduleInsert(schedule: NewSchedule): Promise<void> {
    const env = schedule.env ? encodeEnvironment(schedule.env) : null;
    const inserted = this.sql.insertSchedule.run({
      name: schedule.name,
      cron: schedule.cron,
      timezone: schedule.timezone,
      every_ms: schedule.every_ms,
      command: schedule.command,
      priority: schedule.priority,
      max_retries: schedule.max_retries,
      timeout_seconds: schedule.timeout_seconds,
      cwd: schedule.cwd,
      env_inherit: env ? (env.inherit ? 1 : 0) : null,
      env_vars: env?.vars ?? null,
      env_names: env?.names ?? null,
      overlap: schedule.overlap,
      catch_up: schedule.catch_up ? 1 : 0,
      anchor_at: schedule.anchor_at,
      next_at: schedule.next_at,
      now: this.clock.now(),
    }).changes;
    if (inserted === 0) {
      throw new ConflictError(
        `a schedule named "${schedule.name}" exists; remove it first (queuectl schedule rm ${schedule.name}) or choose another name`,
      );
    }
  }

  async scheduleList(): Promise<StoredSchedule[]> {
    return (this.sql.listSchedules.all() as Row[]).map(toSchedule);
  }

  async scheduleDelete(params: { name: string }): Promise<boolean> {
    return this.sql.deleteSchedule.run(params.name).changes > 0;
  }

  async scheduleSetPaused(params: {
    name: string;
    paused: boolean;
    nextAt?: number | null;
  }): Promise<boolean> {
    return (
      this.sql.pauseSchedule.run({
        name: params.name,
        paused: params.paused ? 1 : 0,
        set_next: params.nextAt === undefined ? 0 : 1,
        next_at: params.nextAt ?? null,
        now: this.clock.now(),
      }).changes > 0
    );
  }

  async scheduleAdvance(params: ScheduleAdvance): Promise<boolean> {
    this.files?.check();
    const now = this.clock.now();
    return this.db
      .transaction(() => {
        const moved = this.sql.advanceSchedule.run({
          name: params.name,
          from: params.from,
          to: params.to,
          slot: params.fire?.slotAt ?? null,
          job: params.fire?.job.id ?? null,
          fired: params.fire ? 1 : 0,
          skipped: params.skipped,
          missed: params.missed,
          now,
        }).changes;
        if (moved === 0 || !params.fire) return moved > 0;
        const { job } = params.fire;
        this.sql.insertSlotJob.run({
          id: job.id,
          command: job.command,
          priority: job.priority,
          max_retries: job.max_retries,
          timeout_seconds: job.timeout_seconds,
          cwd: job.cwd,
          env_id: job.env ? this.environmentId(encodeEnvironment(job.env)) : null,
          now,
        });
        return true;
      })
      .immediate();
  }

  async configDelete(params: { key: string }): Promise<boolean> {
    return this.sql.configDelete.run(params.key).changes > 0;
  }

  async hookOutboxTake(params: { limit: number }): Promise<PendingHook[]> {
    const rows = this.sql.takeHooks.all({ limit: params.limit }) as (PendingHook & {
      created_at: number;
    })[];
    return rows.sort((a, b) => a.created_at - b.created_at);
  }
}
