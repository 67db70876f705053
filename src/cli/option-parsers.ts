/**
 * Parsers for option values, applied when argv is read: a bad value stops the command before it
 * opens the database, with one line that names the flag, says what it takes and what was given.
 */
import { ValidationError } from '../core/errors.js';
import type { JobState } from '../core/job.js';
import { checkJobId, checkQueueName, LIMITS } from '../core/job-spec.js';
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

/** A duration as `duration()` reads it, or `none` (null): no limit. */
export function durationOrNone(flag: string, minMs: number, maxMs: number) {
  const parse = duration(flag, minMs, maxMs);
  return (value: string): number | null =>
    value.trim().toLowerCase() === 'none' ? null : parse(value);
}

/** NAME=VALUE, as `env` takes it: a variable name, then anything (also empty, also with =). */
export function assignment(flag: string) {
  return (value: string): [string, string] => {
    const at = value.indexOf('=');
    const name = at === -1 ? value : value.slice(0, at);
    if (at === -1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ValidationError(
        `${flag} takes NAME=VALUE with a variable name (letters, digits, _), not "${value}"`,
      );
    }
    if (value.includes('\0')) throw new ValidationError(`${flag} values must not hold a NUL byte`);
    return [name, value.slice(at + 1)];
  };
}

export function jobId(flag: string) {
  return (value: string): string => checkJobId(value, flag);
}

export const state = (value: string) => checkState(value);

/** The finished states, which restart takes. */
export const RESTARTABLE: readonly JobState[] = ['dead', 'cancelled', 'completed'];

export function restartState(value: string): JobState {
  if ((RESTARTABLE as string[]).includes(value)) return value as JobState;
  throw new ValidationError(
    `--state must be ${RESTARTABLE.join(', ')} (finished jobs), not "${value}"`,
  );
}

/** Free text that must not be empty. */
export function text(flag: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new ValidationError(`${flag} must not be empty`);
    return value;
  };
}

/** A finished state (clean --state). */
export function finishedState(value: string): JobState {
  if ((RESTARTABLE as string[]).includes(value)) return value as JobState;
  throw new ValidationError(
    `--state must be ${RESTARTABLE.join(', ')} (only finished jobs are cleaned), not "${value}"`,
  );
}

/** A queue name (the rules of a job id). */
export function queueName(flag: string) {
  return (value: string): string => checkQueueName(value, flag);
}

/** Queue names separated by commas (`--queue a,b`), each checked; repeats count once. */
export function queueNames(flag: string) {
  return (value: string): string[] => {
    const names = value
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    if (names.length === 0) {
      throw new ValidationError(
        `${flag} takes queue names separated by commas, e.g. emails,reports`,
      );
    }
    return [...new Set(names.map((name) => checkQueueName(name, flag)))];
  };
}

/** Job ids separated by commas (`--after a,b`), each checked; at most LIMITS.afterIds. */
export function jobIds(flag: string) {
  return (value: string): string[] => {
    const ids = value
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== '');
    if (ids.length === 0) throw new ValidationError(`${flag} takes job ids separated by commas`);
    if (ids.length > LIMITS.afterIds) {
      throw new ValidationError(
        `${flag} names ${ids.length} jobs; the limit is ${LIMITS.afterIds}`,
      );
    }
    return ids.map((id) => checkJobId(id, flag));
  };
}

/**
 * A concurrency limit: a whole number from 1, or `none` to remove it (returned as 'none':
 * commander turns a parser's null into '').
 */
export function concurrency(flag: string) {
  const parse = wholeNumber(flag, 1, LIMITS.concurrency);
  return (value: string): number | 'none' => {
    if (value.trim().toLowerCase() === 'none') return 'none';
    try {
      return parse(value);
    } catch {
      throw new ValidationError(
        `${flag} must be a whole number from 1 to ${LIMITS.concurrency}, or none to remove the limit, not "${value}"`,
      );
    }
  };
}
