import { describe, expect, it } from 'vitest';
import { backoffSeconds, decideRetry } from '../../src/core/backoff.js';

const policy = { base: 2, maxSeconds: 3600 };

describe('backoff', () => {
  it('waits base^n seconds after failed run n: 2 s, 4 s, 8 s with base 2', () => {
    expect([1, 2, 3].map((n) => backoffSeconds(n, policy))).toEqual([2, 4, 8]);
  });

  it('caps the delay at backoff-max', () => {
    expect(backoffSeconds(20, { base: 2, maxSeconds: 60 })).toBe(60);
    expect(backoffSeconds(5000, { base: 10, maxSeconds: 3600 })).toBe(3600);
  });

  it('retries while the failed run number is within max_retries, then declares the job dead', () => {
    expect(decideRetry(1, 3, policy)).toEqual({ state: 'failed', delayMs: 2000 });
    expect(decideRetry(3, 3, policy)).toEqual({ state: 'failed', delayMs: 8000 });
    expect(decideRetry(4, 3, policy)).toEqual({ state: 'dead' });
    expect(decideRetry(1, 0, policy)).toEqual({ state: 'dead' });
  });
});
