/**
 * Entry point of one worker process, forked by the supervisor (`queuectl worker start`).
 * Arguments: [--drain] [--quiet] [--verbose] [--poll-interval-ms MS] [--max-jobs N]
 * [--concurrency M] [--queues A,B] [--label NAME] [--hold]; the database comes in
 * QUEUECTL_WORKER_DB. Held (--hold), it opens the database only once the supervisor says go; a
 * worker forked early (early-worker.cts) is started with --hold alone, and its go message brings
 * the database and the other arguments. After its first claim it tells the supervisor, which
 * then starts the other workers.
 * First SIGINT/SIGTERM: graceful stop. Second (or the supervisor's stop-now message): stop at
 * once, and exit within HARD_EXIT_MS whatever happens; a third signal ends the process at once,
 * even inside a long database call. Losing the supervisor: graceful stop.
 * A broken database: exit STORE_BROKEN_EXIT after telling the supervisor what is wrong (or, run
 * alone, printing it with the integrity verdict).
 */
import { setFlagsFromString } from 'node:v8';
import { StoreBrokenError } from '../core/errors.js';
import { brokenStoreLine } from '../core/store-health.js';
import type { JobStore } from '../store/job-store.js';
import { checkIntegrity } from '../store/integrity.js';
import { openStore } from '../store/open-store.js';
import { logDirectory } from '../core/output-files.js';
import {
  isMessage,
  STORE_BROKEN_EXIT,
  type FirstClaimMessage,
  type GoMessage,
  type HeldMessage,
  type StoreBrokenMessage,
} from './exit-codes.js';
import { takeWorkerDb, WORKER_DB_VARIABLE, WORKER_RUNTIME_FLAGS } from './worker-process.js';
import { Worker } from './worker.js';

/** After being told to stop at once, the process exits within this long, stuck or not. */
const HARD_EXIT_MS = 10_000;
/** The integrity check in the final line of a worker run alone. */
const CHECK_TIMEOUT_MS = 5000;

/** This worker's arguments: its command line's, or for a worker forked early, its go message's. */
let args: readonly string[] = process.argv.slice(2);

function argument(name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}

function numberArgument(name: string): number | undefined {
  const value = argument(name);
  return value === undefined ? undefined : Number(value);
}

/**
 * A held worker's wait for the supervisor's go: the message once it comes, null if the supervisor
 * goes away first. Listening starts at once, before the event loop delivers any message.
 */
function supervisorSaysGo(): Promise<GoMessage | null> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (!isMessage<GoMessage>(message, 'go')) return;
      done(message);
    };
    const onDisconnect = () => done(null);
    const done = (go: GoMessage | null) => {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
      resolve(go);
    };
    if (!process.connected) return resolve(null);
    process.on('message', onMessage);
    process.on('disconnect', onDisconnect);
    const held: HeldMessage = { type: 'held' };
    process.send!(held, undefined, {}, () => {});
  });
}

/**
 * A busy worker allocates steadily (rows, promises, timers per job) and V8 would grow its young
 * generation to 32 MiB for it; kept at its initial 2 MiB, a worker running 16 jobs at once stays
 * ~10 MiB smaller, at no measured cost in jobs/s. --optimize-for-size was set here too until
 * 2026-12-03 (it also grows the old generation in smaller steps): 800 `sleep 0.05` jobs 16 at a
 * time peaked at 55.4 instead of 58.1 MiB with it, but 5,000 `true` jobs on two workers ran ~4-5 %
 * slower (medians of 5 and 6 alternating runs: 1,130 vs 1,185 and 1,107 vs 1,154 jobs/s; the
 * worker's CPU a job 0.68 vs 0.65 ms), and jobs/s is the figure that was short of its target.
 *
 * Every function is compiled by Sparkplug, V8's baseline compiler, when first called
 * (--always-sparkplug) rather than after it has run a while in the interpreter: a worker's
 * JavaScript is many functions run once a job, each interpreted for thousands of jobs otherwise.
 * 5,000 `true` jobs on two workers: 1,177 vs 1,123 jobs/s (medians of 5 alternating runs), the
 * worker's CPU a job 0.63 vs 0.65 ms; a worker running 16 jobs peaked at the same 54.4 MiB; the
 * start to the first job did not move (Sparkplug compiles in one pass, no threads, no zones).
 *
 * TurboFan, V8's optimising compiler, is turned off too, except with --verbose: a busy worker's
 * JavaScript is spread thin over many functions run once a job, and compiling the few that grow
 * hot paged in ~5 MiB of the compiler's own code and zones for no gain (800 `sleep 0.05` jobs 16 at
 * a time peaked at ~54.5 instead of ~60 MiB; user CPU a `true` job, 1 x 2 slots, 1.34 vs 1.33 ms on
 * SQLite and 1.96 vs 2.05 ms on PostgreSQL, alternating runs of 4,000 and 2,000 jobs). A --verbose
 * worker relays every line its jobs write, a loop that does gain: 3 jobs of `seq 1 1000000` cost
 * it ~1.5-2x the CPU without TurboFan, so it keeps it.
 *
 * Set here, once running, because the same settings given as V8 flags on the command line cost
 * every worker ~15 ms of its start (worker-process.ts); V8 reads them each time it sizes the heap
 * or decides to optimise.
 */
function favourMemory(verbose: boolean): void {
  for (const flag of WORKER_RUNTIME_FLAGS) {
    if (!verbose || flag.inVerbose !== false) setFlagsFromString(flag.set);
  }
}

async function main(): Promise<number> {
  let location = takeWorkerDb();
  if (args.includes('--hold')) {
    const go = await supervisorSaysGo();
    if (!go) return 0;
    location ??= go.db;
    if (go.args) args = go.args;
  }
  if (!location) throw new Error(`worker-main needs ${WORKER_DB_VARIABLE} in its environment`);
  const verbose = args.includes('--verbose');
  favourMemory(verbose);
  const label = argument('--label') ?? `pid ${process.pid}`;
  const quiet = args.includes('--quiet');
  const line = (message: string) =>
    `${new Date().toTimeString().slice(0, 8)} [${label}] ${message}\n`;
  const log = (message: string) => {
    if (!quiet) process.stdout.write(line(message));
  };
  // A broken database is said on stderr even with --quiet.
  const alert = (message: string) => process.stderr.write(line(message));

  let store: JobStore | null = null;
  try {
    store = await openStore({ db: location, durable: false });
    const worker = new Worker({
      store,
      logDir: logDirectory(store.location),
      drain: args.includes('--drain'),
      log,
      alert,
      pollIntervalMs: numberArgument('--poll-interval-ms'),
      maxJobs: numberArgument('--max-jobs'),
      concurrency: numberArgument('--concurrency'),
      queues: argument('--queues')?.split(','),
      onOutput: verbose ? (jobId, stream, text) => log(`${jobId} ${stream}: ${text}`) : undefined,
      onFirstClaim: () => {
        const message: FirstClaimMessage = { type: 'first-claim' };
        if (process.connected) process.send!(message, undefined, {}, () => {});
      },
    });
    let hardExit: NodeJS.Timeout | undefined;
    const stopAtOnce = () => {
      worker.stopNow();
      hardExit ??= setTimeout(() => {
        alert(
          `still not stopped ${HARD_EXIT_MS / 1000} s after being told to stop at once; exiting`,
        );
        process.exit(1);
      }, HARD_EXIT_MS).unref();
    };
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals === 1) return worker.requestStop();
      stopAtOnce();
      // From now on SIGINT/SIGTERM have their default effect: the process ends even while a
      // synchronous SQLite call (waiting up to busy_timeout for a lock) holds the event loop.
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('disconnect', () => worker.requestStop());
    process.on('message', (message) => {
      if (isMessage(message, 'stop-now')) stopAtOnce();
    });

    await worker.run();
    await store.close();
    if (process.connected) process.disconnect(); // gone already if the supervisor died
    return 0;
  } catch (error) {
    if (!(error instanceof StoreBrokenError)) throw error;
    // Closing checkpoints what this connection still holds, e.g. a WAL deleted from under it.
    await store?.close().catch(() => {});
    await reportBroken(error);
    return STORE_BROKEN_EXIT;
  }
}

/** To the supervisor, which says it once for all workers; run alone, on stderr with a verdict. */
async function reportBroken(error: StoreBrokenError): Promise<void> {
  if (process.send && process.connected) {
    const message: StoreBrokenMessage = { type: 'store-broken', problem: error.message };
    await new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
    return;
  }
  const verdict = await checkIntegrity(error.location, { timeoutMs: CHECK_TIMEOUT_MS });
  process.stderr.write(`queuectl worker: ${brokenStoreLine(error.message, verdict)}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`queuectl worker: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
