/**
 * A worker process forked before `queuectl worker start` has loaded anything of its own, so that
 * the two Node starts the first job waits for (the command's, then a worker's) overlap instead of
 * running one after the other. bin.cjs calls forkEarlyWorker first thing on a command line that
 * looks like a plain `worker start`; the supervisor then takes the process as its first worker
 * (its `early` option), or, on any other command line, discardEarlyWorker kills it.
 *
 * Such a worker is forked held (--hold) and knows nothing yet: the supervisor's go message brings
 * its database and its arguments. Until then it has opened nothing, and it exits by itself if the
 * command goes away (worker-main.ts), so a process that is never adopted cannot outlive it.
 *
 * Only for a SQLite database named on the command line, in QUEUECTL_DB or by default: a worker on
 * PostgreSQL needs NODE_EXTRA_CA_CERTS from its start (below), and this file does not read the
 * configuration. Nor when `--drain` runs on a terminal: the supervisor then reads the workers'
 * output through pipes, and this process was given the terminal. CommonJS, like bin.cjs, so that
 * nothing here goes through Node's ES module loader.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The Node options every worker process starts with, forked early or by the supervisor
 * (worker-process.ts says why there are none; the build warms the workers' code cache with them).
 */
export const WORKER_NODE_OPTIONS: readonly string[] = [];

/** The variables a worker on SQLite starts without (worker-process.ts says why). */
const HELD_VARIABLES = ['NODE_EXTRA_CA_CERTS'] as const;
const HELD_PREFIX = 'QUEUECTL_HELD_';

/** `env` with the held variables moved under other names; only what was held here is put back. */
export function holdVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  for (const name of HELD_VARIABLES) {
    delete env[`${HELD_PREFIX}${name}`];
    if (env[name] === undefined) continue;
    env[`${HELD_PREFIX}${name}`] = env[name];
    delete env[name];
  }
  return env;
}

/** In the worker: the held variables back under their own names. */
export function restoreHeldVariables(env: NodeJS.ProcessEnv): void {
  for (const name of HELD_VARIABLES) {
    const held = `${HELD_PREFIX}${name}`;
    if (env[held] === undefined) continue;
    env[name] = env[held];
    delete env[held];
  }
}

/** A worker forked early. */
export interface EarlyWorker {
  readonly child: ChildProcess;
  /** Taken by a supervisor, which stops it like any other worker. */
  adopted: boolean;
}

/** Options of `worker start` that rule an early worker out, or make the command line another. */
const NOT_EARLY = new Set(['--help', '-h', '--stop', '--detach', '--version', '-V']);

/**
 * Forks the early worker when `args` (argv after the script) look like a plain `worker start` on
 * SQLite; null otherwise. A false guess costs one process that is killed: the command's own
 * parser decides.
 */
export function forkEarlyWorker(
  args: readonly string[],
  entry: string,
  env: NodeJS.ProcessEnv = process.env,
): EarlyWorker | null {
  const words: string[] = [];
  let db: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (NOT_EARLY.has(arg)) return null;
    if (arg === '--db') db = args[++i];
    else if (arg.startsWith('--db=')) db = arg.slice('--db='.length);
    else if (arg === '--drain' && process.stderr.isTTY) return null;
    else if (arg.startsWith('-')) {
      // A value, if the option takes one: skipped; a word in its place is caught by the parser.
      if (!arg.includes('=') && i + 1 < args.length && !args[i + 1]!.startsWith('-')) {
        if (args[i + 1] !== 'start' && args[i + 1] !== 'worker') i++;
      }
    } else words.push(arg);
  }
  const command = words.join(' ');
  if (command !== 'worker' && command !== 'worker start') return null;
  const location = db || env.QUEUECTL_DB || '';
  if (/^postgres(ql)?:\/\//.test(location) || !existsSync(entry)) return null;
  // Loaded only now: bin.cjs loads this file for every `worker` command line (status, stop, …).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, as bin.cjs
  const { fork } = require('node:child_process') as typeof import('node:child_process');
  const child = fork(entry, ['--hold'], {
    env: holdVariables({ ...env }),
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...WORKER_NODE_OPTIONS],
  });
  // Never unhandled: a fork that failed shows as an exit, which the supervisor sees.
  child.on('error', () => {});
  return { child, adopted: false };
}

/** Kills an early worker nobody took (it has opened nothing). */
export function discardEarlyWorker(early: EarlyWorker | null | undefined): void {
  if (early && !early.adopted && early.child.exitCode === null && early.child.signalCode === null) {
    early.child.kill('SIGKILL');
  }
}
