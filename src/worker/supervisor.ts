/**
 * `queuectl worker start`: forks N worker processes and keeps N running. The first starts alone
 * (or is the one bin.cjs forked early, early-worker.cts), the others once it has made its first
 * claim, so that on a small machine their Node starts do not delay the first job. A worker that dies
 * (crash, SIGKILL) is replaced; one that exits 0 (stopped or drained) is not. The first
 * SIGINT/SIGTERM asks every worker to stop gracefully, the second stops them at once; a worker
 * still there HARD_KILL_MS later (stuck in a database call) is SIGKILLed with its job's processes.
 * Workers run in process groups of their own so that Ctrl+C reaches them only through here.
 * A worker that exits because the database is broken is not replaced: the others are stopped at
 * once and `storeBroken()` says what is wrong.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { WORKER_NODE_OPTIONS, workerEntry, workerEnvironment } from './worker-process.js';
import {
  isMessage,
  STORE_BROKEN_EXIT,
  type GoMessage,
  type FirstClaimMessage,
  type StopNowMessage,
  type StoreBrokenMessage,
} from './exit-codes.js';
import { killWithGroups, processesWithEnvironment } from './process-info.js';
import { discardEarlyWorker, type EarlyWorker } from './early-worker.cjs';

export interface SupervisorOptions {
  db: string;
  count: number;
  drain?: boolean;
  quiet?: boolean;
  /** Workers also log every line their jobs write (`worker start -v`). */
  verbose?: boolean;
  /** Overrides config poll-interval for these workers (milliseconds). */
  pollIntervalMs?: number;
  /** Each worker exits after this many jobs, and is not replaced. */
  maxJobs?: number;
  /** Jobs each worker runs at once (absent: config worker-concurrency). */
  concurrency?: number;
  /** The queues the workers serve (absent: all). */
  queues?: string[];
  /**
   * Start the workers held: they boot (a Node start each) but do not open the database until
   * release(), so that the caller can check it meanwhile and abort() if it cannot be used.
   */
  held?: boolean;
  /** A worker forked before the command loaded (early-worker.cts): taken as the first, if it fits. */
  early?: EarlyWorker | null;
  log?: (message: string) => void;
  /**
   * Receives each line the workers print instead of the terminal, so that the caller can keep a
   * live progress line of its own apart from them. Without it, workers write to the terminal.
   */
  onWorkerLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface Supervisor {
  readonly pids: () => number[];
  /**
   * Resolves with their pids once the first workers are all forked (the first alone, the others
   * after its first claim).
   */
  readonly forked: Promise<number[]>;
  /** Resolves once every worker has exited and none will be replaced. */
  readonly done: Promise<void>;
  /** First call: graceful stop; second: stop at once. */
  stop(): void;
  /** What is wrong with the database, once a worker stopped because it is broken; else null. */
  readonly storeBroken: () => string | null;
  /** Held workers start; later replacements are not held. */
  release(): void;
  /** Held workers are killed (they have not opened the database) and none is replaced. */
  abort(): void;
}

/** What the supervisor forks (worker-process.ts). */
const WORKER_ENTRY = workerEntry();
/** The other workers start at most this long after the first (released) if it has not claimed. */
const FIRST_CLAIM_WAIT_MS = 1000;
/** A worker that dies sooner than this after starting is restarted with a growing delay. */
const QUICK_DEATH_MS = 2000;
/**
 * A worker told to stop at once exits within 10 s by itself (worker-main.ts); one still there
 * after this long is blocked (a synchronous database call) and is SIGKILLed.
 */
const HARD_KILL_MS = 15_000;

export function startSupervisor(options: SupervisorOptions): Supervisor {
  const log = options.log ?? (() => {});
  const children = new Map<number, ChildProcess>();
  let stopSignals = 0;
  let quickDeaths = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let pendingRestarts = 0;
  let broken: string | null = null;
  let hardKill: NodeJS.Timeout | undefined;
  let held = options.held ?? false;
  let aborted = false;

  const settleIfDone = () => {
    if (children.size === 0 && pendingRestarts === 0) {
      clearTimeout(hardKill);
      resolveDone();
    }
  };

  /** Every worker stops at once; any still running HARD_KILL_MS later is killed with its job. */
  const stopAllNow = () => {
    const message: StopNowMessage = { type: 'stop-now' };
    for (const child of children.values()) {
      // The signal too: a worker still starting may not listen for messages yet.
      child.kill('SIGTERM');
      if (child.connected) child.send(message, () => {});
    }
    hardKill ??= setTimeout(() => {
      for (const [pid, child] of children) {
        log(`worker pid ${pid} did not stop; killing it and its job`);
        child.kill('SIGKILL');
        killWithGroups(processesWithEnvironment({ QUEUECTL_WORKER_PID: String(pid) }));
      }
    }, HARD_KILL_MS);
  };

  /** Told to each worker still held when released; an early worker's names its database too. */
  const goMessages = new Map<ChildProcess, GoMessage>();
  let early = options.early ?? null;

  /** The first worker as forked early, when it is still there and fits; else null. */
  const adoptEarly = (piped: boolean): ChildProcess | null => {
    const taken = early;
    early = null;
    if (!taken) return null;
    const { child } = taken;
    // Its terminal output cannot be turned into pipes; one that already died is just gone.
    if (piped || child.exitCode !== null || child.signalCode !== null || !child.pid) {
      discardEarlyWorker(taken);
      return null;
    }
    taken.adopted = true;
    return child;
  };

  const spawnWorker = (slot: number) => {
    const args = ['--label', `worker ${slot}`];
    if (options.drain) args.push('--drain');
    if (options.quiet) args.push('--quiet');
    if (options.verbose) args.push('--verbose');
    if (options.pollIntervalMs !== undefined) {
      args.push('--poll-interval-ms', String(options.pollIntervalMs));
    }
    if (options.maxJobs !== undefined) args.push('--max-jobs', String(options.maxJobs));
    if (options.concurrency !== undefined) {
      args.push('--concurrency', String(options.concurrency));
    }
    if (options.queues !== undefined) args.push('--queues', options.queues.join(','));
    const piped = options.onWorkerLine !== undefined;
    const adopted = adoptEarly(piped);
    let child: ChildProcess;
    if (adopted) {
      child = adopted;
      const go: GoMessage = { type: 'go', db: options.db, args };
      if (held) goMessages.set(child, go);
      else child.send(go, () => {}); // kept by the channel until the worker listens
    } else {
      child = fork(WORKER_ENTRY, held ? [...args, '--hold'] : args, {
        // The location may hold a password: the environment is private to this user, argv is not.
        env: workerEnvironment(options.db),
        detached: true,
        stdio: ['ignore', piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit', 'ipc'],
        execArgv: [...WORKER_NODE_OPTIONS],
      });
      if (held) goMessages.set(child, { type: 'go' });
    }
    if (firstPids.length < options.count) firstPids.push(child.pid!);
    const started = Date.now();
    children.set(child.pid!, child);
    if (options.onWorkerLine) {
      forwardLines(child.stdout!, (line) => options.onWorkerLine!(line, 'stdout'));
      forwardLines(child.stderr!, (line) => options.onWorkerLine!(line, 'stderr'));
    }
    let problem: string | null = null;
    child.on('message', (message) => {
      if (isMessage<StoreBrokenMessage>(message, 'store-broken')) problem = message.problem;
      else if (isMessage<FirstClaimMessage>(message, 'first-claim')) onFirstClaim?.();
    });
    child.once('exit', (code, signal) => {
      children.delete(child.pid!);
      onFirstClaim?.();
      if (code === STORE_BROKEN_EXIT) {
        if (broken === null) {
          broken =
            problem ?? `the database ${options.db} is broken (see the worker's message above)`;
          log(
            `worker ${slot} (pid ${child.pid}) stopped: the database is broken; stopping every worker`,
          );
          stopAllNow();
        }
        settleIfDone();
        return;
      }
      if (code === 0 || stopSignals > 0 || broken !== null || aborted) {
        settleIfDone();
        return;
      }
      quickDeaths = Date.now() - started < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
      const delay = Math.min(5000, quickDeaths * 250);
      log(
        `worker ${slot} (pid ${child.pid}) died (${signal ?? `exit ${code}`}); starting a replacement`,
      );
      pendingRestarts++;
      setTimeout(() => {
        pendingRestarts--;
        if (stopSignals === 0 && broken === null && !aborted) spawnWorker(slot);
        settleIfDone();
      }, delay);
    });
  };

  // The first worker starts alone, and the others once it has made its first claim (or has gone,
  // or after FIRST_CLAIM_WAIT_MS): on two cores, Node processes booting beside it delay the first
  // job (bench: start-up).
  let resolveForked!: (pids: number[]) => void;
  const forked = new Promise<number[]>((resolve) => (resolveForked = resolve));
  /** The pids of the workers first forked, in slot order. */
  const firstPids: number[] = [];
  let restWait: NodeJS.Timeout | undefined;
  const spawnRest = () => {
    if (onFirstClaim === undefined) return;
    onFirstClaim = undefined;
    clearTimeout(restWait);
    if (!aborted && stopSignals === 0 && broken === null) {
      for (let slot = 2; slot <= options.count; slot++) spawnWorker(slot);
    }
    resolveForked(firstPids);
  };
  let onFirstClaim: (() => void) | undefined = spawnRest;
  if (options.count > 0) spawnWorker(1);
  if (options.count <= 1) spawnRest();
  // Held, the first worker waits for release(): the wait starts then.
  else if (!held) restWait = setTimeout(spawnRest, FIRST_CLAIM_WAIT_MS);
  discardEarlyWorker(early); // not taken: no worker was asked for

  return {
    pids: () => [...children.keys()],
    forked,
    done,
    stop() {
      stopSignals++;
      if (stopSignals === 1) for (const child of children.values()) child.kill('SIGTERM');
      else stopAllNow();
      settleIfDone();
    },
    storeBroken: () => broken,
    release() {
      if (!held) return;
      held = false;
      if (onFirstClaim) restWait = setTimeout(spawnRest, FIRST_CLAIM_WAIT_MS);
      // A worker still booting reads it once it listens: the channel keeps it until then.
      for (const [child, go] of goMessages) if (child.connected) child.send(go, () => {});
      goMessages.clear();
    },
    abort() {
      aborted = true;
      discardEarlyWorker(early);
      for (const child of children.values()) child.kill('SIGKILL');
      settleIfDone();
    },
  };
}

/** Calls `onLine` for every complete line read from `stream` (and the last, unfinished one). */
function forwardLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (rest) onLine(rest);
  });
}
