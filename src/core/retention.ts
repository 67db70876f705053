/**
 * Retention: which finished jobs the cleaner deletes, and how often it looks. Pure; the
 * cleaner (core/cleaner.ts) deletes through the store, in small batches.
 */
import type { Settings } from './config.js';
import { ValidationError } from './errors.js';
import { FINISHED_STATES, type FinishedState } from './job.js';

/** One state's jobs to delete: those that finished at least `olderThanMs` ago. */
export interface CleanTarget {
  state: FinishedState;
  olderThanMs: number;
}

function keepOf(settings: Settings, state: FinishedState): number | null {
  switch (state) {
    case 'completed':
      return settings.keepCompletedMs;
    case 'dead':
      return settings.keepDeadMs;
    case 'cancelled':
      return settings.keepCancelledMs;
  }
}

/**
 * What to clean: the named state (default: every finished state), each older than
 * `olderThanMs` or, without it, its keep-* setting; a state kept forever is left out unless an
 * age is given.
 */
export function cleanTargets(
  settings: Settings,
  params: { state?: string; olderThanMs?: number } = {},
): CleanTarget[] {
  if (
    params.state !== undefined &&
    !(FINISHED_STATES as readonly string[]).includes(params.state)
  ) {
    throw new ValidationError(
      `only finished jobs are cleaned: --state must be ${FINISHED_STATES.join(', ')}, not "${params.state}"`,
    );
  }
  const states = params.state ? [params.state as FinishedState] : [...FINISHED_STATES];
  return states.flatMap((state) => {
    const olderThanMs = params.olderThanMs ?? keepOf(settings, state);
    return olderThanMs === null ? [] : [{ state, olderThanMs }];
  });
}

/** The cleaner looks at most this often, and at least this often when it has work. */
const CLEAN_EVERY_MAX_MS = 60_000;
const CLEAN_EVERY_MIN_MS = 1000;

/**
 * How often the leader's cleaner runs: every minute, sooner when a keep-* setting is short
 * (half of the shortest), so that a short retention keeps the database small.
 */
export function cleanEveryMs(settings: Settings): number {
  const keeps = [settings.keepCompletedMs, settings.keepDeadMs, settings.keepCancelledMs].filter(
    (ms): ms is number => ms !== null,
  );
  const shortest = keeps.length ? Math.min(...keeps) : Infinity;
  return Math.max(CLEAN_EVERY_MIN_MS, Math.min(CLEAN_EVERY_MAX_MS, shortest / 2));
}
