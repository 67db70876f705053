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
  DuplicateJobError,
  NotFoundError,
  QueuectlError,
  ValidationError,
} from './errors.js';
import type { Attempt, Job, JobState, NewJob, StateCounts, WorkerInfo } from './job.js';
import { isJobState, JOB_STATES } from './job.js';
import type { SpecSource } from './job-input.js';
import { checkJobId, parseJobSpec } from './job-spec.js';
import type { RunOutput } from './run-output.js';
import { SpecPlaces } from './spec-places.js';
import { didYouMean } from './suggest.js';
import type { JobStore, RunTotals, Stats } from '../store/job-store.js';

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

export interface QueueStatus {
  location: string;
  counts: StateCounts;
  workers: (WorkerInfo & { stale: boolean })[];
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

  /** Enqueues one spec (a parsed JSON value); returns the stored job. */
  async enqueue(spec: unknown): Promise<Job> {
    const { ids } = await this.enqueueMany([{ value: spec, where: 'job' }]);
    return (await this.store.jobGet(ids[0]!))!;
  }

  /**
   * Validates and stores specs all-or-nothing, streaming: memory stays flat however many specs
   * come. Returns how many were stored and the ids of the first `keepIds` (all by default).
   * Errors name the spec's line or item.
   */
  async enqueueMany(
    specs: Iterable<SpecSource> | AsyncIterable<SpecSource>,
    options: { keepIds?: number; onProgress?: (count: number) => void } = {},
  ): Promise<{ count: number; ids: string[] }> {
    const keepIds = options.keepIds ?? Infinity;
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
          job = parseJobSpec(source.value, { maxRetries, now });
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
    try {
      await this.store.jobInsertMany(batches());
    } catch (error) {
      if (error instanceof DuplicateJobError) {
        const where = places.at(error.position);
        throw error.withMessage(
          `${where ? `${where}: ` : ''}a job with id "${error.jobId}" already exists; choose another id or leave id out to get a generated one`,
        );
      }
      throw error;
    }
    return { count, ids };
  }

  async get(id: string): Promise<Job> {
    const job = await this.store.jobGet(checkJobId(id, 'job id'));
    if (!job) throw new NotFoundError(`no job with id "${id}"; see \`queuectl list\``);
    return job;
  }

  async show(id: string): Promise<{ job: Job; attempts: Attempt[] }> {
    const job = await this.get(id);
    return { job, attempts: await this.store.attemptList({ jobId: job.id }) };
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
    params: { state?: string; limit?: number; before?: string; search?: string } = {},
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
    });
  }

  async status(): Promise<QueueStatus> {
    const settings = await this.settings();
    const [counts, workers] = await Promise.all([
      this.store.jobCountByState(),
      this.store.workerList({ staleAfterMs: settings.leaseTimeoutMs }),
    ]);
    return { location: this.store.location, counts, workers };
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
    const unique = [...new Set(ids.map((id) => checkJobId(id, 'job id')))];
    if (unique.length === 0) throw new ValidationError('name at least one job id to retry');
    try {
      return await this.store.jobRetryDead({ ids: unique });
    } catch (error) {
      if (error instanceof QueuectlError && unique.length > 1) {
        throw error.withMessage(`${error.message}; nothing was retried`);
      }
      throw error;
    }
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

  async deleteJob(id: string): Promise<void> {
    await this.store.jobDelete({ id: checkJobId(id, 'job id') });
  }

  /** Removes a job that has not started yet; ConflictError once it has left `pending`. */
  async cancel(id: string): Promise<void> {
    try {
      await this.store.jobDelete({ id: checkJobId(id, 'job id'), onlyIf: 'pending' });
    } catch (error) {
      if (error instanceof ConflictError) {
        throw error.withMessage(`${error.message}; only pending jobs can be cancelled`);
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

  async stats(sinceMs: number): Promise<Stats> {
    return this.store.stats({ sinceMs });
  }

  /** Totals over every stored finished run; durations against ascending bounds (milliseconds). */
  async runTotals(bucketsMs: number[]): Promise<RunTotals> {
    return this.store.attemptTotals({ bucketsMs });
  }

  /** Asks workers to stop through the database (all of them, or one host's). */
  async requestStop(host?: string): Promise<WorkerInfo[]> {
    return this.store.workerRequestStop({ host });
  }
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
