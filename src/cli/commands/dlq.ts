/** `queuectl dlq list` and `queuectl dlq retry <id…>`. */
import type { Job } from '../../core/job.js';
import type { Queue } from '../../core/queue.js';
import { parseLimit } from './list.js';

export async function dlqList(
  queue: Queue,
  options: { limit?: string; before?: string },
): Promise<Job[]> {
  return queue.list({ state: 'dead', limit: parseLimit(options.limit), before: options.before });
}

/** Retries every id, or none of them when one is unknown or not dead. */
export async function dlqRetry(queue: Queue, ids: string[]): Promise<Job[]> {
  return queue.retryDeadMany(ids);
}

export function renderRetried(jobs: Job[]): string {
  return jobs
    .map((job) => `${job.id}: moved back to pending (attempts reset; last error kept)`)
    .join('\n');
}
