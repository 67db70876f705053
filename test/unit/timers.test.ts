import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { intervalMs, MAX_TIMER_MS, setLongTimeout, sleep } from '../../src/core/timers.js';

const DAY = 86_400_000;

describe('long timers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a 30-day timer after 30 days, not after 1 ms as setTimeout would', () => {
    const fired = vi.fn();
    setLongTimeout(fired, 30 * DAY);
    vi.advanceTimersByTime(1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_MS + 10);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * DAY - MAX_TIMER_MS - 12);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2);
    expect(fired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100 * DAY);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('fires the largest duration any setting accepts (10 years) on time', () => {
    const fired = vi.fn();
    setLongTimeout(fired, 3650 * DAY);
    vi.advanceTimersByTime(3650 * DAY - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('never fires once cleared, also between steps', () => {
    const fired = vi.fn();
    const timer = setLongTimeout(fired, 60 * DAY);
    vi.advanceTimersByTime(40 * DAY);
    timer.clear();
    vi.advanceTimersByTime(40 * DAY);
    expect(fired).not.toHaveBeenCalled();
  });

  it('treats Infinity as never and a negative or NaN delay as now', () => {
    const never = vi.fn();
    const now = vi.fn();
    setLongTimeout(never, Infinity);
    setLongTimeout(now, -5);
    setLongTimeout(now, NaN);
    vi.advanceTimersByTime(1);
    expect(now).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1000 * DAY);
    expect(never).not.toHaveBeenCalled();
  });

  it('sleeps in steps no longer than asked', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const done = vi.fn();
    void sleep(10_000, { stepMs: 1000 }).then(done);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(done).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toHaveBeenCalled();
    expect(Math.max(...spy.mock.calls.map((call) => call[1] ?? 0))).toBeLessThanOrEqual(1000);
  });
});

describe('interval periods', () => {
  it('clamps what setInterval cannot hold', () => {
    expect(intervalMs(30 * DAY)).toBe(MAX_TIMER_MS);
    expect(intervalMs(0)).toBe(1);
    expect(intervalMs(NaN)).toBe(1);
    expect(intervalMs(250)).toBe(250);
  });
});
