/**
 * A private queuectl installation for one fault scenario: a temp HOME with its own database, the
 * worker supervisors it started, and a leak guard that finds every process it left behind.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startCli, type CliEnv } from '../../helpers/run-cli.js';
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

export interface WorkerGroup {
  readonly child: ChildProcess;
  /** Everything the supervisor and its workers printed so far. */
  output(): string;
  /** Stops at once (two SIGTERMs) and waits for the supervisor to exit. */
  stop(): Promise<void>;
}

/** Starts `queuectl worker start --count N` and keeps its output. */
export function startWorkers(env: FaultEnv, count: number): WorkerGroup {
  const child = startCli(env, ['worker', 'start', '--count', String(count)]);
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
