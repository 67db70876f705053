/** `queuectl cancel <id...>`: cancel waiting jobs, stop running ones; all of them or none. */
import type { Queue } from '../../core/queue.js';
import type { QueueCommand } from '../command-spec.js';

type Cancelled = Awaited<ReturnType<Queue['cancel']>>;

export const cancelCommand: QueueCommand<Cancelled> = {
  kind: 'queue',
  run: (queue, { args }) => queue.cancel(args),
  render: (results) =>
    results
      .map(({ job, stopping }) =>
        stopping
          ? `${job.id}: stopping (SIGTERM to its processes, SIGKILL after kill-grace); it ends cancelled`
          : `${job.id}: cancelled`,
      )
      .join('\n'),
};
