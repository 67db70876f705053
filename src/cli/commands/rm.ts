/** `queuectl rm <id...>`: remove waiting or finished jobs with their history and output files. */
import type { Queue } from '../../core/queue.js';
import type { QueueCommand } from '../command-spec.js';

type Removed = Awaited<ReturnType<Queue['remove']>>;

export const rmCommand: QueueCommand<Removed> = {
  kind: 'queue',
  run: (queue, { args }) => queue.remove(args),
  render: (removed) =>
    [
      ...removed.jobs.map((job) => `${job.id}: removed, with its history and output files`),
      ...removed.filesLeft.map((line) => `could not remove ${line}`),
    ].join('\n'),
};
