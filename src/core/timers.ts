/**
 * Timers for any delay a user can configure. Node's setTimeout holds at most 2^31-1 ms (~24.8
 * days); a longer delay fires after 1 ms with a TimeoutOverflowWarning, so a job timeout of 30
 * days would kill the job at once. Every timer whose delay comes from a setting or a job goes
 * through here: it waits in steps no longer than Node's limit.
 */

/** The longest delay Node's timers honour. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  /** Cancels the timer; harmless after it fired. */
  clear(): void;
}

export interface LongTimerOptions {
  /** Do not keep the process alive for this timer (as Timeout.unref()). */
  unref?: boolean;
  /** Longest single step; tests make it small to check the chaining. */
  stepMs?: number;
}

/**
 * Calls `callback` once, `ms` milliseconds from now, for any `ms` (Infinity: never; NaN or
 * negative: as soon as possible, like setTimeout).
 */
export function setLongTimeout(
  callback: () => void,
  ms: number,
  options: LongTimerOptions = {},
): LongTimer {
  const step = Math.min(options.stepMs ?? MAX_TIMER_MS, MAX_TIMER_MS);
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  const deadline = performance.now() + (ms > 0 ? ms : 0);
  const arm = () => {
    if (cleared) return;
    const left = deadline - performance.now();
    if (left === Infinity) return; // never fires; nothing to keep armed
    if (left > step) {
      timer = setTimeout(arm, step);
    } else {
      timer = setTimeout(
        () => {
          if (!cleared) callback();
        },
        Math.max(0, left),
      );
    }
    if (options.unref) timer.unref();
  };
  arm();
  return {
    clear() {
      cleared = true;
      clearTimeout(timer);
    },
  };
}

/** Resolves after `ms` milliseconds, for any `ms` (see setLongTimeout). */
export function sleep(ms: number, options: LongTimerOptions = {}): Promise<void> {
  return new Promise((resolve) => setLongTimeout(resolve, ms, options));
}

/** A setInterval period that Node honours: clamped to [1 ms, MAX_TIMER_MS]. */
export function intervalMs(ms: number): number {
  if (!(ms >= 1)) return 1;
  return Math.min(ms, MAX_TIMER_MS);
}
