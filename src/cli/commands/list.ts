/** `queuectl list` and `queuectl dlq list`: jobs newest first, paged by keyset (--before ID). */
import type { Job, JobState } from '../../core/job.js';
import type { QueueCommand } from '../command-spec.js';
import { ago, oneLine, paint, STATE_COLORS } from '../output.js';
import { table } from '../table.js';

export interface ListOptions {
  state?: JobState;
  limit: number;
  before?: string;
  search?: string;
}

export const listCommand: QueueCommand<Job[], ListOptions> = {
  kind: 'queue',
  run: (queue, { opts }) => queue.list(opts),
  render: (jobs, { opts }) => renderJobs(jobs, opts.limit),
};

/** `limit`: the page size asked for; a full page ends with how to get the next one. */
export function renderJobs(jobs: Job[], limit = 50, now = Date.now()): string {
  if (jobs.length === 0) return 'no jobs';
  const rows = jobs.map((job) => [
    job.id,
    paint(job.state, STATE_COLORS[job.state]),
    `${job.attempts}/${job.max_retries + 1}`,
    String(job.priority),
    job.state === 'pending' || job.state === 'failed'
      ? job.run_at > now
        ? ago(job.run_at, now)
        : 'now'
      : '-',
    ago(job.updated_at, now),
    oneLine(job.command),
    oneLine(job.last_error),
  ]);
  const more = jobs.length === limit ? `\n(next page: --before ${jobs[jobs.length - 1]!.id})` : '';
  return (
    table(
      ['ID', 'STATE', 'ATTEMPTS', 'PRI', 'NEXT RUN', 'UPDATED', 'COMMAND', 'LAST ERROR'],
      rows,
      { shrink: [6, 7] },
    ) + more
  );
}
