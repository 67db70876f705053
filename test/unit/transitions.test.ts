import { describe, expect, it } from 'vitest';
import { nextState } from '../../src/core/transitions.js';

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
});
