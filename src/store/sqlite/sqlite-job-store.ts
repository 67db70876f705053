/** The SQLite store: one file, WAL mode, every write in a BEGIN IMMEDIATE transaction. */
import type Database from 'better-sqlite3';
import type { Clock } from '../../core/clock.js';
import { DuplicateJobError, NotFoundError } from '../../core/errors.js';
import {
  emptyCounts,
  type Attempt,
  type Job,
  type JobState,
  type NewJob,
  type StateCounts,
  type WorkerInfo,
} from '../../core/job.js';
import type {
  ClaimedJob,
  ClaimParams,
  HeldJob,
  JobListParams,
  JobStore,
  Lease,
  RunTotals,
  SettleAndClaimParams,
  SettledAndClaimed,
  SettleParams,
  Stats,
  StatsParams,
} from '../job-store.js';
import { checkDeletable, notRetryable } from '../job-rules.js';
import { toClaimed, toJob, toWorker, type Row } from '../rows.js';
import { withBrokenErrors } from '../broken-store.js';
import { FileGuard } from './file-guard.js';
import { openDatabase, openForInspection } from './open-database.js';
import { sqliteClassifier } from './sqlite-errors.js';
import { watchWal } from './watch-wal.js';
import { prepareStatements, type Statements } from './statements.js';
import { computeStats, runTotals } from './stats-queries.js';

/** Batches up to this size are inserted directly; larger input is staged first. */
const DIRECT_INSERT_LIMIT = 1000;

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
    (params: SettleParams, now: number) => boolean
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

  private insertDirect(jobs: NewJob[]): number {
    const now = this.clock.now();
    this.db
      .transaction(() => {
        jobs.forEach((job, position) => {
          try {
            this.sql.insertJob.run({ ...job, run_at: job.run_at ?? now, now });
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
      max_retries INTEGER NOT NULL, timeout_seconds REAL, run_at INTEGER)`);
    const stage = this.db.prepare(
      `INSERT INTO temp.staging (pos, id, command, priority, max_retries, timeout_seconds, run_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
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
        );
      }
    });
    try {
      stageBatch(first);
      stageBatch(second);
      for (let next = await rest.next(); !next.done; next = await rest.next())
        stageBatch(next.value);
      const move = this.db.prepare(
        `INSERT INTO main.jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at)
         SELECT id, command, 'pending', priority, max_retries, timeout_seconds, COALESCE(run_at, :now), :now, :now
         FROM temp.staging ORDER BY pos`,
      );
      try {
        this.db.transaction(() => move.run({ now: this.clock.now() })).immediate();
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const duplicate = this.firstStagedDuplicate();
        throw new DuplicateJobError(duplicate.id, duplicate.pos);
      }
      return position;
    } finally {
      this.db.exec('DELETE FROM temp.staging');
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

  async jobSettle(params: SettleParams): Promise<boolean> {
    this.files?.check();
    return this.settleTransaction.immediate(params, this.clock.now());
  }

  async jobSettleAndClaim(params: SettleAndClaimParams): Promise<SettledAndClaimed> {
    this.files?.check();
    return this.settleAndClaimTransaction.immediate(params, this.clock.now());
  }

  private settleAndClaimRows(params: SettleAndClaimParams, now: number): SettledAndClaimed {
    const settled = this.settleRows(params.settle, now);
    let claimed: ClaimedJob | null = null;
    try {
      claimed = this.claimTransaction(params.claim, now); // nested: a savepoint
    } catch {
      // The settle stands; the worker's own claim meets this error again and reports it.
    }
    return { settled, claimed };
  }

  private claimRows(params: ClaimParams, now: number): ClaimedJob | null {
    const row = this.sql.claimJob.get({
      now,
      worker: params.workerId,
      lease: params.leaseMs,
    }) as Row | undefined;
    if (!row) return null;
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

  private settleRows({ lease, run, next }: SettleParams, now: number): boolean {
    const changed = this.sql.settleJob.run({
      job: lease.jobId,
      worker: lease.workerId,
      run: lease.run,
      state: next.state,
      run_at: next.state === 'failed' ? now + next.delayMs : next.state === 'pending' ? now : null,
      error: run.error,
      exit_code: run.exitCode,
      now,
    }).changes;
    if (changed === 0) return false;
    this.sql.closeAttempt.run({
      job: lease.jobId,
      run: lease.run,
      now,
      exit_code: run.exitCode,
      signal: run.signal,
      outcome: run.outcome,
      error: run.error,
    });
    return true;
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
    }));
  }

  async jobRetryDead(params: { ids: string[] }): Promise<Job[]> {
    const now = this.clock.now();
    return this.db
      .transaction((): Job[] => {
        for (const id of params.ids) {
          const job = this.sql.getJob.get(id) as Row | undefined;
          if (job?.state !== 'dead') throw notRetryable(id, job?.state as JobState | undefined);
        }
        return params.ids.map((id) => toJob(this.sql.retryDead.get({ id, now }) as Row));
      })
      .immediate();
  }

  async jobDelete(params: { id: string; onlyIf?: JobState }): Promise<void> {
    this.db
      .transaction(() => {
        const job = this.sql.getJob.get(params.id) as Row | undefined;
        checkDeletable(params.id, job?.state as JobState | undefined, params.onlyIf);
        this.sql.deleteJob.run(params.id);
        this.sql.deleteAttempts.run(params.id);
      })
      .immediate();
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
  }): Promise<{ known: boolean; stopRequested: boolean; leaseHeld: boolean }> {
    this.files?.check();
    const now = this.clock.now();
    return this.db
      .transaction(() => {
        const { lease } = params;
        const worker = this.sql.heartbeat.get({
          id: params.workerId,
          now,
          job: lease?.jobId ?? null,
        }) as { stop_requested: number } | undefined;
        let leaseHeld = false;
        if (lease) {
          const args = { job: lease.jobId, worker: lease.workerId, run: lease.run };
          leaseHeld = this.sql.renewLease.run({ ...args, until: now + params.leaseMs }).changes > 0;
          if (leaseHeld && params.jobPid !== null)
            this.sql.setJobPid.run({ ...args, pid: params.jobPid });
        }
        return {
          known: worker !== undefined,
          stopRequested: worker?.stop_requested === 1,
          leaseHeld,
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
}
