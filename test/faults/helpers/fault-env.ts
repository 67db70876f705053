/**
 * A private queuectl installation for one fault scenario: a temp HOME with its own database, the
 * worker supervisors it started, and a leak guard that finds every process it left behind.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, type CliEnv } from '../../helpers/run-cli.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';
import { killPids, processesWithEnv } from './processes.js';

export interface FaultEnv extends CliEnv {
  dir: string;
  db: string;
}

/** A fresh temp HOME and database path; every process started from it carries HOME=dir. */
export function faultEnv(prefix: string): FaultEnv {
  const dir = tempDir(`queuectl-${prefix}-`);
  mkdirSync(join(dir, 'work'), { mode: 0o700 });
  return { dir, home: dir, db: join(dir, 'queue.db') };
}

/** The environment run-cli.ts gives the CLI, plus extra variables. */
export function cliEnvironment(env: CliEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: env.home,
    XDG_DATA_HOME: '',
    NO_COLOR: '1',
    ...extra,
  };
  delete environment.QUEUECTL_DB;
  if (env.db) environment.QUEUECTL_DB = env.db;
  return environment;
}

/**
 * Starts the CLI through a shell that first runs `prelude` (e.g. "umask 022"), with the
 * arguments passed through untouched; RAW, when given, is appended as one argument built by
 * printf %b, so it can hold bytes that are not UTF-8.
 */
export function startCliInShell(
  env: CliEnv,
  args: string[],
  options: { prelude?: string; raw?: string } = {},
): ChildProcess {
  const tail = options.raw === undefined ? '"$@"' : '"$@" "$(printf %b "$RAW")"';
  const script = `${options.prelude ?? ':'}; exec "$0" ${tail}`;
  return spawn('/bin/sh', ['-c', script, process.execPath, CLI, ...args], {
    cwd: env.home,
    env: cliEnvironment(env, options.raw === undefined ? {} : { RAW: options.raw }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export interface WorkerGroup {
  readonly child: ChildProcess;
  /** Everything the supervisor and its workers printed so far. */
  output(): string;
  /** Stops at once (two SIGTERMs) and waits for the supervisor to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `queuectl worker start --count N [args…]` (after a shell prelude, if given) and keeps
 * its output.
 */
export function startWorkers(
  env: CliEnv,
  count: number,
  prelude?: string,
  args: string[] = [],
): WorkerGroup {
  const child = startCliInShell(env, ['worker', 'start', '--count', String(count), ...args], {
    prelude,
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stdin?.end();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    output: () => text,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        child.kill('SIGTERM');
      }
      await exited;
    },
  };
}

/**
 * Leak guard: waits until no process started from this environment (CLI, worker, job, or any
 * child of a job) is left, SIGKILLing stragglers only after the wait. Returns what had to be killed.
 */
export async function reapEnvironment(env: FaultEnv, graceMs = 15_000): Promise<number[]> {
  try {
    await waitFor(() => processesWithEnv('HOME', env.home).length === 0, {
      timeoutMs: graceMs,
      intervalMs: 100,
      what: 'every process of the scenario to exit',
    });
    return [];
  } catch {
    const left = processesWithEnv('HOME', env.home);
    killPids(left);
    return left;
  }
}
