/**
 * What a job becomes after a run: one pure function of the job's retry budget, the run's
 * outcome, whether a user cancelled it, and the retry policy. The worker (a run that ended), the
 * rescuer (a run lost with its worker) and every command that ends runs call it; stores only
 * record its answer, conditionally on the lease.
 */
import { decideRetry, type BackoffPolicy } from './backoff.js';
import { JOB_STATES, type JobState, type Outcome } from './job.js';
import type { NextState } from '../store/job-store.js';

/** The part of a job the decision needs: runs counted so far (this one included) and its budget. */
export interface RetryBudget {
  attempts: number;
  maxRetries: number;
}

/**
 * - completed: done (also when a cancel came too late to stop the run).
 * - cancelled (the worker ended the run because a user cancelled the job), or any other outcome
 *   of a job whose cancel was requested: cancelled; it does not run again.
 * - interrupted (the worker was stopped at once): back to pending, to run again at once.
 * - worker_lost: not the job's fault, so it runs again at once; but the run counts, so a job that
 *   keeps losing its worker (one that kills it) still ends in dead.
 * - failed, timed_out, spawn_failed: the backoff delay backoff-base^n, or dead once max_retries
 *   retries are used.
 */
export function nextState(
  job: RetryBudget,
  outcome: Outcome,
  policy: BackoffPolicy,
  cancelRequested = false,
): NextState {
  if (outcome === 'completed') return { state: 'completed' };
  if (outcome === 'cancelled' || cancelRequested) return { state: 'cancelled' };
  switch (outcome) {
    case 'interrupted':
      return { state: 'pending' };
    case 'worker_lost': {
      const decision = decideRetry(job.attempts, job.maxRetries, policy);
      return decision.state === 'dead' ? decision : { state: 'failed', delayMs: 0 };
    }
    case 'failed':
    case 'timed_out':
    case 'spawn_failed':
      return decideRetry(job.attempts, job.maxRetries, policy);
  }
}

/**
 * Both answers for a run's settle: `next` as things stand, and `ifCancelRequested` for the case
 * that a user cancelled the job before the settle commits (a cancel can land between the
 * holder's last look and its settle; the store picks the answer in the same statement).
 */
export function settleDecision(
  job: RetryBudget,
  outcome: Outcome,
  policy: BackoffPolicy,
): { next: NextState; ifCancelRequested: NextState } {
  return {
    next: nextState(job, outcome, policy),
    ifCancelRequested: nextState(job, outcome, policy, true),
  };
}

/**
 * What a job's dependents (jobs enqueued `after` it) become when it reaches `state`:
 * - completed: released; a dependent whose dependencies have all completed can run.
 * - dead, cancelled: cancelled, with the error dependencyError(...), and so on down the chain.
 *   A dependent that no longer waits for it (it completed before, and was restarted since) is
 *   left alone, and so is one that runs. Restarting the dependency later does not revive them.
 * - anything else: they go on waiting.
 * Stores apply it in the transaction that puts the job in `state` (a settle, a cancel), and to
 * jobs enqueued or restarted after a dependency that has already ended dead or cancelled.
 */
export function dependentsAfter(state: JobState): 'release' | 'cancel' | 'wait' {
  if (state === 'completed') return 'release';
  if (state === 'dead' || state === 'cancelled') return 'cancel';
  return 'wait';
}

/** The states that release dependents, and those that cancel them (for SQL parameters). */
export const RELEASING_STATES = JOB_STATES.filter((s) => dependentsAfter(s) === 'release');
export const CANCELLING_STATES = JOB_STATES.filter((s) => dependentsAfter(s) === 'cancel');

/**
 * The last_error of a job cancelled because of a dependency, as a template (`{id}`, `{state}`),
 * so that stores filling it in SQL say exactly what dependencyError says.
 */
export const DEPENDENCY_ERROR = 'dependency {id} is {state}';

export function dependencyError(id: string, state: JobState): string {
  return DEPENDENCY_ERROR.replace('{id}', () => id).replace('{state}', () => state);
}
