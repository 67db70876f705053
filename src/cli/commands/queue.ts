/**
 * Named queues: `queue list`, `queue set NAME --concurrency N|none`, `pause [QUEUE...|--all]
 * [--wait]` and `resume [QUEUE...|--all]`. Pausing and limits live in the database, so they reach
 * every worker on every host; `pause --wait` returns once the paused queues run nothing.
 */
import { ValidationError } from '../../core/errors.js';
import type { QueueInfo } from '../../core/job.js';
import type { Queue } from '../../core/queue.js';
import { formatDuration } from '../../core/units.js';
import { waitForQueuesIdle } from '../../core/wait.js';
import type { PlainCommand, QueueCommand } from '../command-spec.js';
import { withQueue } from '../context.js';
import { paint, toJson } from '../output.js';
import { table } from '../table.js';
import { TIMED_OUT_EXIT } from './wait.js';

export const queueListCommand: QueueCommand<QueueInfo[]> = {
  kind: 'queue',
  run: (queue) => queue.queues(),
  render: (queues) => renderQueues(queues),
};

/** One row a queue: what it holds, what runs, what may start now, its limit and pause. */
export function renderQueues(queues: QueueInfo[]): string {
  if (queues.length === 0) return 'no queues';
  return table(
    [
      'QUEUE',
      'STATUS',
      'LIMIT',
      'RUNNING',
      'RUNNABLE',
      'PENDING',
      'BLOCKED',
      'RETRYING',
      'COMPLETED',
      'DEAD',
      'CANCELLED',
      'LAG',
    ],
    queues.map((q) => [
      q.name,
      q.paused ? paint('paused', 'yellow') : 'active',
      q.concurrency === null ? '-' : String(q.concurrency),
      String(q.counts.processing),
      String(q.runnable ?? '-'),
      String(q.counts.pending),
      String(q.blocked ?? '-'),
      String(q.counts.failed),
      String(q.counts.completed),
      String(q.counts.dead),
      String(q.counts.cancelled),
      q.lag_ms === null ? '-' : formatDuration(q.lag_ms),
    ]),
  );
}

export const queueSetCommand: QueueCommand<QueueInfo, { concurrency?: number | 'none' }> = {
  kind: 'queue',
  run(queue, { args, opts }) {
    if (opts.concurrency === undefined) {
      throw new ValidationError(
        'say what to set: --concurrency N (or none), e.g. queuectl queue set emails --concurrency 2',
      );
    }
    return queue.setConcurrency(args[0]!, opts.concurrency === 'none' ? null : opts.concurrency);
  },
  render: (q) =>
    q.concurrency === null
      ? `${q.name}: no concurrency limit (${q.counts.processing} running)`
      : `${q.name}: at most ${q.concurrency} running at once (${q.counts.processing} running now${q.counts.processing > q.concurrency ? '; no more start until fewer run' : ''})`,
};

/** The queues named, or every queue with --all (not both, and not neither). */
function target(args: string[], all: boolean | undefined, verb: string): string[] | 'all' {
  if (all && args.length > 0) {
    throw new ValidationError(`name queues to ${verb}, or --all, not both`);
  }
  if (all) return 'all';
  if (args.length === 0) {
    throw new ValidationError(
      `name the queues to ${verb} (queuectl queue list shows them), or --all for every queue`,
    );
  }
  return args;
}

function renderChanged(queues: QueueInfo[], verb: 'paused' | 'resumed'): string {
  if (queues.length === 0) return 'no queues';
  return queues
    .map((q) => {
      const running = q.counts.processing;
      const total = Object.values(q.counts).reduce((sum, n) => sum + n, 0);
      const note =
        verb === 'paused'
          ? running
            ? ` (${running} running job${running === 1 ? '' : 's'} will finish)`
            : total === 0
              ? ' (no jobs yet; they will wait)'
              : ''
          : q.runnable
            ? ` (${q.runnable} job${q.runnable === 1 ? '' : 's'} can start)`
            : '';
      return `${q.name}: ${verb}${note}`;
    })
    .join('\n');
}

export interface PauseOptions {
  db?: string;
  json?: boolean;
  all?: boolean;
  wait?: boolean;
  /** Milliseconds, with --wait. */
  timeout?: number;
}

export const pauseCommand: PlainCommand<PauseOptions> = {
  kind: 'plain',
  async run({ args, opts }) {
    const names = target(args, opts.all, 'pause');
    if (opts.timeout !== undefined && !opts.wait) {
      throw new ValidationError('--timeout goes with --wait');
    }
    return withQueue(opts, async (queue) => pause(queue, names, opts));
  },
};

async function pause(queue: Queue, names: string[] | 'all', opts: PauseOptions): Promise<number> {
  const paused = await queue.pause(names);
  const say = (text: string) => process.stdout.write(`${text}\n`);
  if (!opts.wait) {
    say(opts.json ? toJson(paused) : renderChanged(paused, 'paused'));
    return 0;
  }
  if (!opts.json) say(renderChanged(paused, 'paused'));
  const { queues, timedOut } = await waitForQueuesIdle(
    queue,
    paused.map((q) => q.name),
    { timeoutMs: opts.timeout },
  );
  if (opts.json) say(toJson({ queues, timedOut }));
  else if (timedOut) {
    const busy = queues.filter((q) => q.counts.processing > 0);
    say(
      `timed out; still running: ${busy.map((q) => `${q.name} (${q.counts.processing})`).join(', ')}`,
    );
  } else say('nothing runs in the paused queues');
  return timedOut ? TIMED_OUT_EXIT : 0;
}

export const resumeCommand: QueueCommand<QueueInfo[], { all?: boolean }> = {
  kind: 'queue',
  run: (queue, { args, opts }) => queue.resume(target(args, opts.all, 'resume')),
  render: (queues) => renderChanged(queues, 'resumed'),
};
