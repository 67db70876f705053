/**
 * `queuectl update <id> [--priority N] [--run-at T | --delay D] [--max-retries N]
 * [--timeout D|none] [--command CMD]`: change a job that has not started (pending, or failed and
 * waiting for its retry). Values are checked as enqueue checks them.
 */
import { ValidationError } from '../../core/errors.js';
import type { Job } from '../../core/job.js';
import { parseTimestamp } from '../../core/units.js';
import type { QueueCommand } from '../command-spec.js';

export interface UpdateOptions {
  priority?: number;
  runAt?: string;
  /** Milliseconds from now. */
  delay?: number;
  maxRetries?: number;
  /** Milliseconds, or null for no limit. */
  timeout?: number | null;
  command?: string;
}

export const updateCommand: QueueCommand<Job, UpdateOptions> = {
  kind: 'queue',
  async run(queue, { args, opts }) {
    if (opts.runAt !== undefined && opts.delay !== undefined) {
      throw new ValidationError('give either --run-at or --delay, not both');
    }
    const changes: Parameters<typeof queue.update>[1] = {};
    if (opts.priority !== undefined) changes.priority = opts.priority;
    if (opts.maxRetries !== undefined) changes.max_retries = opts.maxRetries;
    if (opts.command !== undefined) changes.command = opts.command;
    if (opts.timeout !== undefined) {
      changes.timeout_seconds = opts.timeout === null ? null : opts.timeout / 1000;
    }
    if (opts.runAt !== undefined) changes.run_at = parseTimestamp(opts.runAt, '--run-at');
    if (opts.delay !== undefined) changes.run_at = (await queue.store.now()) + opts.delay;
    if (Object.keys(changes).length === 0) {
      throw new ValidationError(
        'say what to change: --priority, --run-at or --delay, --max-retries, --timeout or --command',
      );
    }
    return queue.update(args[0]!, changes);
  },
  render: (job) => `${job.id}: updated`,
};
