/** `queuectl dlq list` and `queuectl dlq retry <id…>`. */
import type { Job } from '../../core/job.js';
import type { QueueCommand } from '../command-spec.js';
import { renderJobs } from './list.js';

export const dlqListCommand: QueueCommand<Job[], { limit: number; before?: string }> = {
  kind: 'queue',
  run: (queue, { opts }) => queue.list({ state: 'dead', limit: opts.limit, before: opts.before }),
  render: (jobs, { opts }) => renderJobs(jobs, opts.limit),
};

/** Retries every id, or none of them when one is unknown or not dead. */
export const dlqRetryCommand: QueueCommand<Job[]> = {
  kind: 'queue',
  run: (queue, { args }) => queue.retryDeadMany(args),
  render: (jobs) => renderRetried(jobs),
};

export function renderRetried(jobs: Job[]): string {
  return jobs
    .map((job) => `${job.id}: moved back to pending (attempts reset; last error kept)`)
    .join('\n');
}
