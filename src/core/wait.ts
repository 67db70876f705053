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
  /** Jobs before this index in `unique` have been seen finished. */
  let done = 0;
  const result = (timedOut: boolean): WaitResult => ({
    jobs: unique.map((id) => jobs.get(id)!),
    timedOut,
  });
  return watchUntil(queue, options, {
    // Every id is read once up front, so that an unknown one is refused before any waiting.
    async first() {
      for (const id of unique) {
        const job = await queue.store.jobGet(id);
        if (!job) throw new NotFoundError(`no job with id "${id}"; see \`queuectl list\``);
        jobs.set(id, job);
      }
    },
    /** Reads jobs from the first one not seen finished, and stops at the first still running. */
    async look() {
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
        if (!isFinished(job.state)) return null;
        done++;
      }
      return result(false);
    },
    timedOut: () => result(true),
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
  let last: QueueInfo[] = [];
  return watchUntil<{ queues: QueueInfo[]; timedOut: boolean }>(queue, options, {
    async look() {
      last = (await queue.store.queueList()).filter((q) => names.includes(q.name));
      return last.every((q) => q.counts.processing === 0)
        ? { queues: last, timedOut: false }
        : null;
    },
    timedOut: () => ({ queues: last, timedOut: true }),
  });
}

/**
 * Runs `look` after `first`, then again on every change the store announces (and every
 * SAFETY_CHECK_MS, since a wake-up can be missed), one look at a time (a change during a look
 * makes it look once more), until it returns something other than null, the timeout passes
 * (`timedOut()`), or the signal aborts (rejects with its reason). An error rejects.
 */
function watchUntil<T>(
  queue: Queue,
  options: WaitOptions,
  steps: { first?: () => Promise<void>; look: () => Promise<T | null>; timedOut: () => T },
): Promise<T> {
  options.signal?.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let checking = false;
    let again = false;
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
          const found = await steps.look();
          if (found !== null) finish(() => resolve(found));
        } while (again && !settled);
      } catch (error) {
        finish(() => reject(error as Error));
      } finally {
        checking = false;
      }
    };

    options.signal?.addEventListener('abort', onAbort, { once: true });
    void (async () => {
      try {
        await steps.first?.();
      } catch (error) {
        finish(() => reject(error as Error));
        return;
      }
      if (options.timeoutMs !== undefined && !settled) {
        timeout = setLongTimeout(() => finish(() => resolve(steps.timedOut())), options.timeoutMs);
      }
      await check();
    })();
  });
}
