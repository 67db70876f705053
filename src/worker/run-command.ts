/**
 * Runs one job's command: `/bin/sh -c` in a process group of its own, output streamed to capped
 * files, a timeout that takes down the whole group (SIGTERM, a grace period, then SIGKILL).
 * When the shell exits, anything it left running in its group is killed too: a finished job
 * leaves nothing behind.
 */
import { spawn } from 'node:child_process';
import { formatDuration } from '../core/units.js';
import type { Outcome } from '../core/job.js';
import { logPath, StreamCapture } from './job-log.js';
import { killProcessGroup } from './process-info.js';

export interface RunOptions {
  command: string;
  jobId: string;
  attempt: number;
  timeoutMs: number | null;
  killGraceMs: number;
  outputLimitBytes: number;
  logDir: string;
}

export interface RunResult {
  outcome: Exclude<Outcome, 'worker_lost'>;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  error: string | null;
  durationMs: number;
}

export interface RunningCommand {
  /** The shell's pid, which is also the job's process-group id; null if it could not start. */
  readonly pid: number | null;
  readonly result: Promise<RunResult>;
  /** Kills the whole process group at once; the run ends as `interrupted`. */
  interrupt(): void;
}

const ERROR_TAIL = 400;

export function runCommand(options: RunOptions): RunningCommand {
  const started = performance.now();
  const child = spawn('/bin/sh', ['-c', options.command], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      QUEUECTL_JOB_ID: options.jobId,
      QUEUECTL_ATTEMPT: String(options.attempt),
      // With the two above, lets the rescuer find this run's processes if this worker dies.
      QUEUECTL_WORKER_PID: String(process.pid),
    },
  });
  const pid = child.pid ?? null;
  const stdout = new StreamCapture(
    logPath(options.logDir, options.jobId, options.attempt, 'stdout'),
    options.outputLimitBytes,
  );
  const stderr = new StreamCapture(
    logPath(options.logDir, options.jobId, options.attempt, 'stderr'),
    options.outputLimitBytes,
    ERROR_TAIL,
  );
  child.stdout?.on('data', (chunk: Buffer) => stdout.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.write(chunk));

  let ending: 'timed_out' | 'interrupted' | null = null;
  let graceTimer: NodeJS.Timeout | undefined;
  const terminate = () => {
    if (pid === null) return;
    killProcessGroup(pid, 'SIGTERM');
    graceTimer = setTimeout(() => killProcessGroup(pid, 'SIGKILL'), options.killGraceMs);
  };
  const timeoutTimer =
    options.timeoutMs === null
      ? undefined
      : setTimeout(() => {
          ending = 'timed_out';
          terminate();
        }, options.timeoutMs);

  const result = new Promise<RunResult>((resolve) => {
    let spawnError: Error | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let closeFallback: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timeoutTimer);
      clearTimeout(graceTimer);
      clearTimeout(closeFallback);
      stdout.close();
      stderr.close();
      const durationMs = performance.now() - started;
      resolve(describe(options, ending, spawnError, exit, stderr.lastText(), durationMs));
    };
    child.once('error', (error) => {
      spawnError = error;
      if (pid === null) finish();
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // The shell is gone: kill whatever it left in its group, so nothing outlives the job
      // and no leftover keeps the output pipes open.
      if (pid !== null) killProcessGroup(pid, 'SIGKILL');
      closeFallback = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 2000);
    });
    child.once('close', finish);
  });

  return {
    pid,
    result,
    interrupt() {
      ending ??= 'interrupted';
      if (pid !== null) killProcessGroup(pid, 'SIGKILL');
    },
  };
}

function describe(
  options: RunOptions,
  ending: 'timed_out' | 'interrupted' | null,
  spawnError: Error | null,
  exit: { code: number | null; signal: NodeJS.Signals | null } | null,
  stderrTail: string,
  durationMs: number,
): RunResult {
  const exitCode = exit?.code ?? null;
  const signal = exit?.signal ?? null;
  const base = { exitCode, signal, durationMs };
  if (spawnError && !exit) {
    return {
      ...base,
      outcome: 'spawn_failed',
      error: `could not start /bin/sh: ${spawnError.message}`,
    };
  }
  if (ending === 'timed_out') {
    return {
      ...base,
      outcome: 'timed_out',
      error: `timed out after ${formatDuration(options.timeoutMs!)}`,
    };
  }
  if (ending === 'interrupted') {
    return {
      ...base,
      outcome: 'interrupted',
      error: 'interrupted: the worker was stopped at once',
    };
  }
  if (exitCode === 0) return { ...base, outcome: 'completed', error: null };
  const lastLine = stderrTail.trim().split('\n').pop()?.trim();
  const detail = lastLine ? `: ${lastLine}` : '';
  if (signal) return { ...base, outcome: 'failed', error: `killed by ${signal}${detail}` };
  if (exitCode === 127)
    return { ...base, outcome: 'failed', error: `command not found (exit 127)${detail}` };
  if (exitCode === 126)
    return { ...base, outcome: 'failed', error: `command not executable (exit 126)${detail}` };
  return { ...base, outcome: 'failed', error: `exited with code ${exitCode}${detail}` };
}
