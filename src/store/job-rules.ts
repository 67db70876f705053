/**
 * Which stored states allow which changes, decided once for every store. Stores call these
 * inside the transaction that makes the change, with the state they just read.
 */
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { JobState } from '../core/job.js';

/** Throws unless a job in `state` (undefined: no such job) may be deleted. */
export function checkDeletable(id: string, state: JobState | undefined, onlyIf?: JobState): void {
  if (state === undefined) throw new NotFoundError(`no job with id "${id}"`);
  if (state === 'processing') {
    throw new ConflictError(`job "${id}" is running; it can be deleted once it stops`);
  }
  if (onlyIf !== undefined && state !== onlyIf) {
    throw new ConflictError(`job "${id}" is ${state}, not ${onlyIf}`);
  }
}

/** Why a job in `state` (undefined: no such job) could not be retried from the dead letter queue. */
export function notRetryable(id: string, state: JobState | undefined): Error {
  if (state === undefined) return new NotFoundError(`no job with id "${id}"`);
  return new ConflictError(
    `job "${id}" is ${state}, not dead; only jobs in the dead letter queue can be retried`,
  );
}
