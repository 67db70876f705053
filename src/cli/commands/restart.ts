/**
 * `queuectl restart <id...>` or `restart --state dead|cancelled|completed`: finished jobs run
 * again as the same job, attempts reset, their history kept and numbered on.
 */
import { ValidationError } from '../../core/errors.js';
import type { Job, JobState } from '../../core/job.js';
import type { QueueCommand } from '../command-spec.js';

export const restartCommand: QueueCommand<Job[] | number, { state?: JobState }> = {
  kind: 'queue',
  async run(queue, { args, opts }) {
    if ((opts.state === undefined) === (args.length === 0)) {
      throw new ValidationError(
        'name the jobs to restart, or a state with --state (dead, cancelled or completed), not both',
      );
    }
    return opts.state === undefined ? queue.restart(args) : queue.restartState(opts.state);
  },
  render: (restarted, { opts }) =>
    typeof restarted === 'number'
      ? `${restarted} ${opts.state} job${restarted === 1 ? '' : 's'} back to pending (attempts reset; their history is kept)`
      : restarted
          .map((job) => `${job.id}: back to pending (attempts reset; its history is kept)`)
          .join('\n'),
  jsonOf: (restarted) => (typeof restarted === 'number' ? { restarted } : restarted),
};
