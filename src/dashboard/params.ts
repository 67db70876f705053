/**
 * Parsers for the values a request carries (path segments and query parameters). Each takes the
 * decoded text and returns a typed value or throws ValidationError naming the parameter; the
 * route table (routes.ts) applies them before any handler runs.
 */
import { ValidationError } from '../core/errors.js';
import { checkJobId, checkQueueName } from '../core/job-spec.js';
import type { JobState } from '../core/job.js';
import { checkSearch, checkState } from '../core/queue.js';
import { checkStream } from '../core/run-output.js';

export type Param<T> = (text: string, name: string) => T;

/** A client's value for an error message: short, on one line, control characters escaped. */
export function shown(value: string): string {
  const cut = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  return JSON.stringify(cut);
}

export function integer(min: number, max: number): Param<number> {
  return (text, name) => {
    const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) {
      throw new ValidationError(
        `${name} must be a whole number from ${min} to ${max}, not ${shown(text)}`,
      );
    }
    return n;
  };
}

export const searchText: Param<string> = (value) => checkSearch(value);
export const jobId: Param<string> = (value, name) => checkJobId(value, name);
export const queueName: Param<string> = (value, name) => checkQueueName(value, name);
export const jobState: Param<JobState> = (value) => checkState(value);
export const stream = (value: string) => checkStream(value);

/** A path segment's percent-encoding undone; malformed encoding is the client's mistake. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ValidationError(`the path holds malformed percent-encoding: ${shown(segment)}`);
  }
}
