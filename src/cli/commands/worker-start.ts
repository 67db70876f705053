/**
 * `queuectl worker start --count N`: N worker processes in the foreground until Ctrl+C. The
 * database is opened (and migrated) once first, so that one that cannot be used fails here, once,
 * instead of in every worker. If the workers stop because the database broke, this fails (exit 1)
 * with one line: what is wrong and the integrity check's verdict.
 */
import { ValidationError } from '../../core/errors.js';
import { brokenStoreLine } from '../../core/store-health.js';
import { checkIntegrity } from '../../store/integrity.js';
import { Queue } from '../../core/queue.js';
import { formatDuration } from '../../core/units.js';
import { displayLocation, openStore, resolveLocation } from '../../store/open-store.js';
import { prepareLogDirectory } from '../../worker/job-log.js';
import { checkLauncherSetting } from '../../worker/launcher.js';
import type { PlainCommand } from '../command-spec.js';
import { ProgressLine } from '../progress-line.js';
import {
  startSupervisor,
  type Supervisor,
  type SupervisorOptions,
} from '../../worker/supervisor.js';
import { CommandFailure } from '../errors.js';
import type { EarlyWorker } from '../../worker/early-worker.cjs';

/** The verdict in the final line is bounded: quick_check on a huge database takes minutes. */
const CHECK_TIMEOUT_MS = 5000;

export interface WorkerStartOptions {
  db?: string;
  count?: number;
  drain?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  /** Milliseconds. */
  pollInterval?: number;
  maxJobs?: number;
  /** Jobs each worker process runs at once. */
  concurrency?: number;
  stop?: boolean;
  detach?: boolean;
  /** Serve only these queues. */
  queue?: string[];
}

/** The same options as arguments for a `worker start` in the background (--detach). */
function detachedArgs(options: WorkerStartOptions, count: number): string[] {
  const args = ['--count', String(count)];
  if (options.drain) args.push('--drain');
  if (options.quiet) args.push('--quiet');
  if (options.verbose) args.push('--verbose');
  if (options.pollInterval !== undefined) args.push('--poll-interval', `${options.pollInterval}ms`);
  if (options.maxJobs !== undefined) args.push('--max-jobs', String(options.maxJobs));
  if (options.concurrency !== undefined) args.push('--concurrency', String(options.concurrency));
  if (options.queue !== undefined) args.push('--queue', options.queue.join(','));
  return args;
}

export const workerStartCommand: PlainCommand<WorkerStartOptions> = {
  kind: 'plain',
  async run({ opts }) {
    if (opts.stop) {
      const given = [
        'count',
        'drain',
        'quiet',
        'verbose',
        'pollInterval',
        'maxJobs',
        'concurrency',
        'detach',
        'queue',
      ].filter((name) => opts[name as keyof WorkerStartOptions] !== undefined);
      if (given.length > 0) {
        throw new ValidationError('--stop stops workers and takes no other worker option');
      }
      const { stopWorkers, renderWorkerStop } = await import('./worker-stop.js');
      process.stdout.write(`${renderWorkerStop(await stopWorkers(opts.db, {}))}\n`);
      return;
    }
    await workerStart(opts.db, opts);
  },
};

/** Waits this long between redraws of the --drain progress line. */
const PROGRESS_EVERY_MS = 250;

export async function workerStart(
  db: string | undefined,
  options: WorkerStartOptions,
  earlyWorker: EarlyWorker | null = null,
): Promise<void> {
  const location = resolveLocation(db);
  checkLauncherSetting(process.env.QUEUECTL_LAUNCHER); // a bad one stops here, not in each worker
  const output = options.detach ? null : workerOutput(options);
  // With the number of workers given, they are forked first, held: their start-up (a Node boot
  // each) goes on while the database is checked here, and they open it only once it passed.
  const heldStart =
    output && options.count !== undefined
      ? startSupervisor({
          ...supervisorOptions(location, options.count, options, output, true),
          early: earlyWorker,
        })
      : null;
  let started: { workers: number; concurrency: number } | null;
  try {
    // Opened (and migrated) once here, so a database that cannot be used fails once, not per
    // worker. Closed again before the workers run: a connection held here would keep a deleted
    // -wal open after the workers stopped and spoil the integrity check's verdict.
    started = await withOpenQueue(location, async (queue) => {
      const settings = await queue.settings();
      const workers = options.count ?? settings.workerCount;
      const concurrency = options.concurrency ?? settings.workerConcurrency;
      prepareLogDirectory(location); // so does a log directory no run could use
      if (options.drain && !(await queue.store.jobLeftToRun({ queues: options.queue }))) {
        // Workers started now would only look and leave: say so instead of starting them.
        const left = await leftWaiting(queue);
        const line = `nothing to drain on ${displayLocation(location)}: no job is waiting to run${left}`;
        if (output) output.say(line);
        else process.stdout.write(`${line}\n`);
        return null;
      }
      if (options.detach) {
        const { renderDetached, startDetached } = await import('./worker-detach.js');
        const detached = await startDetached(
          queue,
          location,
          detachedArgs(options, workers),
          workers,
        );
        process.stdout.write(`${renderDetached(detached, location)}\n`);
        return null;
      }
      return { workers, concurrency };
    });
  } catch (error) {
    heldStart?.abort();
    await heldStart?.done;
    throw error;
  }
  if (started === null) {
    heldStart?.abort(); // held workers, forked before the queue turned out to have nothing to run
    await heldStart?.done;
  } else if (output) {
    await superviseWorkers(
      location,
      started.workers,
      { ...options, concurrency: started.concurrency },
      output,
      heldStart,
      earlyWorker,
    );
  }
}

/** Where `worker start` says things, and the workers' lines when they do not go straight out. */
interface WorkerOutput {
  /** Draining on a terminal: one live progress line, the lines printed above it. */
  progress: ProgressLine | null;
  say(message: string): void;
  onWorkerLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

function workerOutput(options: WorkerStartOptions): WorkerOutput {
  const progress = options.drain ? new ProgressLine(process.stderr) : null;
  return {
    progress,
    say: (message) => (progress ? progress.log(message) : process.stderr.write(`${message}\n`)),
    // Only under a live line; otherwise workers write to the terminal themselves.
    onWorkerLine: progress?.live
      ? (line, stream) => progress.log(line, stream === 'stdout' ? process.stdout : process.stderr)
      : undefined,
  };
}

/** How many jobs each worker runs at once, when more than one. */
function slots(concurrency: number | undefined): string {
  return concurrency !== undefined && concurrency > 1 ? ` × ${concurrency} jobs at once` : '';
}

async function withOpenQueue<T>(location: string, work: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(await openStore({ db: location, durable: false }));
  try {
    return await work(queue);
  } finally {
    await queue.close();
  }
}

/** What the supervisor is told; `concurrency` only when given, else each worker reads config. */
function supervisorOptions(
  location: string,
  count: number,
  options: WorkerStartOptions,
  output: WorkerOutput,
  held = false,
): SupervisorOptions {
  return {
    log: output.say,
    onWorkerLine: output.onWorkerLine,
    db: location,
    count,
    drain: options.drain,
    quiet: options.quiet,
    verbose: options.verbose,
    pollIntervalMs: options.pollInterval,
    maxJobs: options.maxJobs,
    concurrency: options.concurrency,
    queues: options.queue,
    held,
  };
}

/**
 * Runs the workers until they stop: `heldStart` when they were forked held before the checks (it is
 * released now), else they start here, the first being `earlyWorker` if one was forked.
 */
async function superviseWorkers(
  location: string,
  count: number,
  options: WorkerStartOptions,
  output: WorkerOutput,
  heldStart: Supervisor | null,
  earlyWorker: EarlyWorker | null,
): Promise<void> {
  const started = Date.now();
  const { progress, say } = output;
  const live = progress?.live ?? false;
  const supervisor =
    heldStart ??
    startSupervisor({ ...supervisorOptions(location, count, options, output), early: earlyWorker });
  supervisor.release();
  const serving = options.queue ? ` serving ${options.queue.join(', ')}` : '';
  // Said once every worker is forked (the others start after the first one's first claim).
  const announced = supervisor.forked.then((pids) =>
    say(
      `started ${count} worker${count === 1 ? '' : 's'}${slots(options.concurrency)} (pids ${pids.join(', ')}) on ${displayLocation(location)}${serving}; ` +
        (options.drain ? 'they exit when the queue is empty' : 'Ctrl+C stops them gracefully'),
    ),
  );
  // The live line reads the queue through a connection of its own, closed when the workers stop.
  const following = live ? new Queue(await openStore({ db: location, durable: false })) : null;
  const stopFollowing = following ? followDrain(following, progress!, started) : () => {};
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
  await announced;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  stopFollowing();
  await following?.close();
  progress?.clear();
  say('all workers stopped');
  const broken = supervisor.storeBroken();
  if (broken !== null) {
    const verdict = await checkIntegrity(location, { timeoutMs: CHECK_TIMEOUT_MS });
    throw new CommandFailure(brokenStoreLine(broken, verdict));
  }
  if (options.drain && signals === 0) {
    say(await withOpenQueue(location, (queue) => drainSummary(queue, started)));
  }
}

/** Keeps the progress line current, redrawn on every change (throttled); returns a stop. */
function followDrain(queue: Queue, progress: ProgressLine, started: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const draw = async () => {
    timer = undefined;
    const { counts } = await queue.status().catch(() => ({ counts: null }));
    if (!counts) return;
    const elapsed = formatDuration(Date.now() - started);
    progress.set(
      `draining: ${counts.pending} pending, ${counts.processing} running, ${counts.failed} waiting to retry; ` +
        `${counts.completed} completed, ${counts.dead} dead  (${elapsed})`,
    );
  };
  const schedule = () => {
    timer ??= setTimeout(() => void draw(), PROGRESS_EVERY_MS);
  };
  const unsubscribe = queue.store.subscribe(schedule);
  const tick = setInterval(schedule, 1000); // the elapsed time moves on without changes too
  void draw();
  return () => {
    unsubscribe();
    clearInterval(tick);
    clearTimeout(timer);
  };
}

/** What a drain did: runs that finished since it started, and how long it took. */
export async function drainSummary(queue: Queue, started: number): Promise<string> {
  const elapsed = Date.now() - started;
  const [stats, left] = await Promise.all([queue.stats(elapsed + 1000), leftWaiting(queue)]);
  return (
    `drained in ${formatDuration(elapsed)}: ${plural(stats.completed, 'job')} completed, ` +
    `${plural(stats.failed, 'failed run')}, ${stats.dead} dead` +
    // Jobs cancelled meanwhile (for a dependency, or by a user) ended too: said when there are.
    `${stats.cancelled ? `, ${stats.cancelled} cancelled` : ''}${left}`
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * What a drain does not wait for, as "; left waiting: …" (or nothing): jobs of paused queues,
 * jobs waiting for what cannot run.
 */
async function leftWaiting(queue: Queue): Promise<string> {
  const left = (await queue.queues())
    .map((q) => ({ q, n: q.counts.pending + q.counts.failed }))
    .filter(({ n }) => n > 0)
    .map(({ q, n }) => `${plural(n, 'job')} in ${q.paused ? 'paused ' : ''}queue ${q.name}`);
  return left.length ? `; left waiting: ${left.join(', ')}` : '';
}
