/** `queuectl list` and `queuectl dlq list`: jobs newest first, paged by keyset (--before ID). */
import { DEFAULT_QUEUE, type Job, type JobState } from '../../core/job.js';
import type { QueueCommand } from '../command-spec.js';
import { ago, oneLine, paint, STATE_COLORS } from '../output.js';
import { table } from '../table.js';

export interface ListOptions {
  state?: JobState;
  limit: number;
  before?: string;
  search?: string;
  queue?: string;
}

export const listCommand: QueueCommand<Job[], ListOptions> = {
  kind: 'queue',
  run: (queue, { opts }) => queue.list(opts),
  render: (jobs, { opts }) => renderJobs(jobs, opts.limit),
};

/** When a waiting job runs next: after the jobs it waits for, at its time, or now. */
function nextRun(job: Job, now: number): string {
  if (job.state !== 'pending' && job.state !== 'failed') return '-';
  if (job.waiting_for.length) {
    const shown = job.waiting_for.slice(0, 3).join(', ');
    return `after ${shown}${job.waiting_for.length > 3 ? ', …' : ''}`;
  }
  return job.run_at > now ? ago(job.run_at, now) : 'now';
}

/**
 * `limit`: the page size asked for; a full page ends with how to get the next one. A QUEUE
 * column appears when a job shown is in another queue than the default one.
 */
export function renderJobs(jobs: Job[], limit = 50, now = Date.now()): string {
  if (jobs.length === 0) return 'no jobs';
  const queues = jobs.some((job) => job.queue !== DEFAULT_QUEUE);
  const rows = jobs.map((job) => [
    job.id,
    ...(queues ? [job.queue] : []),
    paint(job.state, STATE_COLORS[job.state]),
    `${job.attempts}/${job.max_retries + 1}`,
    String(job.priority),
    nextRun(job, now),
    ago(job.updated_at, now),
    oneLine(job.command),
    oneLine(job.last_error),
  ]);
  const more = jobs.length === limit ? `\n(next page: --before ${jobs[jobs.length - 1]!.id})` : '';
  const shift = queues ? 1 : 0;
  return (
    table(
      [
        'ID',
        ...(queues ? ['QUEUE'] : []),
        'STATE',
        'ATTEMPTS',
        'PRI',
        'NEXT RUN',
        'UPDATED',
        'COMMAND',
        'LAST ERROR',
      ],
      rows,
      { shrink: [6 + shift, 7 + shift] },
    ) + more
  );
}
