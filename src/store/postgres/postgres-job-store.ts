/**
 * The PostgreSQL store: many hosts share one queue. Claims use FOR UPDATE SKIP LOCKED; every
 * settle, renewal and rescue is conditional on the lease; wake-ups come through LISTEN/NOTIFY.
 * Time is the database server's (now_ms(NULL)) unless a test clock is given, whose reading is
 * then passed to every statement instead.
 */
import type pg from 'pg';
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
import { CANCELLING_STATES, DEPENDENCY_ERROR, RELEASING_STATES } from '../../core/transitions.js';
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
import type { PostgresTarget } from './connection.js';
import { ChangeListener } from './listen-notify.js';
import { SQL } from './statements.js';
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
import { computeStats, runTotals } from './stats-queries.js';

/** Jobs restarted per transaction by jobRestartState. */
const RESTART_BATCH = 1000;
/** Tries to find or store one environment while others store the same one. */
const ENVIRONMENT_TRIES = 3;
const UNIQUE_VIOLATION = '23505';

/**
 * A settle's run_at delay: a retry's backoff; null keeps run_at (a job to run again at once,
 * interrupted or its worker lost, keeps its place in claim order).
 */
function settleDelay(next: NextState): number | null {
  return next.state === 'failed' && next.delayMs > 0 ? next.delayMs : null;
}

/**
 * Sorts the jobs of a batch that the insert left out: the first whose id is taken (stored
 * before, or earlier in the batch) is a duplicate; the others had their unique key held.
 * Returns the duplicate's position (or -1) and the positions skipped for their key.
 */
function leftOut(
  batch: NewJob[],
  inserted: Set<string>,
  stored: Set<string>,
): { duplicate: number; skipped: number[] } {
  const seen = new Set<string>();
  const skipped: number[] = [];
  for (let i = 0; i < batch.length; i++) {
    const job = batch[i]!;
    if (seen.has(job.id)) return { duplicate: i, skipped };
    seen.add(job.id);
    if (inserted.has(job.id)) continue;
    if (job.unique_key === null || stored.has(job.id)) return { duplicate: i, skipped };
    skipped.push(i);
  }
  return { duplicate: -1, skipped };
}

/** The settle's parameters that carry transitions.ts's rule for dependents. */
const DEPENDENT_RULE = [RELEASING_STATES, CANCELLING_STATES, DEPENDENCY_ERROR];

export class PostgresJobStore implements JobStore {
  readonly kind = 'postgres';
  readonly location: string;
  private readonly channel: string;
  private readonly listener: ChangeListener;

  constructor(
    private readonly pool: pg.Pool,
    target: PostgresTarget,
    /** A test clock; null means the database server's clock. */
    private readonly clock: Clock | null,
  ) {
    this.location = target.location;
    this.channel = target.channel;
    this.listener = new ChangeListener(target.clientConfig, target.channel);
  }

  /** The time to pass as a statement's `now` parameter. */
  private given(): number | null {
    return this.clock ? this.clock.now() : null;
  }

  private async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      // A connection that cannot even roll back is broken: drop it rather than reuse it.
      client.release(rolledBack ? undefined : (error as Error));
      throw error;
    }
  }

  async close(): Promise<void> {
    this.listener.close();
    await this.pool.end();
  }

  async now(): Promise<number> {
    if (this.clock) return this.clock.now();
    return (await this.rows(SQL.now))[0]!.now as number;
  }

  subscribe(onChange: () => void): () => void {
    return this.listener.subscribe(onChange);
  }

  /**
   * One transaction for the whole input: each batch is one multi-row INSERT (unnest of arrays),
   * ON CONFLICT DO NOTHING, so that a duplicate id is found by what did not get in (then
   * everything rolls back) and a held unique key leaves its job out (the unique index makes
   * that atomic under concurrent enqueues: the second waits for the first to commit). Workers
   * are not blocked meanwhile: uncommitted rows are invisible to their claims.
   */
  async jobInsertMany(
    batches: AsyncIterable<NewJob[]> | Iterable<NewJob[]>,
  ): Promise<InsertResult> {
    const now = this.given();
    return this.transaction(async (client) => {
      const tally = new InsertTally();
      let offset = 0;
      // Each distinct environment is looked up (or stored) once per enqueue.
      const envIds = new Map<string, number>();
      let lastEnv: JobEnvironment | null = null;
      let lastId = 0;
      const envId = async (env: JobEnvironment | null): Promise<number | null> => {
        if (env === null) return null;
        if (env === lastEnv) return lastId;
        const encoded = encodeEnvironment(env);
        const key = environmentKey(encoded);
        let id = envIds.get(key);
        if (id === undefined) {
          id = await this.environmentId(client, encoded);
          envIds.set(key, id);
        }
        lastEnv = env;
        lastId = id;
        return id;
      };
      const queues = new Set<string>();
      for await (const batch of batches) {
        if (batch.length === 0) continue;
        const fresh = batch.map((j) => j.queue).filter((queue) => !queues.has(queue));
        if (fresh.length) {
          await client.query(SQL.ensureQueues, [fresh]);
          for (const queue of fresh) queues.add(queue);
        }
        const env: (number | null)[] = [];
        for (const job of batch) env.push(await envId(job.env ?? null));
        const { rows } = await client.query<{ id: string; seq: number }>(SQL.insertJobs, [
          batch.map((j) => j.id),
          batch.map((j) => j.command),
          batch.map((j) => j.priority),
          batch.map((j) => j.max_retries),
          batch.map((j) => j.timeout_seconds),
          batch.map((j) => j.run_at),
          batch.map((j) => j.cwd ?? null),
          env,
          now,
          batch.map((j) => j.queue),
          batch.map((j) => j.unique_key),
        ]);
        const seqs = new Map(rows.map((row) => [row.id, row.seq]));
        if (rows.length < batch.length) await this.sortLeftOut(client, batch, seqs, offset, tally);
        tally.stored += rows.length;
        await this.linkBatch(client, batch, seqs, offset, tally);
        offset += batch.length;
      }
      if (tally.stored > 0) await client.query(SQL.notify, [this.channel]);
      return tally.result();
    });
  }

  /** The jobs of a batch the insert left out: a duplicate id throws; held keys are skipped. */
  private async sortLeftOut(
    client: pg.PoolClient,
    batch: NewJob[],
    seqs: Map<string, number>,
    offset: number,
    tally: InsertTally,
  ): Promise<void> {
    const missing = batch.filter((job) => !seqs.has(job.id)).map((job) => job.id);
    const stored = (await client.query<{ id: string }>(SQL.existingIds, [missing])).rows;
    const { duplicate, skipped } = leftOut(
      batch,
      new Set(seqs.keys()),
      new Set(stored.map((row) => row.id)),
    );
    if (duplicate !== -1) throw new DuplicateJobError(batch[duplicate]!.id, offset + duplicate);
    const keys = [...new Set(skipped.map((i) => batch[i]!.unique_key!))];
    const holders = new Map(
      ((await client.query(SQL.keyHolders, [keys])).rows as Row[]).map((row) => [
        row.unique_key as string,
        row.id as string,
      ]),
    );
    for (const i of skipped) {
      const job = batch[i]!;
      tally.skip({
        position: offset + i,
        id: job.id,
        uniqueKey: job.unique_key!,
        existingId: holders.get(job.unique_key!)!,
      });
    }
  }

  /**
   * The links (`after`) of a batch's stored jobs: the jobs named are locked (SHARE) and read,
   * each link checked and recorded with whether it is met, and jobs whose dependency has already
   * ended dead or cancelled are cancelled with their chain (cancel_doomed).
   */
  private async linkBatch(
    client: pg.PoolClient,
    batch: NewJob[],
    seqs: Map<string, number>,
    offset: number,
    tally: InsertTally,
  ): Promise<void> {
    const linked = batch.filter((job) => job.after.length > 0 && seqs.has(job.id));
    if (linked.length === 0) return;
    const named = [...new Set(linked.flatMap((job) => job.after.map((id) => tally.resolve(id))))];
    const targets = new Map<string, LinkTarget>(
      ((await client.query(SQL.dependencyTargets, [named])).rows as Row[]).map((row) => [
        row.id as string,
        { seq: row.seq as number, state: row.state as JobState },
      ]),
    );
    const edges: [string[], string[], boolean[]] = [[], [], []];
    const waiting: [string[], number[]] = [[], []];
    const doomed: string[] = [];
    for (const job of linked) {
      const position = batch.indexOf(job);
      const planned = planLinks(
        { id: job.id, seq: seqs.get(job.id)!, position: offset + position },
        job.after,
        tally,
        (id) => targets.get(id),
        (dep) => batch.some((later, at) => at > position && later.id === dep),
      );
      for (const link of planned.links) {
        edges[0].push(job.id);
        edges[1].push(link.on);
        edges[2].push(link.met);
      }
      if (planned.waitingOn > 0) {
        waiting[0].push(job.id);
        waiting[1].push(planned.waitingOn);
      }
      if (planned.doomedBy) doomed.push(job.id);
    }
    await client.query(SQL.insertDependencies, edges);
    if (waiting[0].length) await client.query(SQL.setWaitingOn, waiting);
    if (doomed.length) {
      await client.query(SQL.cancelDoomed, [
        doomed,
        this.given(),
        CANCELLING_STATES,
        DEPENDENCY_ERROR,
      ]);
    }
  }

  /**
   * The id of an environment, stored if it is not yet, inside the enqueue's transaction. Two
   * enqueues storing the same one at once: the second waits for the first and then finds it.
   */
  private async environmentId(client: pg.PoolClient, env: EncodedEnvironment): Promise<number> {
    for (let attempt = 0; attempt < ENVIRONMENT_TRIES; attempt++) {
      const [found] = (await client.query(SQL.findEnvironment, [env.inherit, env.vars]))
        .rows as Row[];
      if (found) return found.id as number;
      const [stored] = (
        await client.query(SQL.insertEnvironment, [env.inherit, env.vars, env.names])
      ).rows as Row[];
      if (stored) return stored.id as number;
    }
    throw new Error('could not store the job environment: another one has the same md5 digest');
  }

  async jobGet(id: string): Promise<Job | null> {
    const [row] = await this.rows(SQL.getJob, [id]);
    return row ? toJob(row) : null;
  }

  async jobList(params: JobListParams): Promise<Job[]> {
    let beforeSeq = Number.MAX_SAFE_INTEGER;
    if (params.before !== undefined) {
      const [row] = await this.rows(SQL.getSeq, [params.before]);
      if (!row) throw new NotFoundError(`no job with id "${params.before}"`);
      beforeSeq = row.seq as number;
    }
    const search = params.search ? `%${params.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const rows = await this.rows(SQL.listJobs, [
      params.state ?? null,
      beforeSeq,
      search,
      params.limit,
      params.queue ?? null,
    ]);
    return rows.map(toJob);
  }

  async jobCountByState(params: { queue?: string } = {}): Promise<StateCounts> {
    const counts = emptyCounts();
    const rows =
      params.queue === undefined
        ? await this.rows(SQL.countJobs)
        : await this.rows(SQL.countJobsInQueue, [params.queue]);
    for (const row of rows) counts[row.state as keyof StateCounts] = row.n as number;
    return counts;
  }

  async jobNextDueIn(params?: ServedQueues): Promise<number | null> {
    const [row] = await this.rows(SQL.nextDueIn, [this.given(), params?.queues ?? null]);
    return (row?.ms as number | null | undefined) ?? null;
  }

  async jobLeftToRun(params?: ServedQueues): Promise<boolean> {
    const [row] = await this.rows(SQL.leftToRun, [params?.queues ?? null]);
    return row!.left === true;
  }

  async jobDependencies(params: { id: string }): Promise<JobDependencies> {
    const [job] = await this.rows(SQL.getSeq, [params.id]);
    checkExists(params.id, job ? 'pending' : undefined);
    const [dependencies, dependents, [count]] = await Promise.all([
      this.rows(SQL.dependenciesOf, [params.id]),
      this.rows(SQL.dependentsOf, [params.id, DEPENDENTS_SHOWN]),
      this.rows(SQL.countDependents, [params.id]),
    ]);
    return {
      dependencies: dependencies.map((row) => ({
        id: row.id as string,
        state: row.state as JobState,
        met: row.met === true,
      })),
      dependents: toLinks(dependents),
      dependentsTotal: count!.n as number,
    };
  }

  /** A claimed job as claim_job returns it (JSON), or null. */
  private claimedOf(job: unknown, workerId: string): ClaimedJob | null {
    return job ? toClaimed(job as Row, workerId) : null;
  }

  async jobClaim(params: ClaimParams): Promise<ClaimedJob | null> {
    const [row] = await this.rows(SQL.claimJob, [
      params.workerId,
      params.leaseMs,
      this.given(),
      params.queues ?? null,
    ]);
    return this.claimedOf(row!.job, params.workerId);
  }

  async jobClaimMany(params: ClaimParams & { limit: number }): Promise<ClaimedJob[]> {
    const rows = await this.rows(SQL.claimJobs, [
      params.workerId,
      params.leaseMs,
      this.given(),
      params.queues ?? null,
      params.limit,
    ]);
    return rows.map((row) => toClaimed(row.job as Row, params.workerId));
  }

  async jobSettle(params: SettleParams): Promise<JobState | null> {
    const [row] = await this.rows(SQL.settleJob, this.settleParams(params));
    return (row!.settled as JobState | null) ?? null;
  }

  /** $1–$16 of settleJob and settleAndClaimJobs. */
  private settleParams({ lease, run, next, ifCancelRequested }: SettleParams): unknown[] {
    const cancelNext = ifCancelRequested ?? next;
    return [
      lease.jobId,
      lease.workerId,
      lease.run,
      next.state,
      settleDelay(next),
      run.error,
      run.exitCode,
      run.signal,
      run.outcome,
      this.given(),
      this.channel,
      cancelNext.state,
      settleDelay(cancelNext),
      ...DEPENDENT_RULE,
    ];
  }

  async jobSettleAndClaim(params: SettleAndClaimParams): Promise<SettledAndClaimed> {
    const { settle, claim } = params;
    const limit = claim.limit ?? 1;
    const rows = await this.rows(SQL.settleAndClaimJobs, [
      ...this.settleParams(settle),
      claim.workerId,
      claim.leaseMs,
      claim.queues ?? null,
      limit,
    ]);
    const state = (rows[0]!.settled as JobState | null) ?? null;
    const claimed = rows
      .map((row) => this.claimedOf(row.job, claim.workerId))
      .filter((job) => job !== null);
    return { settled: state !== null, state, claimed: claimed[0] ?? null, more: claimed.slice(1) };
  }

  async jobListHeld(): Promise<HeldJob[]> {
    return (await this.rows(SQL.listHeld, [this.given()])).map((row) => ({
      jobId: row.jobId as string,
      run: row.run as number,
      workerId: row.workerId as string,
      host: (row.host as string | null) ?? '',
      pid: (row.pid as number | null) ?? 0,
      pidStart: row.pidStart as string | null,
      jobPid: row.jobPid as number | null,
      leaseExpired: row.leaseExpired === true,
      attempts: row.attempts as number,
      maxRetries: row.maxRetries as number,
      cancelRequested: row.cancelRequested === true,
    }));
  }

  /**
   * Locks the jobs `ids` (no repeats), runs `check` on each with its state (it throws to refuse:
   * nothing changes), then `change`, and wakes listeners; one transaction.
   */
  private async allOrNothing<T>(
    ids: string[],
    check: (id: string, state: JobState | undefined) => void,
    change: (client: pg.PoolClient, now: number | null) => Promise<T>,
  ): Promise<T> {
    return this.transaction(async (client) => {
      const locked = (await client.query(SQL.lockJobs, [ids])).rows as Row[];
      const states = new Map(locked.map((row) => [row.id as string, row.state as JobState]));
      for (const id of ids) check(id, states.get(id));
      const result = await change(client, this.given());
      await client.query(SQL.notify, [this.channel]);
      return result;
    });
  }

  /** The jobs `ids` as they are now, in that order. */
  private async readJobs(client: pg.PoolClient, ids: string[]): Promise<Job[]> {
    const rows = (await client.query(SQL.getJobs, [ids])).rows as Row[];
    const byId = new Map(rows.map((row) => [row.id as string, toJob(row)]));
    return ids.map((id) => byId.get(id)!);
  }

  /**
   * Throws unless the unique keys of jobs `ids` (locked) are free for them to wait or run again:
   * held by no live job, nor by one of `ids` before it (checkKeyFree).
   */
  private async checkKeys(client: pg.PoolClient, ids: string[]): Promise<void> {
    const rows = (await client.query(SQL.keyConflicts, [ids])).rows as Row[];
    const byId = new Map(rows.map((row) => [row.id as string, row]));
    const taken = new Map<string, string>();
    for (const id of ids) {
      const row = byId.get(id);
      if (!row) continue;
      const key = row.key as string;
      checkKeyFree(id, key, (row.holder as string | null) ?? taken.get(key));
      taken.set(key, id);
    }
  }

  /** A unique key taken by a concurrent enqueue between the check and the change. */
  private keyRace(error: unknown): never {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
      throw new ConflictError(
        'a unique key of these jobs was taken by another job meanwhile; nothing was changed',
      );
    }
    throw error;
  }

  async jobRetryDead(params: { ids: string[] }): Promise<Job[]> {
    const { ids } = params;
    return this.allOrNothing(
      ids,
      (id, state) => {
        if (state !== 'dead') throw notRetryable(id, state);
      },
      async (client, now) => {
        await this.checkKeys(client, ids);
        await client.query(SQL.retryDead, [ids, now]).catch((e: unknown) => this.keyRace(e));
        return this.readJobs(client, ids);
      },
    );
  }

  async jobDelete(params: { ids: string[]; onlyIf?: JobState }): Promise<RemovedJob[]> {
    const { ids } = params;
    const envIds = new Set<number>();
    const removed = await this.allOrNothing(
      ids,
      (id, state) => checkDeletable(id, state, params.onlyIf),
      async (client) => {
        const waiting = (await client.query(SQL.waitingDependents, [ids])).rows as Row[];
        const removing = new Set(ids);
        for (const id of ids) {
          const mine = toLinks(waiting.filter((row) => row.for === id));
          checkNoWaitingDependents(id, mine, removing);
        }
        await client.query(SQL.dropDependencyLinks, [ids]);
        const rows = (await client.query(SQL.deleteJobs, [ids])).rows as Row[];
        await client.query(SQL.deleteAttempts, [ids]);
        const runs = new Map(rows.map((row) => [row.id as string, row.runs as number]));
        for (const row of rows) if (row.env_id !== null) envIds.add(row.env_id as number);
        return ids.map((id) => ({ id, runs: runs.get(id)! }));
      },
    );
    // Separately, and only tidying: an enqueue that is taking one of these environments into
    // use holds it locked, and this then fails (harmlessly) on the foreign key.
    if (envIds.size > 0) await this.rows(SQL.dropUnusedEnvironments, [[...envIds]]).catch(() => {});
    return removed;
  }

  async jobCancel(params: { ids: string[] }): Promise<CancelledJob[]> {
    const { ids } = params;
    const actions = new Map<string, 'now' | 'stop'>();
    return this.allOrNothing(
      ids,
      (id, state) => actions.set(id, cancelAction(id, state)),
      async (client, now) => {
        const stop = ids.filter((id) => actions.get(id) === 'stop');
        const at = ids.filter((id) => actions.get(id) === 'now');
        if (at.length) {
          await client.query(SQL.cancelNow, [at, now]);
          // Settled here, by a command: the maintenance leader runs their on-cancelled hook (and
          // cancel_dependents records those of the dependents cancelled with them).
          await client.query(SQL.queueCancelHooks, [at, now]);
          await client.query(SQL.cancelDependents, [
            at,
            at.map(() => 'cancelled'),
            now,
            DEPENDENCY_ERROR,
          ]);
        }
        if (stop.length) await client.query(SQL.requestCancel, [stop, now]);
        const jobs = await this.readJobs(client, ids);
        return jobs.map((job) => ({ job, stopping: actions.get(job.id) === 'stop' }));
      },
    );
  }

  async jobRestart(params: { ids: string[] }): Promise<Job[]> {
    const { ids } = params;
    return this.allOrNothing(ids, checkRestartable, async (client, now) => {
      await this.checkKeys(client, ids);
      await client.query(SQL.restartJobs, [ids, now]).catch((e: unknown) => this.keyRace(e));
      // Once all are back: a job restarted with its dependency waits for it.
      await client.query(SQL.cancelDoomed, [ids, now, CANCELLING_STATES, DEPENDENCY_ERROR]);
      return this.readJobs(client, ids);
    });
  }

  async jobRestartState(params: { state: FinishedState }): Promise<number> {
    const [{ last }] = (await this.rows(SQL.lastSeq)) as [{ last: number }];
    let moved = 0;
    for (let after = 0; ;) {
      const [row] = await this.rows(SQL.restartBatch, [
        params.state,
        after,
        last,
        RESTART_BATCH,
        this.given(),
        this.channel,
      ]);
      if (row!.upto === null) break;
      moved += row!.moved as number;
      after = row!.upto as number;
      const waiting = row!.waiting as string[];
      if (waiting.length) {
        await this.rows(SQL.cancelDoomed, [
          waiting,
          this.given(),
          CANCELLING_STATES,
          DEPENDENCY_ERROR,
        ]);
      }
    }
    // Jobs with a unique key one at a time: one whose key is held again stays as it is.
    for (const { id } of await this.rows(SQL.keyedInState, [params.state, last])) {
      try {
        await this.jobRestart({ ids: [id as string] });
        moved++;
      } catch (error) {
        if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      }
    }
    return moved;
  }

  async jobUpdate(params: { id: string; changes: JobChanges }): Promise<Job> {
    const { id, changes } = params;
    return this.allOrNothing([id], checkUpdatable, async (client, now) => {
      await client.query(SQL.updateJob, [
        id,
        now,
        changes.priority ?? null,
        changes.run_at ?? null,
        changes.max_retries ?? null,
        changes.command ?? null,
        changes.timeout_seconds !== undefined,
        changes.timeout_seconds ?? null,
      ]);
      return (await this.readJobs(client, [id]))[0]!;
    });
  }

  async jobEnvironment(params: { id: string }): Promise<JobEnvironment | null> {
    const [row] = await this.rows(SQL.jobEnvironment, [params.id]);
    checkExists(params.id, row?.state as JobState | undefined);
    return typeof row!.vars === 'string' ? decodeEnvironment(row!.inherit, row!.vars) : null;
  }

  async jobCancelRequested(params: { lease: Lease }): Promise<boolean> {
    const { lease } = params;
    const [row] = await this.rows(SQL.cancelRequested, [lease.jobId, lease.workerId, lease.run]);
    return row?.cancel_requested === true;
  }

  async jobListCancelRequested(params: { leases: Lease[] }): Promise<string[]> {
    const { leases } = params;
    if (leases.length === 0) return [];
    const rows = await this.rows(SQL.listCancelRequested, [
      leases.map((lease) => lease.jobId),
      leases.map((lease) => lease.workerId),
      leases.map((lease) => lease.run),
    ]);
    return rows.map((row) => row.id as string);
  }

  async attemptList(params: { jobId: string }): Promise<Attempt[]> {
    return (await this.rows(SQL.listAttempts, [params.jobId])) as unknown as Attempt[];
  }

  async workerRegister(params: {
    id: string;
    host: string;
    pid: number;
    pidStart: string | null;
  }): Promise<void> {
    await this.rows(SQL.registerWorker, [
      params.id,
      params.host,
      params.pid,
      params.pidStart,
      this.given(),
    ]);
  }

  async workerHeartbeat(params: {
    workerId: string;
    lease: Lease | null;
    leaseMs: number;
    jobPid: number | null;
  }): Promise<Heartbeat> {
    const { lease } = params;
    const [row] = await this.rows(SQL.heartbeat, [
      lease?.jobId ?? null,
      lease?.workerId ?? null,
      lease?.run ?? null,
      params.workerId,
      params.leaseMs,
      params.jobPid,
      this.given(),
    ]);
    return {
      known: row!.known as boolean,
      stopRequested: row!.stopRequested as boolean,
      leaseHeld: row!.leaseHeld as boolean,
      cancelRequested: row!.cancelRequested as boolean,
    };
  }

  async workerDeregister(params: { workerId: string }): Promise<void> {
    await this.rows(SQL.deregisterWorker, [params.workerId]);
  }

  async workerList(params: { staleAfterMs: number }): Promise<ListedWorker[]> {
    const rows = await this.rows(SQL.listWorkers, [this.given(), params.staleAfterMs]);
    return rows.map((row) => ({
      ...toWorker(row),
      stale: row.stale === true,
      running: Number(row.running),
    }));
  }

  async workerRequestStop(params: { host?: string }): Promise<WorkerInfo[]> {
    return (await this.rows(SQL.requestStop, [params.host ?? null, this.channel])).map(toWorker);
  }

  async queueList(params: { counted?: boolean } = {}): Promise<QueueInfo[]> {
    const rows = await this.rows(SQL.listQueues, [this.given(), null, params.counted ?? false]);
    return rows.map(toQueue);
  }

  private async readQueue(name: string): Promise<QueueInfo> {
    return toQueue((await this.rows(SQL.listQueues, [this.given(), name, true]))[0]!);
  }

  async queueSetConcurrency(params: {
    name: string;
    concurrency: number | null;
  }): Promise<QueueInfo> {
    await this.rows(SQL.setConcurrency, [params.name, params.concurrency, this.channel]);
    return this.readQueue(params.name);
  }

  async queuePause(params: { names?: string[]; paused: boolean }): Promise<QueueInfo[]> {
    const { names, paused } = params;
    const changed = await this.transaction(async (client) => {
      if (names !== undefined) {
        if (paused) await client.query(SQL.ensureQueues, [names]);
        const found = (await client.query(SQL.lockQueues, [names])).rows as Row[];
        const known = new Set(found.map((row) => row.name as string));
        const missing = names.find((name) => !known.has(name));
        if (missing !== undefined) {
          const all = (await client.query(SQL.listQueues, [this.given(), null, false]))
            .rows as Row[];
          throw unknownQueue(
            missing,
            all.map((row) => row.name as string),
          );
        }
      }
      // Waits for claims in flight on these queues (they hold them shared), then no claim
      // that commits after this one takes a job of a paused queue.
      const rows = (await client.query(SQL.setPaused, [names ?? null, paused, this.channel]))
        .rows as Row[];
      return rows.map((row) => row.name as string);
    });
    const all = await this.queueList({ counted: true });
    const order = names ?? changed;
    return order.map((name) => all.find((queue) => queue.name === name)!);
  }

  async configGetAll(): Promise<Record<string, string>> {
    const rows = await this.rows(SQL.configAll);
    return Object.fromEntries(rows.map((row) => [row.key as string, row.value as string]));
  }

  async configSet(params: { key: string; value: string }): Promise<void> {
    await this.rows(SQL.configSet, [params.key, params.value, this.channel]);
  }

  async stats(params: StatsParams): Promise<Stats> {
    const now = await this.now();
    const counts = await this.jobCountByState({ queue: params.queue });
    return computeStats(this.pool, now, params, counts);
  }

  async attemptTotals(params: { bucketsMs: number[] }): Promise<(RunTotals & { queue: string })[]> {
    return runTotals(this.pool, params.bucketsMs);
  }

  // ---- Issue 15: the maintenance leader, retention, schedules, hooks ----

  async leaderAcquire(params: {
    name: string;
    holder: string;
    host: string;
    ttlMs: number;
  }): Promise<{ held: boolean; leader: LeaderInfo | null }> {
    const [granted] = await this.rows(SQL.leaderAcquire, [
      params.name,
      params.holder,
      params.host,
      params.ttlMs,
      this.given(),
    ]);
    if (granted) return { held: true, leader: toLeader(granted) };
    return { held: false, leader: await this.leaderGet({ name: params.name }) };
  }

  async leaderRelease(params: { name: string; holder: string }): Promise<void> {
    await this.rows(SQL.leaderRelease, [params.name, params.holder, this.given()]);
  }

  async leaderGet(params: { name: string }): Promise<LeaderInfo | null> {
    const [row] = await this.rows(SQL.leaderGet, [params.name, this.given()]);
    return row ? toLeader(row) : null;
  }

  async jobListExpired(
    params: ExpiredParams & { after: ExpiredCursor | null },
  ): Promise<ExpiredPage> {
    const rows = await this.rows(SQL.listExpired, [
      params.state,
      params.olderThanMs,
      this.given(),
      params.after?.finishedAt ?? -Number.MAX_SAFE_INTEGER,
      params.after?.seq ?? 0,
      params.limit,
      params.queue ?? null,
    ]);
    return toExpiredPage(rows, params.limit);
  }

  async jobPurgeExpired(params: ExpiredParams): Promise<RemovedJob[]> {
    const rows = await this.rows(SQL.purgeExpired, [
      params.state,
      params.olderThanMs,
      this.given(),
      params.limit,
      params.queue ?? null,
    ]);
    const envIds = [...new Set(rows.flatMap((row) => (row.env_id === null ? [] : [row.env_id])))];
    // Only tidying, as in jobDelete: an enqueue taking one into use makes this fail harmlessly.
    if (envIds.length > 0) await this.rows(SQL.dropUnusedEnvironments, [envIds]).catch(() => {});
    return rows.map((row) => ({ id: row.id as string, runs: row.runs as number }));
  }

  /** PostgreSQL's autovacuum gives space back to the table for reuse: nothing to do here. */
  async storeCompact(): Promise<number> {
    return 0;
  }

  async jobCountsFold(): Promise<number> {
    const [row] = await this.rows(SQL.foldCounts);
    const folded = row!.folded as number;
    // The folded rows are dead until vacuumed, and every count reads past them; autovacuum
    // would take up to a minute to come by, during which a busy queue leaves many behind.
    if (folded > 0) await this.rows(SQL.vacuumCounts);
    return folded;
  }

  async scheduleInsert(schedule: NewSchedule): Promise<void> {
    const env = schedule.env ? encodeEnvironment(schedule.env) : null;
    const inserted = await this.rows(SQL.insertSchedule, [
      schedule.name,
      schedule.cron,
      schedule.timezone,
      schedule.every_ms,
      schedule.command,
      schedule.priority,
      schedule.max_retries,
      schedule.timeout_seconds,
      schedule.cwd,
      env?.inherit ?? null,
      env?.vars ?? null,
      env?.names ?? null,
      schedule.overlap,
      schedule.catch_up,
      schedule.anchor_at,
      schedule.next_at,
      false,
      this.given(),
      schedule.queue,
    ]);
    if (inserted.length === 0) {
      throw new ConflictError(
        `a schedule named "${schedule.name}" exists; remove it first (queuectl schedule rm ${schedule.name}) or choose another name`,
      );
    }
    await this.rows(SQL.notify, [this.channel]);
  }

  async scheduleList(): Promise<StoredSchedule[]> {
    return (await this.rows(SQL.listSchedules)).map(toSchedule);
  }

  async scheduleDelete(params: { name: string }): Promise<boolean> {
    return (await this.rows(SQL.deleteSchedule, [params.name])).length > 0;
  }

  async scheduleSetPaused(params: {
    name: string;
    paused: boolean;
    nextAt?: number | null;
  }): Promise<boolean> {
    const rows = await this.rows(SQL.pauseSchedule, [
      params.name,
      params.paused,
      params.nextAt !== undefined,
      params.nextAt ?? null,
      this.given(),
      this.channel,
    ]);
    return rows.length > 0;
  }

  async scheduleAdvance(params: ScheduleAdvance): Promise<boolean> {
    const now = this.given();
    return this.transaction(async (client) => {
      const moved = await client.query(SQL.advanceSchedule, [
        params.name,
        params.from,
        params.to,
        params.fire?.slotAt ?? null,
        params.fire?.job.id ?? null,
        params.fire ? 1 : 0,
        params.skipped,
        params.missed,
        now,
      ]);
      if (moved.rowCount === 0 || !params.fire) return (moved.rowCount ?? 0) > 0;
      const { job } = params.fire;
      const envId = job.env ? await this.environmentId(client, encodeEnvironment(job.env)) : null;
      await client.query(SQL.ensureQueues, [[job.queue]]);
      await client.query(SQL.insertSlotJob, [
        job.id,
        job.command,
        job.priority,
        job.max_retries,
        job.timeout_seconds,
        job.cwd,
        envId,
        now,
        job.queue,
      ]);
      await client.query(SQL.notify, [this.channel]);
      return true;
    });
  }

  async configDelete(params: { key: string }): Promise<boolean> {
    return (await this.rows(SQL.configDelete, [params.key, this.channel])).length > 0;
  }

  async hookOutboxTake(params: { limit: number }): Promise<PendingHook[]> {
    const rows = (await this.rows(SQL.takeHooks, [params.limit])) as unknown as PendingHook[];
    return rows.sort((a, b) => a.created_at - b.created_at);
  }
}
