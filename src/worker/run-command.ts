/**
 * Runs one job's command: `/bin/sh -c` in a process group of its own, its stdout and stderr
 * written straight into capped files, a timeout that takes down the whole group (SIGTERM, a
 * grace period, then SIGKILL). When the shell exits, anything it left running in its group is
 * killed too: a finished job leaves nothing behind.
 */
import { setLongTimeout, type LongTimer } from '../core/timers.js';
import { formatDuration } from '../core/units.js';
import type { Outcome } from '../core/job.js';
import { RunOutputFiles } from './job-log.js';
import { defaultLauncher, type ExitStatus, type Launcher } from './launcher.js';
import { killProcessGroup } from './process-info.js';

export interface RunOptions {
  command: string;
  jobId: string;
  attempt: number;
  timeoutMs: number | null;
  killGraceMs: number;
  outputLimitBytes: number;
  logDir: string;
  /** How to start the process; the fastest this platform has unless a test says otherwise. */
  launcher?: Launcher;
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

/** How often a running job's output files are measured and cut back to the output limit. */
const CAP_EVERY_MS = 25;

/** This process's environment, copied once: reading process.env walks the real environment. */
let inheritedEnv: NodeJS.ProcessEnv | undefined;

export function runCommand(options: RunOptions): RunningCommand {
  const started = performance.now();
  const output = new RunOutputFiles(
    options.logDir,
    options.jobId,
    options.attempt,
    options.outputLimitBytes,
  );
  inheritedEnv ??= { ...process.env };
  const launched = (options.launcher ?? defaultLauncher()).launch({
    file: '/bin/sh',
    args: ['-c', options.command],
    stdout: output.fds[0],
    stderr: output.fds[1],
    env: {
      ...inheritedEnv,
      QUEUECTL_JOB_ID: options.jobId,
      QUEUECTL_ATTEMPT: String(options.attempt),
      // With the two above, lets the rescuer find this run's processes if this worker dies.
      QUEUECTL_WORKER_PID: String(process.pid),
    },
  });
  const pid = launched.pid;
  const capTimer = setInterval(() => output.cap(), CAP_EVERY_MS);

  let ending: 'timed_out' | 'interrupted' | null = null;
  let graceTimer: LongTimer | undefined;
  const terminate = () => {
    if (pid === null) return;
    killProcessGroup(pid, 'SIGTERM');
    graceTimer = setLongTimeout(() => killProcessGroup(pid, 'SIGKILL'), options.killGraceMs);
  };
  const timeoutTimer =
    options.timeoutMs === null
      ? undefined
      : setLongTimeout(() => {
          ending = 'timed_out';
          terminate();
        }, options.timeoutMs);

  const finish = (exit: ExitStatus | null, spawnError: Error | null): RunResult => {
    clearInterval(capTimer);
    timeoutTimer?.clear();
    graceTimer?.clear();
    // The shell is gone: kill whatever it left in its group, so nothing outlives the job.
    if (pid !== null) killProcessGroup(pid, 'SIGKILL');
    const { stderrTail } = output.finish();
    const durationMs = performance.now() - started;
    return describe(options, ending, spawnError, exit, stderrTail, durationMs);
  };
  const result = launched.exited.then(
    (exit) => finish(exit, null),
    (error: Error) => finish(null, error),
  );

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
  exit: ExitStatus | null,
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
