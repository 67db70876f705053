/**
 * `queuectl worker start`: forks N worker processes and keeps N running. A worker that dies
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
  type StopNowMessage,
  type StoreBrokenMessage,
} from './exit-codes.js';
import { killWithGroups, processesWithEnvironment } from './process-info.js';

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
  log?: (message: string) => void;
  /**
   * Receives each line the workers print instead of the terminal, so that the caller can keep a
   * live progress line of its own apart from them. Without it, workers write to the terminal.
   */
  onWorkerLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface Supervisor {
  readonly pids: () => number[];
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
    if (held) args.push('--hold');
    const piped = options.onWorkerLine !== undefined;
    const child = fork(WORKER_ENTRY, args, {
      // The location may hold a password: the environment is private to this user, argv is not.
      env: workerEnvironment(options.db),
      detached: true,
      stdio: ['ignore', piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit', 'ipc'],
      execArgv: WORKER_NODE_OPTIONS,
    });
    const started = Date.now();
    children.set(child.pid!, child);
    if (options.onWorkerLine) {
      forwardLines(child.stdout!, (line) => options.onWorkerLine!(line, 'stdout'));
      forwardLines(child.stderr!, (line) => options.onWorkerLine!(line, 'stderr'));
    }
    let problem: string | null = null;
    child.on('message', (message) => {
      if (isMessage<StoreBrokenMessage>(message, 'store-broken')) problem = message.problem;
    });
    child.once('exit', (code, signal) => {
      children.delete(child.pid!);
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

  for (let slot = 1; slot <= options.count; slot++) spawnWorker(slot);

  return {
    pids: () => [...children.keys()],
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
      const go: GoMessage = { type: 'go' };
      // A worker still booting reads it once it listens: the channel keeps it until then.
      for (const child of children.values()) if (child.connected) child.send(go, () => {});
    },
    abort() {
      aborted = true;
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
