/**
 * `queuectl worker start --count N`: N worker processes in the foreground until Ctrl+C. The
 * database is opened (and migrated) once first, so that one that cannot be used fails here, once,
 * instead of in every worker. If the workers stop because the database broke, this fails (exit 1)
 * with one line: what is wrong and the integrity check's verdict.
 */
import { ValidationError } from '../../core/errors.js';
import { brokenStoreLine } from '../../core/store-health.js';
import { checkIntegrity } from '../../store/integrity.js';
import { displayLocation, resolveLocation } from '../../store/open-store.js';
import { prepareLogDirectory } from '../../worker/job-log.js';
import { pickLauncher } from '../../worker/launcher.js';
import { withQueue } from '../context.js';
import { startSupervisor } from '../../worker/supervisor.js';
import { CommandFailure } from '../errors.js';

/** The verdict in the final line is bounded: quick_check on a huge database takes minutes. */
const CHECK_TIMEOUT_MS = 5000;

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
  const requested = options.count === undefined ? undefined : parseCount(options.count);
  pickLauncher(process.env.QUEUECTL_LAUNCHER); // a bad setting stops here, not in every worker
  // Opened (and migrated) once here, so a database that cannot be used fails once, not per worker.
  const count = await withQueue(
    { db: location },
    async (queue) => requested ?? (await queue.settings()).workerCount,
  );
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
  const broken = supervisor.storeBroken();
  if (broken !== null) {
    const verdict = await checkIntegrity(location, { timeoutMs: CHECK_TIMEOUT_MS });
    throw new CommandFailure(brokenStoreLine(broken, verdict));
  }
}
