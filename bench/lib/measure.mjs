/** Small measuring helpers: medians, timing, waiting for conditions, formatting. */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

export { sleep };

/** Wall-clock milliseconds with sub-millisecond precision, on the same scale as Date.now(). */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}

export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Polls a condition until it holds; throws after `timeoutMs`. */
export async function waitFor(condition, { timeoutMs = 60_000, intervalMs = 10, what } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what ?? 'a condition'}`);
    await sleep(intervalMs);
  }
}

/** Formats a number with a unit, keeping 3 significant digits at most. */
export function fmt(value, unit = '') {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  });
  return unit ? `${text} ${unit}` : text;
}

export function ratio(value, baseline) {
  return baseline ? value / baseline : NaN;
}
