/** `queuectl worker start --count N`: N worker processes in the foreground until Ctrl+C. */
import { ValidationError } from '../../core/errors.js';
import { displayLocation, resolveLocation } from '../../store/open-store.js';
import { prepareLogDirectory } from '../../worker/job-log.js';
import { pickLauncher } from '../../worker/launcher.js';
import { withQueue } from '../context.js';
import { startSupervisor } from '../../worker/supervisor.js';

export interface WorkerStartOptions {
  count?: string;
  drain?: boolean;
  quiet?: boolean;
}

export function parseCount(count: string): number {
  const n = Number(count);
  if (!/^\d+$/.test(count) || n < 1 || n > 256) {
    throw new ValidationError(`--count must be a whole number from 1 to 256, not "${count}"`);
  }
  return n;
}

export async function workerStart(
  db: string | undefined,
  options: WorkerStartOptions,
): Promise<void> {
  const location = resolveLocation(db);
  const count =
    options.count === undefined
      ? await withQueue({ db: location }, async (queue) => (await queue.settings()).workerCount)
      : parseCount(options.count);
  pickLauncher(process.env.QUEUECTL_LAUNCHER); // a bad setting stops here, not in every worker
  prepareLogDirectory(location); // so does a log directory no run could use
  const say = (message: string) => process.stderr.write(`${message}\n`);
  const supervisor = startSupervisor({
    db: location,
    count,
    drain: options.drain,
    quiet: options.quiet,
    log: say,
  });
  say(
    `started ${count} worker${count === 1 ? '' : 's'} (pids ${supervisor.pids().join(', ')}) on ${displayLocation(location)}; ` +
      (options.drain ? 'they exit when the queue is empty' : 'Ctrl+C stops them gracefully'),
  );
  let signals = 0;
  const onSignal = () => {
    signals++;
    say(
      signals === 1
        ? 'stopping: running jobs finish first (Ctrl+C again to stop at once and requeue them)'
        : 'stopping at once: killing running jobs and putting them back in the queue',
    );
    supervisor.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await supervisor.done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  say('all workers stopped');
}
