/**
 * What users can do with a queue, over any JobStore. The CLI, the dashboard and programs that
 * import queuectl all call these methods; none of them touch a store directly for user actions.
 */
import { systemClock, type Clock } from './clock.js';
import {
  CONFIG_KEYS,
  CONFIG_KEY_NAMES,
  checkConfigValue,
  normalizeConfigKey,
  resolveSettings,
  type ConfigKey,
  type Settings,
} from './config.js';
import {
  ConflictError,
  DependencyError,
  DuplicateJobError,
  NotFoundError,
  QueuectlError,
  ValidationError,
} from './errors.js';
import type {
  Attempt,
  FinishedState,
  Job,
  JobChanges,
  JobDependencies,
  JobEnvironment,
  JobState,
  NewJob,
  QueueInfo,
  StateCounts,
  WorkerInfo,
} from './job.js';
import { FINISHED_STATES, isJobState, JOB_STATES } from './job.js';
import type { SpecSource } from './job-input.js';
import {
  checkConcurrency,
  checkCwd,
  checkJobChanges,
  checkJobId,
  checkQueueName,
  checkRecordedEnvironment,
  parseJobSpec,
} from './job-spec.js';
import type { RunOutput } from './run-output.js';
import { SpecPlaces } from './spec-places.js';
import { didYouMean } from './suggest.js';
import type {
  CancelledJob,
  JobStore,
  ListedWorker,
  LeaderInfo,
  RemovedJob,
  RunTotals,
  SkippedJob,
  Stats,
} from '../store/job-store.js';
import type { CleanReport } from './cleaner.js';
import type { HookEvent } from './hooks.js';
import { MAINTENANCE_LEASE } from './leadership.js';
import type { Schedule } from './schedule.js';

const BATCH_SIZE = 1000;

export interface ConfigEntry {
  key: ConfigKey;
  value: string;
  default: string;
  description: string;
  /** The values the key accepts ("a duration from 1s to 7d"). */
  range: string;
  isDefault: boolean;
}

/**
 * What the CLI records for the jobs it enqueues: the enqueuer's directory and environment
 * (see SpecDefaults). A spec's own `cwd` and `env` win over them.
 */
export interface RecordedContext {
  cwd?: string;
  env?: JobEnvironment;
  /** The queue of specs that name none (`enqueue --queue`). */
  queue?: string;
}

/** What an enqueue stored, and what it skipped because a live job holds the unique key. */
export interface EnqueueResult {
  count: number;
  /** The ids stored, in order (the first `keepIds`). */
  ids: string[];
  /** How many were skipped, and the first of them with where each came from. */
  skipped: number;
  skippedJobs: (SkippedJob & { where?: string })[];
}

export interface RemovedJobs {
  jobs: RemovedJob[];
  /** Output files that could not be removed (other than ones already gone), one line each. */
  filesLeft: string[];
}

export interface QueueStatus {
  location: string;
  counts: StateCounts;
  workers: ListedWorker[];
  /** The worker running the database-wide maintenance duties, if one holds the lease. */
  leader: LeaderInfo | null;
  /** Every named queue with its counts, limit and pause. */
  queues: QueueInfo[];
}

/** What `schedule add` takes (checked by Queue.scheduleAdd). */
export interface ScheduleInput {
  name: string;
  cron?: string;
  timezone?: string;
  everyMs?: number;
  command: string;
  priority?: number;
  maxRetries?: number;
  timeoutSeconds?: number;
  overlap?: string;
  catchUp?: boolean;
  queue?: string;
}

/** A job with what it waits for and what waits for it (`show`). */
export interface ShownJob extends JobDependencies {
  job: Job;
  attempts: Attempt[];
}

export class Queue {
  constructor(
    readonly store: JobStore,
    readonly clock: Clock = systemClock,
  ) {}

  async close(): Promise<void> {
    await this.store.close();
  }

  async settings(): Promise<Settings> {
    return resolveSettings(await this.store.configGetAll());
  }

  /**
   * Enqueues one spec (a parsed JSON value); returns the stored job, or (its unique key held by
   * a pending, failed or processing job) that job, with `skipped`.
   */
  async enqueue(spec: unknown, recorded: RecordedContext = {}): Promise<Job & { skipped?: true }> {
    const { ids, skippedJobs } = await this.enqueueMany([{ value: spec, where: 'job' }], recorded);
    if (skippedJobs.length) {
      return { ...(await this.get(skippedJobs[0]!.existingId)), skipped: true };
    }
    return (await this.store.jobGet(ids[0]!))!;
  }

  /**
   * Validates and stores specs all-or-nothing, streaming: memory stays flat however many specs
   * come. Returns how many were stored and the ids of the first `keepIds` (all by default).
   * Errors name the spec's line or item.
   */
  async enqueueMany(
    specs: Iterable<SpecSource> | AsyncIterable<SpecSource>,
    options: RecordedContext & { keepIds?: number; onProgress?: (count: number) => void } = {},
  ): Promise<EnqueueResult> {
    const keepIds = options.keepIds ?? Infinity;
    // The recorded directory and environment are checked once, not per job.
    const cwd =
      options.cwd === undefined ? undefined : checkCwd(options.cwd, 'the working directory');
    const env = options.env === undefined ? undefined : checkRecordedEnvironment(options.env);
    const queue = options.queue === undefined ? undefined : checkQueueName(options.queue);
    const maxRetries = (await this.settings()).maxRetries;
    const now = await this.store.now();
    const ids: string[] = [];
    const places = new SpecPlaces();
    let count = 0;
    const batches = async function* (): AsyncGenerator<NewJob[]> {
      let batch: NewJob[] = [];
      for await (const source of specs) {
        let job: NewJob;
        try {
          job = parseJobSpec(source.value, { maxRetries, now, cwd, env, queue });
        } catch (error) {
          if (error instanceof ValidationError && source.where !== 'job') {
            throw new ValidationError(`${source.where}: ${error.message}`);
          }
          throw error;
        }
        batch.push(job);
        places.push(source.where);
        if (ids.length < keepIds) ids.push(job.id);
        if (batch.length === BATCH_SIZE) {
          yield batch;
          count += batch.length;
          options.onProgress?.(count);
          batch = [];
        }
      }
      if (batch.length) {
        yield batch;
        count += batch.length;
      }
    };
    let inserted;
    try {
      inserted = await this.store.jobInsertMany(batches());
    } catch (error) {
      if (error instanceof DuplicateJobError) {
        const where = places.at(error.position);
        throw error.withMessage(
          `${where ? `${where}: ` : ''}a job with id "${error.jobId}" already exists; choose another id or leave id out to get a generated one`,
        );
      }
      if (error instanceof DependencyError) {
        const where = places.at(error.position);
        throw error.withMessage(`${where ? `${where}: ` : ''}${error.message}`);
      }
      throw error;
    }
    const skippedAt = new Set(inserted.skippedJobs.map((job) => job.position));
    return {
      count: inserted.stored,
      ids: ids.filter((_, position) => !skippedAt.has(position)),
      skipped: inserted.skipped,
      skippedJobs: inserted.skippedJobs.map((job) => ({ ...job, where: places.at(job.position) })),
    };
  }

  async get(id: string): Promise<Job> {
    const job = await this.store.jobGet(checkJobId(id, 'job id'));
    if (!job) throw new NotFoundError(`no job with id "${id}"; see \`queuectl list\``);
    return job;
  }

  async show(id: string): Promise<ShownJob> {
    const job = await this.get(id);
    const [attempts, links] = await Promise.all([
      this.store.attemptList({ jobId: job.id }),
      this.store.jobDependencies({ id: job.id }),
    ]);
    return { job, attempts, ...links };
  }

  /** One stream of one run's captured output (the latest run unless `attempt` names one). */
  async output(
    id: string,
    params: { stream: string; attempt?: string | null; capBytes?: number },
  ): Promise<RunOutput> {
    // Loaded here: reading output is not part of the plain enqueue's start-up.
    const [{ checkStream, pickAttempt, readRunOutput }, { logDirectory }] = await Promise.all([
      import('./run-output.js'),
      import('./output-files.js'),
    ]);
    const stream = checkStream(params.stream);
    const { job, attempts } = await this.show(id);
    const attempt = pickAttempt(job, attempts, params.attempt);
    return readRunOutput(
      logDirectory(this.store.location),
      job.id,
      attempt,
      stream,
      params.capBytes,
    );
  }

  async list(
    params: {
      state?: string;
      limit?: number;
      before?: string;
      search?: string;
      queue?: string;
    } = {},
  ): Promise<Job[]> {
    const limit = params.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new ValidationError(
        `limit must be a whole number from 1 to 10000, not ${params.limit}`,
      );
    }
    return this.store.jobList({
      state: params.state === undefined ? undefined : checkState(params.state),
      limit,
      before: params.before === undefined ? undefined : checkJobId(params.before, 'before'),
      search: params.search ? checkSearch(params.search) : undefined,
      queue: params.queue === undefined ? undefined : checkQueueName(params.queue),
    });
  }

  async status(): Promise<QueueStatus> {
    const settings = await this.settings();
    const [counts, workers, leader, queues] = await Promise.all([
      this.store.jobCountByState(),
      this.store.workerList({ staleAfterMs: settings.leaseTimeoutMs }),
      this.store.leaderGet({ name: MAINTENANCE_LEASE }),
      this.store.queueList(),
    ]);
    return {
      location: this.store.location,
      counts,
      workers,
      leader: leader && !leader.expired ? leader : null,
      queues,
    };
  }

  /** Every named queue with its counts, limit and pause, and its runnable and blocked jobs. */
  async queues(): Promise<QueueInfo[]> {
    return this.store.queueList({ counted: true });
  }

  /**
   * Sets a queue's concurrency limit (a whole number from 1, or null for none), creating the
   * queue if needed; it holds across every worker on every host from the next claim.
   */
  async setConcurrency(name: string, concurrency: number | null): Promise<QueueInfo> {
    return this.store.queueSetConcurrency({
      name: checkQueueName(name, 'queue name'),
      concurrency: checkConcurrency(concurrency, '--concurrency'),
    });
  }

  /**
   * Pauses queues (all of them with `'all'`; a name not used yet makes a paused queue): no
   * worker claims their jobs until they are resumed; running jobs finish.
   */
  async pause(names: string[] | 'all'): Promise<QueueInfo[]> {
    return this.setPaused(names, true, 'pause');
  }

  /** Resumes paused queues (all with `'all'`), all or nothing; workers wake at once. */
  async resume(names: string[] | 'all'): Promise<QueueInfo[]> {
    return this.setPaused(names, false, 'resume');
  }

  private async setPaused(
    names: string[] | 'all',
    paused: boolean,
    verb: string,
  ): Promise<QueueInfo[]> {
    if (names === 'all') return this.store.queuePause({ paused });
    const unique = [...new Set(names.map((name) => checkQueueName(name, 'queue name')))];
    if (unique.length === 0) {
      throw new ValidationError(`name the queues to ${verb}, or --all for every queue`);
    }
    return this.store.queuePause({ names: unique, paused });
  }

  /** Moves a dead job back to pending with attempts reset; its last error stays visible. */
  async retryDead(id: string): Promise<Job> {
    return (await this.retryDeadMany([id]))[0]!;
  }

  /**
   * Moves dead jobs back to pending, all or nothing: every id is checked first, and one that is
   * malformed, unknown or not dead changes nothing (the error says so). Repeated ids count once.
   */
  async retryDeadMany(ids: string[]): Promise<Job[]> {
    return this.onEach(
      ids,
      'retry',
      (unique) => this.store.jobRetryDead({ ids: unique }),
      'retried',
    );
  }

  /** Retries every dead job (as `retryDead` does for one); returns how many were moved. */
  async retryAllDead(): Promise<number> {
    let moved = 0;
    for (;;) {
      const dead = await this.list({ state: 'dead', limit: 500 });
      if (dead.length === 0) return moved;
      for (const job of dead) {
        try {
          await this.store.jobRetryDead({ ids: [job.id] });
          moved++;
        } catch (error) {
          // Retried or deleted by someone else meanwhile: it has left the dead letter queue.
          if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
        }
      }
    }
  }

  /** Deletes one job that is not running, with its history and output files (the dashboard). */
  async deleteJob(id: string): Promise<void> {
    await this.remove([id]);
  }

  /**
   * Cancels jobs, all or nothing: pending and failed ones at once; running ones are stopped by
   * their worker (`stopping`), wherever it runs, and end `cancelled` within the kill grace.
   */
  async cancel(ids: string[]): Promise<CancelledJob[]> {
    return this.onEach(ids, 'cancel', (unique) => this.store.jobCancel({ ids: unique }));
  }

  /**
   * Runs finished jobs (completed, dead, cancelled) again, all or nothing: back to pending with
   * attempts reset; their history and output are kept, and the next run is numbered on.
   */
  async restart(ids: string[]): Promise<Job[]> {
    return this.onEach(ids, 'restart', (unique) => this.store.jobRestart({ ids: unique }));
  }

  /** Restarts every job in a finished state (in batches); returns how many were moved. */
  async restartState(state: string): Promise<number> {
    const checked = checkState(state);
    if (!(FINISHED_STATES as readonly string[]).includes(checked)) {
      throw new ValidationError(
        `only finished jobs can be restarted: name ${FINISHED_STATES.join(', ')}, not ${checked}`,
      );
    }
    return this.store.jobRestartState({ state: checked as FinishedState });
  }

  /**
   * Deletes jobs that are not running, all or nothing, with their history; then removes the
   * output files of their runs on this host (a file already gone is fine).
   */
  async remove(ids: string[]): Promise<RemovedJobs> {
    const jobs = await this.onEach(ids, 'remove', (unique) =>
      this.store.jobDelete({ ids: unique }),
    );
    // Loaded here: it is not part of the plain enqueue's start-up.
    const { logDirectory, removeRunOutput } = await import('./output-files.js');
    return { jobs, filesLeft: removeRunOutput(logDirectory(this.store.location), jobs) };
  }

  /** Changes a job that waits to run (pending, or failed waiting for a retry). */
  async update(id: string, changes: JobChanges): Promise<Job> {
    const checkedId = checkJobId(id, 'job id');
    return this.store.jobUpdate({ id: checkedId, changes: checkJobChanges(changes) });
  }

  /** The environment recorded for a job (with its values: secrets), or null when none was. */
  async environment(id: string): Promise<JobEnvironment | null> {
    return this.store.jobEnvironment({ id: checkJobId(id, 'job id') });
  }

  /**
   * Checks the ids (repeats count once), then hands them to `change`, which is all or nothing;
   * with several ids its error says that nothing was changed.
   */
  private async onEach<T>(
    ids: string[],
    verb: string,
    change: (unique: string[]) => Promise<T>,
    done = 'changed',
  ): Promise<T> {
    const unique = [...new Set(ids.map((id) => checkJobId(id, 'job id')))];
    if (unique.length === 0) throw new ValidationError(`name at least one job id to ${verb}`);
    try {
      return await change(unique);
    } catch (error) {
      if (error instanceof QueuectlError && unique.length > 1) {
        throw error.withMessage(`${error.message}; nothing was ${done}`);
      }
      throw error;
    }
  }

  async configList(): Promise<ConfigEntry[]> {
    const stored = await this.store.configGetAll();
    return CONFIG_KEY_NAMES.map((key) => ({
      key,
      value: stored[key] ?? CONFIG_KEYS[key].default,
      default: CONFIG_KEYS[key].default,
      description: CONFIG_KEYS[key].description,
      range: CONFIG_KEYS[key].range,
      isDefault: stored[key] === undefined,
    }));
  }

  async configGet(key: string): Promise<ConfigEntry> {
    const name = normalizeConfigKey(key);
    return (await this.configList()).find((entry) => entry.key === name)!;
  }

  async configSet(key: string, value: string): Promise<ConfigEntry> {
    const name = normalizeConfigKey(key);
    await this.store.configSet({ key: name, value: checkConfigValue(name, value) });
    return this.configGet(name);
  }

  async stats(sinceMs: number, queue?: string): Promise<Stats> {
    return this.store.stats({
      sinceMs,
      queue: queue === undefined ? undefined : checkQueueName(queue),
    });
  }

  /** Totals over every stored finished run; durations against ascending bounds (milliseconds). */
  async runTotals(bucketsMs: number[]): Promise<RunTotals> {
    return sumTotals(await this.runTotalsByQueue(bucketsMs), bucketsMs);
  }

  /** runTotals for each queue that has finished runs, by name. */
  async runTotalsByQueue(bucketsMs: number[]): Promise<(RunTotals & { queue: string })[]> {
    return this.store.attemptTotals({ bucketsMs });
  }

  /** Asks workers to stop through the database (all of them, or one host's). */
  async requestStop(host?: string): Promise<WorkerInfo[]> {
    return this.store.workerRequestStop({ host });
  }

  // ---- Issue 15: retention, schedules, hooks ----

  /**
   * Deletes finished jobs (one state, or all finished states) older than `olderThanMs`, or each
   * state's keep-* setting, with their attempts and this host's output files, in small batches;
   * `dryRun` only counts. States kept forever are left out unless an age is given.
   */
  async clean(
    params: { state?: string; olderThanMs?: number; dryRun?: boolean; queue?: string } = {},
    onProgress?: (jobs: number) => void,
  ): Promise<CleanReport> {
    const [{ cleanTargets }, { cleanFinished }, { logDirectory }] = await Promise.all([
      import('./retention.js'),
      import('./cleaner.js'),
      import('./output-files.js'),
    ]);
    const targets = cleanTargets(await this.settings(), params);
    return cleanFinished(this.store, logDirectory(this.store.location), targets, {
      dryRun: params.dryRun,
      onProgress,
      queue: params.queue === undefined ? undefined : checkQueueName(params.queue, '--queue'),
    });
  }

  // Schedules and hooks: their code (and croner's) loads only when one is used
  // (core/schedules.ts), not for the plain enqueue's start-up.

  /**
   * Adds a recurring schedule: a cron expression (in a time zone) or a period, and the job each
   * slot enqueues, recorded like enqueue's (`recorded`: the directory and environment). Its
   * first slot is the first after now.
   */
  async scheduleAdd(input: ScheduleInput, recorded: RecordedContext = {}): Promise<Schedule> {
    return (await import('./schedules.js')).scheduleAdd(this, input, recorded);
  }

  /** Every schedule (never its environment's values). */
  async scheduleList(): Promise<Schedule[]> {
    return (await import('./schedules.js')).scheduleList(this);
  }

  async schedule(name: string): Promise<Schedule> {
    return (await import('./schedules.js')).scheduleNamed(this, name);
  }

  /** Removes a schedule; the jobs it enqueued stay. */
  async scheduleRemove(name: string): Promise<void> {
    return (await import('./schedules.js')).scheduleRemove(this, name);
  }

  /**
   * Pauses a schedule (no slot fires while paused), or resumes it: its next slot is then the
   * first after now; the slots of the pause are not made up.
   */
  async schedulePause(name: string, paused: boolean): Promise<Schedule> {
    return (await import('./schedules.js')).schedulePause(this, name, paused);
  }

  /** Sets the hook run after a job reaches a state (replacing one set before). */
  async hookSet(event: string, command: string): Promise<{ event: HookEvent; command: string }> {
    return (await import('./schedules.js')).hookSet(this, event, command);
  }

  async hookList(): Promise<{ event: HookEvent; command: string }[]> {
    return (await import('./schedules.js')).hookList(this);
  }

  async hookRemove(event: string): Promise<HookEvent> {
    return (await import('./schedules.js')).hookRemove(this, event);
  }
}

/** The totals of several queues as one. */
function sumTotals(parts: RunTotals[], bucketsMs: number[]): RunTotals {
  const total: RunTotals = {
    count: 0,
    sumMs: 0,
    completed: 0,
    failed: 0,
    buckets: bucketsMs.map((leMs) => ({ leMs, count: 0 })),
  };
  for (const part of parts) {
    total.count += part.count;
    total.sumMs += part.sumMs;
    total.completed += part.completed;
    total.failed += part.failed;
    part.buckets.forEach((bucket, i) => (total.buckets[i]!.count += bucket.count));
  }
  return total;
}

/** Search text: bounded, and without control characters (PostgreSQL refuses a NUL in text). */
export function checkSearch(search: string): string {
  // eslint-disable-next-line no-control-regex
  if (search.length > 1000 || /[\u0000-\u001f\u007f]/.test(search)) {
    throw new ValidationError('search must be at most 1000 characters without control characters');
  }
  return search;
}

export function checkState(state: string): JobState {
  if (isJobState(state)) return state;
  throw new ValidationError(
    `unknown state "${state}"${didYouMean(state, JOB_STATES)}; states are ${JOB_STATES.join(', ')}`,
  );
}
