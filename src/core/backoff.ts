/** Retry policy: pure functions of the attempt number; no I/O and no clock reads. */

export interface BackoffPolicy {
  /** Delay after failed run n is base^n seconds. */
  base: number;
  /** Upper bound on the delay, in seconds. */
  maxSeconds: number;
}

/** Seconds to wait after failed run number `failedRun` (1-based). */
export function backoffSeconds(failedRun: number, policy: BackoffPolicy): number {
  const raw = Math.pow(policy.base, failedRun);
  return Number.isFinite(raw) ? Math.min(raw, policy.maxSeconds) : policy.maxSeconds;
}

export type RetryDecision = { state: 'failed'; delayMs: number } | { state: 'dead' };

/**
 * What follows failed run number `failedRun` of a job allowed `maxRetries` retries:
 * another try after the backoff delay while failedRun <= maxRetries, otherwise the dead letter queue.
 */
export function decideRetry(
  failedRun: number,
  maxRetries: number,
  policy: BackoffPolicy,
): RetryDecision {
  if (failedRun <= maxRetries) {
    return { state: 'failed', delayMs: Math.round(backoffSeconds(failedRun, policy) * 1000) };
  }
  return { state: 'dead' };
}
