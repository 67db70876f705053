/**
 * Parsers for option values, applied when argv is read: a bad value stops the command before it
 * opens the database, with one line that names the flag, says what it takes and what was given.
 */
import { ValidationError } from '../core/errors.js';
import { checkJobId } from '../core/job-spec.js';
import { checkState } from '../core/queue.js';
import { formatDuration, parseDuration } from '../core/units.js';

/** A whole number from `min` to `max`. */
export function wholeNumber(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value.trim());
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new ValidationError(
        `${flag} must be a whole number from ${min} to ${max}, not "${value}"`,
      );
    }
    return n;
  };
}

/** A duration (30s, 5m, 1h30m; a bare number is seconds) from `minMs` to `maxMs`, in ms. */
export function duration(flag: string, minMs: number, maxMs: number) {
  return (value: string): number => {
    const ms = parseDuration(value, flag);
    if (ms < minMs || ms > maxMs) {
      throw new ValidationError(
        `${flag} must be a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}, not "${value}"`,
      );
    }
    return ms;
  };
}

export function jobId(flag: string) {
  return (value: string): string => checkJobId(value, flag);
}

export const state = (value: string) => checkState(value);

/** Free text that must not be empty. */
export function text(flag: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new ValidationError(`${flag} must not be empty`);
    return value;
  };
}
