import { describe, expect, it } from 'vitest';
import {
  CANCELLING_STATES,
  DEPENDENCY_ERROR,
  dependencyError,
  dependentsAfter,
  nextState,
  RELEASING_STATES,
  settleDecision,
} from '../../src/core/transitions.js';

const policy = { base: 2, maxSeconds: 3600 };
const budget = (attempts: number, maxRetries = 2) => ({ attempts, maxRetries });

describe('what a job becomes after a run', () => {
  it('is completed after a run that exited 0, whatever its budget', () => {
    expect(nextState(budget(3), 'completed', policy)).toEqual({ state: 'completed' });
  });

  it('waits backoff-base^n after failed run n while retries are left, for every kind of failure', () => {
    for (const outcome of ['failed', 'timed_out', 'spawn_failed'] as const) {
      expect(nextState(budget(1), outcome, policy)).toEqual({ state: 'failed', delayMs: 2000 });
      expect(nextState(budget(2), outcome, policy)).toEqual({ state: 'failed', delayMs: 4000 });
      expect(nextState(budget(3), outcome, policy)).toEqual({ state: 'dead' });
    }
  });

  it('reruns a job whose worker was lost at once, but counts the run toward dead', () => {
    expect(nextState(budget(1), 'worker_lost', policy)).toEqual({ state: 'failed', delayMs: 0 });
    expect(nextState(budget(3), 'worker_lost', policy)).toEqual({ state: 'dead' });
  });

  it('puts an interrupted run back in the queue at once', () => {
    expect(nextState(budget(3), 'interrupted', policy)).toEqual({ state: 'pending' });
  });

  it('ends a cancelled run cancelled, and any run but a completed one of a cancelled job', () => {
    expect(nextState(budget(1), 'cancelled', policy)).toEqual({ state: 'cancelled' });
    for (const outcome of [
      'failed',
      'timed_out',
      'spawn_failed',
      'worker_lost',
      'interrupted',
    ] as const) {
      expect(nextState(budget(1), outcome, policy, true)).toEqual({ state: 'cancelled' });
      expect(nextState(budget(3), outcome, policy, true)).toEqual({ state: 'cancelled' });
    }
    expect(nextState(budget(1), 'completed', policy, true)).toEqual({ state: 'completed' });
  });

  it('gives the settle both answers, for a cancel that lands before it commits', () => {
    expect(settleDecision(budget(1), 'failed', policy)).toEqual({
      next: { state: 'failed', delayMs: 2000 },
      ifCancelRequested: { state: 'cancelled' },
    });
    expect(settleDecision(budget(1), 'completed', policy)).toEqual({
      next: { state: 'completed' },
      ifCancelRequested: { state: 'completed' },
    });
  });
});

describe('what a job ending does to its dependents', () => {
  it('releases them when it completes, cancels them when it ends dead or cancelled', () => {
    expect(dependentsAfter('completed')).toBe('release');
    expect(dependentsAfter('dead')).toBe('cancel');
    expect(dependentsAfter('cancelled')).toBe('cancel');
    for (const state of ['pending', 'failed', 'processing'] as const) {
      expect(dependentsAfter(state)).toBe('wait');
    }
    expect(RELEASING_STATES).toEqual(['completed']);
    expect(CANCELLING_STATES).toEqual(['dead', 'cancelled']);
  });

  it('says which dependency ended how, from the template SQL fills in too', () => {
    expect(dependencyError('build-1', 'dead')).toBe('dependency build-1 is dead');
    expect(DEPENDENCY_ERROR.replace('{id}', 'a').replace('{state}', 'cancelled')).toBe(
      dependencyError('a', 'cancelled'),
    );
  });
});
