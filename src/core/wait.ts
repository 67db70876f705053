/**
 * Waiting until jobs have finished (`queuectl wait`): woken by the store's change notification,
 * with a slow safety re-check because a wake-up can be missed, never a polling loop.
 */
import { NotFoundError } from './errors.js';
import { isFinished, type Job, type QueueInfo } from './job.js';
import { checkJobId } from './job-spec.js';
import type { Queue } from './queue.js';
import { setLongTimeout, type LongTimer } from './timers.js';

/** How often the jobs are read again without a wake-up. */
const SAFETY_CHECK_MS = 5000;

export interface WaitOptions {
  /** Give up after this long (resolves with `timedOut: true`); none: wait as long as it takes. */
  timeoutMs?: number;
  /** Aborting rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface WaitResult {
  /** Every named job (repeats once), in the order named, as last read. */
  jobs: Job[];
  timedOut: boolean;
}

/**
 * Resolves once every named job is finished (completed, dead or cancelled), or the timeout has
 * passed. A job counts as finished once it has been seen finished, even if it is restarted
 * later. Unknown ids are refused up front (NotFoundError); a job deleted while waited for counts
 * as finished, as it was last seen.
 */
export async function waitForJobs(
  queue: Queue,
  ids: string[],
  options: WaitOptions = {},
): Promise<WaitResult> {
  const unique = [...new Set(ids.map((id) => checkJobId(id, 'job id')))];
  const jobs = new Map<string, Job>();
  options.signal?.throwIfAborted();

  return new Promise<WaitResult>((resolve, reject) => {
    let settled = false;
    let checking = false;
    let again = false;
    /** Jobs before this index in `unique` have been seen finished. */
    let done = 0;
    let timeout: LongTimer | undefined;
    // Subscribed before the first read, so no change after that read goes unheard.
    const unsubscribe = queue.store.subscribe(() => void check());
    // Not unref'd: it is what keeps the process waiting when nothing else does.
    const safety = setInterval(() => void check(), SAFETY_CHECK_MS);

    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearInterval(safety);
      timeout?.clear();
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const result = (timedOut: boolean): WaitResult => ({
      jobs: unique.map((id) => jobs.get(id)!),
      timedOut,
    });
    const onAbort = () => finish(() => reject(options.signal!.reason));

    /** Reads jobs from the first one not seen finished, and stops at the first still running. */
    const check = async (): Promise<void> => {
      if (settled) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          while (done < unique.length) {
            const id = unique[done]!;
            const job = await queue.store.jobGet(id);
            if (!job) {
              if (!jobs.has(id))
                throw new NotFoundError(`no job with id "${id}"; see \`queuectl list\``);
              done++; // deleted meanwhile: it will not run again
              continue;
            }
            jobs.set(id, job);
            if (!isFinished(job.state)) break;
            done++;
          }
        } while (again && done < unique.length && !settled);
        if (done === unique.length) finish(() => resolve(result(false)));
      } catch (error) {
        finish(() => reject(error as Error));
      } finally {
        checking = false;
      }
    };

    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Every id is read once up front, so that an unknown one is refused before any waiting.
    void (async () => {
      try {
        for (const id of unique) {
          const job = await queue.store.jobGet(id);
          if (!job) throw new NotFoundError(`no job with id "${id}"; see \`queuectl list\``);
          jobs.set(id, job);
        }
      } catch (error) {
        finish(() => reject(error as Error));
        return;
      }
      if (options.timeoutMs !== undefined && !settled) {
        timeout = setLongTimeout(() => finish(() => resolve(result(true))), options.timeoutMs);
      }
      await check();
    })();
  });
}

/**
 * Resolves once none of the named queues has a job processing (`pause --wait`), or the timeout
 * has passed; woken by the store's change notification like waitForJobs. Returns the queues as
 * last read.
 */
export async function waitForQueuesIdle(
  queue: Queue,
  names: string[],
  options: WaitOptions = {},
): Promise<{ queues: QueueInfo[]; timedOut: boolean }> {
  options.signal?.throwIfAborted();
  const read = async () => (await queue.store.queueList()).filter((q) => names.includes(q.name));
  return new Promise((resolve, reject) => {
    let settled = false;
    let checking = false;
    let again = false;
    let timeout: LongTimer | undefined;
    let last: QueueInfo[] = [];
    const unsubscribe = queue.store.subscribe(() => void check());
    const safety = setInterval(() => void check(), SAFETY_CHECK_MS);
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearInterval(safety);
      timeout?.clear();
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const onAbort = () => finish(() => reject(options.signal!.reason));
    const check = async (): Promise<void> => {
      if (settled) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          last = await read();
          if (last.every((q) => q.counts.processing === 0)) {
            finish(() => resolve({ queues: last, timedOut: false }));
          }
        } while (again && !settled);
      } catch (error) {
        finish(() => reject(error as Error));
      } finally {
        checking = false;
      }
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      timeout = setLongTimeout(
        () => finish(() => resolve({ queues: last, timedOut: true })),
        options.timeoutMs,
      );
    }
    void check();
  });
}
