/** The line a worker logs when it has recorded (or failed to record) a run's outcome. */
import type { Job, JobState } from '../core/job.js';
import { formatDuration } from '../core/units.js';
import type { NextState } from '../store/job-store.js';
import type { RunResult } from './run-command.js';

/**
 * `settled`: the state recorded; false: the settle was refused (the lease was lost); null: it
 * could not be recorded at all.
 */
export function outcomeLine(
  job: Job,
  result: RunResult,
  next: NextState,
  settled: JobState | false | null,
): string {
  const took = formatDuration(result.durationMs);
  if (settled === null) {
    return `${job.id}: ${result.outcome}, but the result could not be recorded; the job stays processing until a worker puts it back`;
  }
  if (!settled) {
    return `${job.id}: result refused (${result.outcome}); the job was taken over after this worker lost its lease`;
  }
  if (settled === 'cancelled' || next.state === 'cancelled') {
    return `${job.id}: cancelled after ${took}`;
  }
  if (next.state === 'completed') return `${job.id}: completed in ${took}`;
  if (next.state === 'failed') {
    return `${job.id}: ${result.error}; retry ${job.attempts}/${job.max_retries} in ${formatDuration(next.delayMs)}`;
  }
  if (next.state === 'dead') {
    return `${job.id}: ${result.error}; dead after ${job.attempts} attempt${job.attempts === 1 ? '' : 's'}`;
  }
  return `${job.id}: interrupted; back in the queue`;
}
