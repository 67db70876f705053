/**
 * Runs one job's command: `/bin/sh -c` in a session of its own, in the job's working directory
 * and environment, its stdout and stderr written straight into capped files, a timeout (or a
 * cancel) that takes down the whole session (SIGTERM, a grace period, then SIGKILL). When the
 * shell exits, anything it left running in its session is killed too: a finished job leaves
 * nothing behind. A run that cannot be prepared (its working directory, its output files, their
 * directory, the launch) ends as `spawn_failed` with the reason; nothing here throws.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { setLongTimeout, type LongTimer } from '../core/timers.js';
import { formatDuration } from '../core/units.js';
import { DEFAULT_QUEUE, type JobEnvironment, type Outcome } from '../core/job.js';
import { DirectoryError } from '../store/private-directory.js';
import { OutputFileError } from '../core/output-files.js';
import { RunOutputFiles } from './job-log.js';
import { JobSession } from './job-session.js';
import { OutputLines, type OutputStream } from './output-lines.js';
import { defaultLauncher, type ExitStatus, type Launched, type Launcher } from './launcher.js';
import { hostId } from './process-info.js';

export interface RunOptions {
  command: string;
  jobId: string;
  /** The job's queue (QUEUECTL_QUEUE); absent: default. */
  queue?: string;
  attempt: number;
  timeoutMs: number | null;
  killGraceMs: number;
  outputLimitBytes: number;
  logDir: string;
  /** The directory to run in; null: the worker's own. */
  cwd?: string | null;
  /** The job's recorded environment; null: the worker's own. */
  env?: JobEnvironment | null;
  /** This host's name, for the message about a working directory it lacks. */
  host?: string;
  /** How to start the process; the fastest this platform has unless a test says otherwise. */
  launcher?: Launcher;
  /** Receives every line the job writes, as it comes (`worker start -v`). */
  onOutput?: (stream: OutputStream, line: string) => void;
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
  /**
   * Ends the run as a timeout does (SIGTERM to its session, SIGKILL after the kill grace); it
   * ends as `cancelled`. Calling it again changes nothing.
   */
  cancel(): void;
}

/** How often a running job's output files are measured and cut back to the output limit. */
const CAP_EVERY_MS = 25;

/** This process's environment, copied once: reading process.env walks the real environment. */
let inheritedEnv: NodeJS.ProcessEnv | undefined;

export function runCommand(options: RunOptions): RunningCommand {
  const started = performance.now();
  if (options.cwd) {
    const problem = workingDirectoryProblem(options.cwd);
    if (problem) {
      return notStarted(
        `working directory ${options.cwd} ${problem} on host ${options.host ?? hostId()}`,
        started,
      );
    }
  }
  let output: RunOutputFiles;
  try {
    output = RunOutputFiles.create(
      options.logDir,
      options.jobId,
      options.attempt,
      options.outputLimitBytes,
    );
  } catch (error) {
    const known = error instanceof DirectoryError || error instanceof OutputFileError;
    return notStarted(known ? error.message : `could not prepare the run: ${error}`, started);
  }
  inheritedEnv ??= { ...process.env };
  let launched: Launched;
  try {
    launched = (options.launcher ?? defaultLauncher()).launch({
      file: '/bin/sh',
      args: ['-c', options.command],
      stdout: output.fds[0],
      stderr: output.fds[1],
      cwd: options.cwd ?? undefined,
      // The part many jobs share, prepared once by the launcher: this worker's environment,
      // or a recorded environment that replaces it (the store hands out the same object).
      baseEnv: !options.env || options.env.inherit ? inheritedEnv : options.env.vars,
      env: {
        ...(options.env?.inherit ? options.env.vars : undefined),
        QUEUECTL_JOB_ID: options.jobId,
        QUEUECTL_ATTEMPT: String(options.attempt),
        QUEUECTL_QUEUE: options.queue ?? DEFAULT_QUEUE,
        // With the two above, lets the rescuer find this run's processes if this worker dies.
        QUEUECTL_WORKER_PID: String(process.pid),
      },
    });
  } catch (error) {
    closeQuietly(output);
    const reason = error instanceof Error ? error.message : String(error);
    return notStarted(`could not start /bin/sh: ${reason}`, started);
  }
  const pid = launched.pid;
  const session = pid === null ? null : new JobSession(pid);
  const lines = options.onOutput ? new OutputLines(options.onOutput) : null;
  const passOn = () => {
    if (!lines) return;
    const fresh = output.readNew();
    lines.feed('stdout', fresh.stdout);
    lines.feed('stderr', fresh.stderr);
  };
  const capTimer = setInterval(() => {
    session?.sample();
    try {
      output.cap();
      passOn();
    } catch {
      // A failed measure or cut (EIO): tried again at the next tick, and at the end.
    }
  }, CAP_EVERY_MS);

  let ending: Ending | null = null;
  let graceTimer: LongTimer | undefined;
  const terminate = () => {
    if (session === null || graceTimer) return;
    session.signal('SIGTERM');
    graceTimer = setLongTimeout(() => session.signal('SIGKILL'), options.killGraceMs);
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
    // The shell is gone: kill whatever it left in its session, so nothing outlives the job.
    session?.ended();
    try {
      passOn();
      lines?.flush();
    } catch {
      // Lines not shown; the output files hold them.
    }
    const stderrTail = closeQuietly(output);
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
      session?.signal('SIGKILL');
    },
    cancel() {
      if (ending !== null) return;
      ending = 'cancelled';
      terminate();
    },
  };
}

/** How a run was ended by the worker (rather than by its command). */
type Ending = 'timed_out' | 'interrupted' | 'cancelled';

/**
 * Why a job cannot run in `cwd` on this host, or null when it can: checked before the launch,
 * so the reason is the same with every launcher. A symlink to a directory is followed.
 */
function workingDirectoryProblem(cwd: string): string | null {
  try {
    if (!statSync(cwd).isDirectory()) return 'is not a directory';
    accessSync(cwd, constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return 'does not exist';
    if (code === 'ENOTDIR') return 'does not exist (a part of its path is not a directory)';
    return `cannot be entered (${code})`;
  }
}

/** A run that could not be prepared or launched: it ends at once as `spawn_failed`. */
function notStarted(error: string, started: number): RunningCommand {
  const result: RunResult = {
    outcome: 'spawn_failed',
    exitCode: null,
    signal: null,
    error,
    durationMs: performance.now() - started,
  };
  return { pid: null, result: Promise.resolve(result), interrupt() {}, cancel() {} };
}

/**
 * Finishes the output files and returns the end of stderr; a file that cannot be finished
 * (EIO) costs the run its error detail, never its result.
 */
function closeQuietly(output: RunOutputFiles): string {
  try {
    return output.finish().stderrTail;
  } catch {
    return '';
  }
}

function describe(
  options: RunOptions,
  ending: Ending | null,
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
  if (ending === 'cancelled') return { ...base, outcome: 'cancelled', error: 'cancelled' };
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
