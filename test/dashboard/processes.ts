/** CLI processes started by a test file, stopped (by pid) when the file ends, even on failure. */
import type { ChildProcess } from 'node:child_process';
import { afterAll } from 'vitest';
import { collect, startCli, type CliEnv, type CliResult } from '../helpers/run-cli.js';

const running = new Set<ChildProcess>();

afterAll(async () => {
  await Promise.all([...running].map((child) => stop(child)));
});

export function start(env: CliEnv, args: string[]): ChildProcess {
  const child = startCli(env, args);
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

/** Runs the CLI to completion; the process is still stopped if the test gives up first. */
export function run(env: CliEnv, args: string[]): Promise<CliResult> {
  return collect(start(env, args));
}

/** SIGINT (a graceful stop, as Ctrl+C), then SIGKILL if it has not exited in time. */
export async function stop(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
