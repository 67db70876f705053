/**
 * `queuectl worker start`: forks N worker processes and keeps N running. A worker that dies
 * (crash, SIGKILL) is replaced; one that exits 0 (stopped or drained) is not. The first
 * SIGINT/SIGTERM asks every worker to stop gracefully, the second stops them at once.
 * Workers run in process groups of their own so that Ctrl+C reaches them only through here.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WORKER_DB_VARIABLE } from './worker-db.js';

export interface SupervisorOptions {
  db: string;
  count: number;
  drain?: boolean;
  quiet?: boolean;
  log?: (message: string) => void;
}

export interface Supervisor {
  readonly pids: () => number[];
  /** Resolves once every worker has exited and none will be replaced. */
  readonly done: Promise<void>;
  /** First call: graceful stop; second: stop at once. */
  stop(): void;
}

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** A worker that dies sooner than this after starting is restarted with a growing delay. */
const QUICK_DEATH_MS = 2000;

export function startSupervisor(options: SupervisorOptions): Supervisor {
  const log = options.log ?? (() => {});
  const children = new Map<number, ChildProcess>();
  let stopSignals = 0;
  let quickDeaths = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let pendingRestarts = 0;

  const settleIfDone = () => {
    if (children.size === 0 && pendingRestarts === 0) resolveDone();
  };

  const spawnWorker = (slot: number) => {
    const args = ['--label', `worker ${slot}`];
    if (options.drain) args.push('--drain');
    if (options.quiet) args.push('--quiet');
    const child = fork(WORKER_MAIN, args, {
      // The location may hold a password: the environment is private to this user, argv is not.
      env: { ...process.env, [WORKER_DB_VARIABLE]: options.db },
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // A 1 MiB young generation keeps a busy worker small (65 instead of 83 MiB) at no
      // measurable cost in jobs/s now that jobs are not started by forking the worker.
      execArgv: ['--max-semi-space-size=1'],
    });
    const started = Date.now();
    children.set(child.pid!, child);
    child.once('exit', (code, signal) => {
      children.delete(child.pid!);
      if (code === 0 || stopSignals > 0) {
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
        if (stopSignals === 0) spawnWorker(slot);
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
      for (const child of children.values()) child.kill('SIGTERM');
      settleIfDone();
    },
  };
}
