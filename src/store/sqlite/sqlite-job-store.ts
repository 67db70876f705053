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
  type JobDependencies,
  type JobEnvironment,
  type JobState,
  type NewJob,
  type QueueInfo,
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
  InsertResult,
  JobListParams,
  JobStore,
  ListedWorker,
  Lease,
  NextState,
  RemovedJob,
  RunTotals,
  ServedQueues,
  SettleAndClaimParams,
  SettledAndClaimed,
  SettleParams,
  Stats,
  StatsParams,
} from '../job-store.js';
import { DEPENDENTS_SHOWN } from '../job-store.js';
import {
  cancelAction,
  checkDeletable,
  checkExists,
  checkKeyFree,
  checkNoWaitingDependents,
  checkRestartable,
  checkUpdatable,
  notRetryable,
  unknownQueue,
} from '../job-rules.js';
import { InsertTally, planLinks, type LinkTarget } from '../dependency-links.js';
import {
  decodeEnvironment,
  encodeEnvironment,
  environmentKey,
  type EncodedEnvironment,
} from '../environments.js';
import {
  toClaimed,
  toExpiredPage,
  toJob,
  toLeader,
  toLinks,
  toQueue,
  toSchedule,
  toWorker,
  type Row,
} from '../rows.js';
import { withBrokenErrors } from '../broken-store.js';
import { FileGuard } from './file-guard.js';
import { openDatabase, openForInspection } from './open-database.js';
import { sqliteClassifier } from './sqlite-errors.js';
import { watchWal } from './watch-wal.js';
import { SqliteDependencies } from './dependencies.js';
import { prepareStatements, type Statements } from './statements.js';
import { computeStats, runTotals } from './stats-queries.js';

/** Batches up to this size are inserted directly; larger input is staged first. */
const DIRECT_INSERT_LIMIT = 1000;
/** Jobs restarted per transaction by jobRestartState. */
const RESTART_BATCH = 1000;
/** Pages (4 KiB) given back to the file system per storeCompact step: 2 MiB. */
const COMPACT_PAGES = 512;
/** Staged links read at a time: more than one job may have (LIMITS.afterIds). */
const LINKS_PAGE = 5000;

type Doomed = NonNullable<ReturnType<SqliteDependencies['link']>>;

/**
 * When the run_at of a settled job is reset: after a retry's backoff. A job to run again at once
 * (interrupted; its worker lost: a retry without delay) keeps its run_at, and with it its place
 * in claim order, ahead of the jobs that became due after it.
 */
function settleRunAt(next: NextState, now: number): number | null {
  return next.state === 'failed' && next.delayMs > 0 ? now + next.delayMs : null;
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
  private readonly deps: SqliteDependencies;
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
  private readonly claimManyTransaction: Database.Transaction<
    (params: ClaimParams & { limit: number }, now: number) => ClaimedJob[]
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
    this.deps = new SqliteDependencies(this.sql);
    this.claimTransaction = this.db.transaction(this.claimRows.bind(this));
    this.claimManyTransaction = this.db.transaction(this.claimManyRows.bind(this));
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

  async jobInsertMany(
    batches: AsyncIterable<NewJob[]> | Iterable<NewJob[]>,
  ): Promise<InsertResult> {
    const iterator =
      Symbol.asyncIterator in batches
        ? batches[Symbol.asyncIterator]()
        : (batches as Iterable<NewJob[]>)[Symbol.iterator]();
    const first = await iterator.next();
    if (first.done) return new InsertTally().result();
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

  /** The live job holding `key` (inside the transaction that found it held). */
  private keyHolder(key: string): string {
    return (this.sql.keyHolders.get(key) as { id: string }).id;
  }

  private linkTarget = (id: string): LinkTarget | undefined =>
    this.sql.dependencyTargets.get(id) as LinkTarget | undefined;

  private insertDirect(jobs: NewJob[]): InsertResult {
    const now = this.clock.now();
    const envs = new BatchEnvironments();
    const tally = new InsertTally();
    this.db
      .transaction(() => {
        this.sql.ensureQueues.run(JSON.stringify([...new Set(jobs.map((job) => job.queue))]));
        const ids = new Map<number, number>();
        const doomed: Doomed[] = [];
        for (let position = 0; position < jobs.length; position++) {
          const job = jobs[position]!;
          const key = envs.keyOf(job.env ?? null);
          let envId: number | null = null;
          if (key !== null) {
            envId = ids.get(key) ?? this.environmentId(envs.list[key]!);
            ids.set(key, envId);
          }
          let inserted: Database.RunResult;
          try {
            inserted = this.sql.insertJob.run({
              id: job.id,
              command: job.command,
              priority: job.priority,
              max_retries: job.max_retries,
              timeout_seconds: job.timeout_seconds,
              run_at: job.run_at ?? now,
              cwd: job.cwd ?? null,
              env_id: envId,
              queue: job.queue,
              unique_key: job.unique_key,
              now,
            });
          } catch (error) {
            if (isUniqueViolation(error)) throw new DuplicateJobError(job.id, position);
            throw error;
          }
          if (inserted.changes === 0) {
            const uniqueKey = job.unique_key!;
            tally.skip({ position, id: job.id, uniqueKey, existingId: this.keyHolder(uniqueKey) });
            continue;
          }
          tally.stored++;
          if (job.after.length === 0) continue;
          const seq = Number(inserted.lastInsertRowid);
          const planned = planLinks(
            { id: job.id, seq, position },
            job.after,
            tally,
            this.linkTarget,
            (dep) => jobs.some((later, at) => at > position && later.id === dep),
          );
          const doom = this.deps.link(job.id, planned);
          if (doom) doomed.push(doom);
        }
        this.deps.cancelDoomed(doomed, now);
      })
      .immediate();
    return tally.result();
  }

  /**
   * Large or streamed input goes to a temporary table first (which takes no lock on the
   * database), then moves in one short IMMEDIATE transaction: workers are never blocked while
   * the input is read, and the batch is still all-or-nothing. Duplicates are left to the jobs
   * table's unique id, and only when it refuses the move is the staging table searched for the
   * first one: checking each row on the way costs a third of a big enqueue. Jobs whose unique
   * key is held are left out by the move itself; links (`after`) are staged apart and made once
   * the jobs are in, with their checks.
   */
  private async insertStaged(
    first: NewJob[],
    second: NewJob[],
    rest: AsyncIterator<NewJob[]> | Iterator<NewJob[]>,
  ): Promise<InsertResult> {
    this.db.exec(`CREATE TEMP TABLE IF NOT EXISTS staging (
      pos INTEGER PRIMARY KEY, id TEXT NOT NULL, command TEXT NOT NULL, priority INTEGER NOT NULL,
      max_retries INTEGER NOT NULL, timeout_seconds REAL, run_at INTEGER, cwd TEXT, env_key INTEGER,
      queue TEXT NOT NULL, unique_key TEXT);
      CREATE TEMP TABLE IF NOT EXISTS staging_envs (key INTEGER PRIMARY KEY, id INTEGER NOT NULL);
      CREATE TEMP TABLE IF NOT EXISTS staging_deps (pos INTEGER NOT NULL, dep TEXT NOT NULL)`);
    const stage = this.db.prepare(
      `INSERT INTO temp.staging (pos, id, command, priority, max_retries, timeout_seconds, run_at, cwd, env_key, queue, unique_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const stageDep = this.db.prepare('INSERT INTO temp.staging_deps (pos, dep) VALUES (?, ?)');
    const envs = new BatchEnvironments();
    let position = 0;
    let keyed = 0;
    let linked = 0;
    const queues = new Set<string>();
    const stageBatch = this.db.transaction((jobs: NewJob[]) => {
      for (const job of jobs) {
        queues.add(job.queue);
        for (const dep of job.after) stageDep.run(position, dep);
        if (job.after.length) linked++;
        if (job.unique_key !== null) keyed++;
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
          job.queue,
          job.unique_key,
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
        `INSERT INTO main.jobs (id, command, state, priority, max_retries, timeout_seconds, run_at, created_at, updated_at, cwd, env_id, queue, unique_key)
         SELECT s.id, s.command, 'pending', s.priority, s.max_retries, s.timeout_seconds,
           COALESCE(s.run_at, :now), :now, :now, s.cwd, ${envs.list.length ? 'e.id' : 'NULL'},
           s.queue, s.unique_key
         FROM temp.staging s
         ${envs.list.length ? 'LEFT JOIN temp.staging_envs e ON e.key = s.env_key' : ''}
         WHERE true ORDER BY s.pos
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL
           AND state IN ('pending', 'failed', 'processing') DO NOTHING`,
      );
      const mapEnv = this.db.prepare('INSERT INTO temp.staging_envs (key, id) VALUES (?, ?)');
      const tally = new InsertTally();
      try {
        this.db
          .transaction(() => {
            const now = this.clock.now();
            const { last: before } = this.sql.lastSeq.get() as { last: number };
            this.sql.ensureQueues.run(JSON.stringify([...queues]));
            envs.list.forEach((env, key) => mapEnv.run(key, this.environmentId(env)));
            tally.stored = move.run({ now }).changes;
            if (keyed > 0) this.stagedSkips(before, tally);
            if (linked > 0) this.stagedLinks(before, tally, now);
          })
          .immediate();
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const duplicate = this.firstStagedDuplicate();
        throw new DuplicateJobError(duplicate.id, duplicate.pos);
      }
      return tally.result();
    } finally {
      this.db.exec(
        'DELETE FROM temp.staging; DELETE FROM temp.staging_envs; DELETE FROM temp.staging_deps',
      );
    }
  }

  /** Staged jobs the move left out for their unique key (in order), with the jobs holding it. */
  private stagedSkips(before: number, tally: InsertTally): void {
    const left = this.db.prepare(
      `SELECT s.pos, s.id, s.unique_key,
         EXISTS (SELECT 1 FROM main.jobs o WHERE o.id = s.id AND o.seq <= :before) AS taken
       FROM temp.staging s
       WHERE s.unique_key IS NOT NULL AND s.pos > :after
         AND NOT EXISTS (SELECT 1 FROM main.jobs j WHERE j.id = s.id AND j.seq > :before)
       ORDER BY s.pos LIMIT 1000`,
    );
    for (let after = -1; ;) {
      const rows = left.all({ before, after }) as {
        pos: number;
        id: string;
        unique_key: string;
        taken: number;
      }[];
      if (rows.length === 0) return;
      for (const row of rows) {
        // Its key was held, and its id is taken too: the id is the error.
        if (row.taken) throw new DuplicateJobError(row.id, row.pos);
        tally.skip({
          position: row.pos,
          id: row.id,
          uniqueKey: row.unique_key,
          existingId: this.keyHolder(row.unique_key),
        });
      }
      after = rows[rows.length - 1]!.pos;
    }
  }

  /** The links of the staged jobs that were stored, checked and made, a page at a time. */
  private stagedLinks(before: number, tally: InsertTally, now: number): void {
    const page = this.db.prepare(
      `SELECT d.pos, s.id, j.seq, d.dep FROM temp.staging_deps d
       JOIN temp.staging s ON s.pos = d.pos
       JOIN main.jobs j ON j.id = s.id AND j.seq > :before
       WHERE d.pos > :after ORDER BY d.pos LIMIT ${LINKS_PAGE}`,
    );
    const later = this.db.prepare('SELECT 1 FROM temp.staging WHERE id = ? AND pos > ?');
    const doomed: Doomed[] = [];
    for (let after = -1; ;) {
      const rows = page.all({ before, after }) as {
        pos: number;
        id: string;
        seq: number;
        dep: string;
      }[];
      if (rows.length === 0) break;
      // A job's links come together: a full page may have cut the last job's short (a page holds
      // more links than one job may have, so the first job of a page is always whole).
      const last = rows.length === LINKS_PAGE ? rows[rows.length - 1]!.pos : Infinity;
      const jobs = new Map<number, { id: string; seq: number; after: string[] }>();
      for (const row of rows) {
        if (row.pos === last) break;
        const job = jobs.get(row.pos) ?? { id: row.id, seq: row.seq, after: [] };
        job.after.push(row.dep);
        jobs.set(row.pos, job);
      }
      for (const [position, job] of jobs) {
        const planned = planLinks(
          { ...job, position },
          job.after,
          tally,
          this.linkTarget,
          (dep) => later.get(dep, position) !== undefined,
        );
        const doom = this.deps.link(job.id, planned);
        if (doom) doomed.push(doom);
        after = position;
      }
    }
    this.deps.cancelDoomed(doomed, now);
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
    const args = {
      state: params.state ?? null,
      queue: params.queue ?? null,
      before: beforeSeq,
      limit: params.limit,
      search,
    };
    const statement =
      params.queue === undefined
        ? params.state
          ? this.sql.listJobsInState
          : this.sql.listJobs
        : params.state
          ? this.sql.listJobsInQueueAndState
          : this.sql.listJobsInQueue;
    return (statement.all(args) as Row[]).map(toJob);
  }

  async jobCountByState(params: { queue?: string } = {}): Promise<StateCounts> {
    const row =
      params.queue === undefined
        ? (this.sql.countJobs.get() as StateCounts)
        : (this.sql.countJobsInQueue.get(params.queue) as StateCounts | undefined);
    return { ...emptyCounts(), ...row };
  }

  /** The served queues as the statements take them: a JSON array, or null for all. */
  private served(params: ServedQueues | undefined): string | null {
    return params?.queues ? JSON.stringify(params.queues) : null;
  }

  async jobNextDueIn(params?: ServedQueues): Promise<number | null> {
    const row = this.sql.nextDueIn.get({ now: this.clock.now(), queues: this.served(params) });
    return (row as { ms: number | null }).ms;
  }

  async jobLeftToRun(params?: ServedQueues): Promise<boolean> {
    return (this.sql.leftToRun.get({ queues: this.served(params) }) as { left: number }).left === 1;
  }

  async jobDependencies(params: { id: string }): Promise<JobDependencies> {
    checkExists(params.id, this.stateOf(params.id));
    const dependencies = (this.sql.dependenciesOf.all(params.id) as Row[]).map((row) => ({
      id: row.id as string,
      state: row.state as JobState,
      met: row.met === 1,
    }));
    const dependents = toLinks(
      this.sql.dependentsOf.all({ id: params.id, limit: DEPENDENTS_SHOWN }) as Row[],
    );
    const { n } = this.sql.countDependents.get(params.id) as { n: number };
    return { dependencies, dependents, dependentsTotal: n };
  }

  async jobClaim(params: ClaimParams): Promise<ClaimedJob | null> {
    this.files?.check();
    return this.claimTransaction.immediate(params, this.clock.now());
  }

  async jobClaimMany(params: ClaimParams & { limit: number }): Promise<ClaimedJob[]> {
    this.files?.check();
    return this.claimManyTransaction.immediate(params, this.clock.now());
  }

  private claimManyRows(params: ClaimParams & { limit: number }, now: number): ClaimedJob[] {
    const claimed: ClaimedJob[] = [];
    while (claimed.length < params.limit) {
      const job = this.claimRows(params, now);
      if (!job) break;
      claimed.push(job);
    }
    return claimed;
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
    let claimed: ClaimedJob[] = [];
    try {
      // Nested: a savepoint.
      claimed = this.claimManyTransaction({ ...params.claim, limit: params.claim.limit ?? 1 }, now);
    } catch {
      // The settle stands; the worker's own claim meets this error again and reports it.
    }
    return { settled: state !== null, state, claimed: claimed[0] ?? null, more: claimed.slice(1) };
  }

  private claimRows(params: ClaimParams, now: number): ClaimedJob | null {
    const row = this.sql.claimJob.get({
      now,
      worker: params.workerId,
      lease: params.leaseMs,
      queues: this.served(params),
    }) as Row | undefined;
    if (!row) return null;
    if (row.env_id !== null) Object.assign(row, this.sql.getEnvironment.get(row.env_id));
    const claimed = toClaimed(row, params.workerId);
    const opened = this.sql.openAttempt.run({
      job: claimed.lease.jobId,
      run: claimed.lease.run,
      worker: params.workerId,
      queue: claimed.job.queue,
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
    this.deps.ended(lease.jobId, settled.state, now);
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

  /**
   * Throws unless job `id`'s unique key (if any) is free for it to wait or run again: held by no
   * live job, nor by one moved back earlier in the same call (`taken`: key → job).
   */
  private checkKey(id: string, taken: Map<string, string>): void {
    const key = (this.sql.getJob.get(id) as Row).unique_key as string | null;
    if (key === null) return;
    const [holder] = this.sql.keyConflicts.all(id) as { id: string }[];
    checkKeyFree(id, key, holder?.id ?? taken.get(key));
    taken.set(key, id);
  }

  async jobRetryDead(params: { ids: string[] }): Promise<Job[]> {
    const taken = new Map<string, string>();
    return this.allOrNothing(
      params.ids,
      (id, state) => {
        if (state !== 'dead') throw notRetryable(id, state);
        this.checkKey(id, taken);
      },
      (id, now) => {
        this.sql.retryDead.run({ id, now });
        return this.readJob(id);
      },
    );
  }

  async jobDelete(params: { ids: string[]; onlyIf?: JobState }): Promise<RemovedJob[]> {
    const removing = new Set(params.ids);
    return this.allOrNothing(
      params.ids,
      (id, state) => {
        checkDeletable(id, state, params.onlyIf);
        checkNoWaitingDependents(
          id,
          toLinks(this.sql.waitingDependents.all(id) as Row[]),
          removing,
        );
      },
      (id, now) => {
        const row = this.sql.deleteJob.get(id) as { runs: number; env_id: number | null };
        this.sql.deleteAttempts.run(id);
        this.deps.unlink(id, now);
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
        if (stopping) {
          this.sql.requestCancel.run({ id, now });
        } else if (this.sql.cancelNow.run({ id, now }).changes > 0) {
          // Settled here, by a command: the maintenance leader runs its on-cancelled hook (and
          // those of the dependents cancelled with it).
          this.sql.queueCancelHook.run({ id, now });
          this.deps.ended(id, 'cancelled', now);
        }
        return { job: this.readJob(id), stopping };
      },
    );
  }

  async jobRestart(params: { ids: string[] }): Promise<Job[]> {
    const taken = new Map<string, string>();
    const now = this.clock.now();
    return this.db
      .transaction((): Job[] => {
        for (const id of params.ids) {
          checkRestartable(id, this.stateOf(id));
          this.checkKey(id, taken);
        }
        for (const id of params.ids) this.sql.restartJob.run({ id, now });
        // Only once all are back: a job restarted with its dependency waits for it.
        for (const id of params.ids) this.deps.recheck(id, now);
        return params.ids.map((id) => this.readJob(id));
      })
      .immediate();
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
      const now = this.clock.now();
      const range = { state: params.state, after, upto };
      const moved = this.sql.restartRange.all({ ...range, now }) as Row[];
      let count = moved.length;
      // Jobs with a unique key one at a time: one whose key is held again stays as it is.
      for (const { id } of this.sql.keyedInState.all(range) as { id: string }[]) {
        if ((this.sql.keyConflicts.all(id) as unknown[]).length > 0) continue;
        this.sql.restartJob.run({ id, now });
        this.deps.recheck(id, now);
        count++;
      }
      for (const row of moved) {
        if ((row.waiting_on as number) > 0) this.deps.recheck(row.id as string, now);
      }
      return { upto, moved: count };
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

  async jobListCancelRequested(params: { leases: Lease[] }): Promise<string[]> {
    // In-process reads of one indexed row each: a loop costs what one statement would.
    const asked: string[] = [];
    for (const lease of params.leases) {
      if (await this.jobCancelRequested({ lease })) asked.push(lease.jobId);
    }
    return asked;
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

  async workerList(params: { staleAfterMs: number }): Promise<ListedWorker[]> {
    const rows = this.sql.listWorkers.all({
      now: this.clock.now(),
      stale: params.staleAfterMs,
    }) as Row[];
    return rows.map((row) => ({
      ...toWorker(row),
      stale: row.stale === 1,
      running: row.running as number,
    }));
  }

  async workerRequestStop(params: { host?: string }): Promise<WorkerInfo[]> {
    return (this.sql.requestStop.all({ host: params.host ?? null }) as Row[]).map(toWorker);
  }

  async queueList(params: { counted?: boolean } = {}): Promise<QueueInfo[]> {
    return this.readQueues(null, params.counted ?? false);
  }

  private readQueues(name: string | null, counted = true): QueueInfo[] {
    const args = { now: this.clock.now(), name, counted: counted ? 1 : 0 };
    return (this.sql.listQueues.all(args) as Row[]).map(toQueue);
  }

  async queueSetConcurrency(params: {
    name: string;
    concurrency: number | null;
  }): Promise<QueueInfo> {
    this.sql.setConcurrency.run(params);
    return this.readQueues(params.name)[0]!;
  }

  async queuePause(params: { names?: string[]; paused: boolean }): Promise<QueueInfo[]> {
    const paused = params.paused ? 1 : 0;
    return this.db
      .transaction((): QueueInfo[] => {
        if (params.names === undefined) {
          const names = (this.sql.setPausedAll.all({ paused }) as { name: string }[]).map(
            (row) => row.name,
          );
          return this.readQueues(null).filter((queue) => names.includes(queue.name));
        }
        for (const name of params.names) {
          if (this.sql.getQueue.get(name)) continue;
          if (!params.paused) {
            throw unknownQueue(
              name,
              this.readQueues(null, false).map((queue) => queue.name),
            );
          }
          this.sql.ensureQueues.run(JSON.stringify([name]));
        }
        for (const name of params.names) this.sql.setPaused.run({ name, paused });
        return params.names.map((name) => this.readQueues(name)[0]!);
      })
      .immediate();
  }

  async configGetAll(): Promise<Record<string, string>> {
    const rows = this.sql.configAll.all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  }

  async configSet(params: { key: string; value: string }): Promise<void> {
    this.sql.configSet.run(params);
  }

  async stats(params: StatsParams): Promise<Stats> {
    const counts = await this.jobCountByState({ queue: params.queue });
    return computeStats(this.db, this.clock.now(), params, counts);
  }

  async attemptTotals(params: { bucketsMs: number[] }): Promise<(RunTotals & { queue: string })[]> {
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
      queue: params.queue ?? null,
    }) as Row[];
    return toExpiredPage(rows, params.limit);
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
          queue: params.queue ?? null,
        }) as { id: string; runs: number; env_id: number | null }[];
        const envIds = new Set<number>();
        for (const row of rows) {
          this.sql.deleteAttempts.run(row.id);
          // A finished job's links are met or its dependents finished too: nothing waits on them.
          this.sql.dropDependencyLinks.run({ id: row.id });
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

  /** SQLite counts the jobs themselves (fast enough at its scale): nothing to fold. */
  async jobCountsFold(): Promise<number> {
    return 0;
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
      queue: schedule.queue,
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
        this.sql.ensureQueues.run(JSON.stringify([job.queue]));
        this.sql.insertSlotJob.run({
          id: job.id,
          command: job.command,
          priority: job.priority,
          max_retries: job.max_retries,
          timeout_seconds: job.timeout_seconds,
          cwd: job.cwd,
          env_id: job.env ? this.environmentId(encodeEnvironment(job.env)) : null,
          queue: job.queue,
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
