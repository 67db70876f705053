/**
 * Which stored states allow which changes, decided once for every store. Stores call these
 * inside the transaction that makes the change, with the state they just read (undefined: no
 * such job); each throws the error to report, naming the job and its state.
 */
import { ConflictError, NotFoundError } from '../core/errors.js';
import { isFinished, type JobState } from '../core/job.js';

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
