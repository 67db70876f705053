/**
 * Which stored states allow which changes, decided once for every store. Stores call these
 * inside the transaction that makes the change, with the state they just read (undefined: no
 * such job); each throws the error to report, naming the job and its state.
 */
import { ConflictError, NotFoundError } from '../core/errors.js';
import { isFinished, type JobLink, type JobState } from '../core/job.js';

function notFound(id: string): NotFoundError {
  return new NotFoundError(`no job with id "${id}"`);
}

/** Throws unless a job in `state` may be deleted. */
export function checkDeletable(id: string, state: JobState | undefined, onlyIf?: JobState): void {
  if (state === undefined) throw notFound(id);
  if (state === 'processing') {
    throw new ConflictError(`job "${id}" is running; cancel it first (queuectl cancel ${id})`);
  }
  if (onlyIf !== undefined && state !== onlyIf) {
    throw new ConflictError(`job "${id}" is ${state}, not ${onlyIf}`);
  }
}

/** Why a job in `state` could not be retried from the dead letter queue. */
export function notRetryable(id: string, state: JobState | undefined): Error {
  if (state === undefined) return notFound(id);
  return new ConflictError(
    `job "${id}" is ${state}, not dead; only jobs in the dead letter queue can be retried`,
  );
}

/**
 * What cancelling a job in `state` does: `now` (pending or failed: cancelled at once) or `stop`
 * (processing: its holder ends the run). Throws for a finished or unknown job.
 */
export function cancelAction(id: string, state: JobState | undefined): 'now' | 'stop' {
  if (state === undefined) throw notFound(id);
  if (state === 'pending' || state === 'failed') return 'now';
  if (state === 'processing') return 'stop';
  throw new ConflictError(
    `job "${id}" is ${state}; only pending, failed or processing jobs can be cancelled`,
  );
}

/** Throws unless a job in `state` may be restarted: only finished jobs can. */
export function checkRestartable(id: string, state: JobState | undefined): void {
  if (state === undefined) throw notFound(id);
  if (!isFinished(state)) {
    throw new ConflictError(
      `job "${id}" is ${state}; only completed, dead or cancelled jobs can be restarted`,
    );
  }
}

/** Throws unless a job in `state` may be updated: only one waiting to run can. */
export function checkUpdatable(id: string, state: JobState | undefined): void {
  if (state === undefined) throw notFound(id);
  if (state !== 'pending' && state !== 'failed') {
    throw new ConflictError(
      `job "${id}" is ${state}; only pending jobs, or failed ones waiting for a retry, can be updated`,
    );
  }
}

/** Throws for an unknown job (jobEnvironment). */
export function checkExists(id: string, state: JobState | undefined): void {
  if (state === undefined) throw notFound(id);
}

/**
 * Throws when `holder` (a job that waits or runs, or one moved back earlier in the same call)
 * holds the unique key of job `id`, which is to wait or run again (restart, DLQ retry).
 */
export function checkKeyFree(id: string, key: string, holder: string | undefined): void {
  if (holder === undefined) return;
  throw new ConflictError(
    `job "${id}" has unique key "${key}", which job "${holder}" holds while it waits or runs; wait for that one (or cancel it) first`,
  );
}

/**
 * Throws when unfinished jobs still wait for job `id` (they were enqueued after it), unless they
 * are being removed with it: removing it would leave them waiting for nothing.
 */
export function checkNoWaitingDependents(
  id: string,
  dependents: JobLink[],
  removing: Set<string>,
): void {
  const left = dependents.filter((d) => !removing.has(d.id));
  if (left.length === 0) return;
  const named = left
    .slice(0, 3)
    .map((d) => `${d.id} (${d.state})`)
    .join(', ');
  throw new ConflictError(
    `job "${id}" is still waited for by ${left.length === 1 ? 'job' : `${left.length} jobs:`} ${named}${left.length > 3 ? ', …' : ''}; cancel or remove ${left.length === 1 ? 'it' : 'them'} first, or remove them together`,
  );
}

/** A queue named that does not exist (resume, and reads of one queue). */
export function unknownQueue(name: string, known: string[]): NotFoundError {
  const some = known.slice(0, 10).join(', ');
  return new NotFoundError(
    `no queue named "${name}"; ${known.length ? `queues: ${some}${known.length > 10 ? ', …' : ''}` : 'there are no queues yet'}`,
  );
}
