/**
 * Starting a job's process: what a launcher takes and gives back, and which launcher a worker
 * uses. On Linux with glibc that is posix_spawn (posix-spawn-launcher.ts): it does not copy the
 * worker's page tables as fork does, which makes starting a short job about twice as fast. Everywhere
 * else, or when QUEUECTL_LAUNCHER=child_process, it is Node's child_process (node-launcher.ts).
 */
import { ValidationError } from '../core/errors.js';
import { childProcessLauncher } from './node-launcher.js';
import { loadPosixSpawnLauncher } from './posix-spawn-launcher.js';

export interface LaunchSpec {
  /** The program to run, by absolute path. */
  file: string;
  /** Its arguments, after argv[0] (which is `file`). */
  args: string[];
  /** Its environment: `baseEnv`'s variables, then these (which win over the same names). */
  env: Record<string, string | undefined>;
  /**
   * Variables shared by many launches, never changed once given (the worker's own environment):
   * a launcher may prepare them once for every launch that passes the same object.
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** The directory to start in (absolute); absent: this process's. */
  cwd?: string;
  /** Open descriptors that become the process's stdout and stderr; stdin is /dev/null. */
  stdout: number;
  stderr: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Launched {
  /** The process id, also its process group and session id; null when it did not start. */
  pid: number | null;
  /** Settles when the process has exited; rejects when it could not be started. */
  exited: Promise<ExitStatus>;
}

/**
 * Starts `spec.file` in a new session (so a new process group whose id is its pid), with every
 * signal at its default disposition and none blocked, and no descriptors but 0, 1 and 2.
 */
export interface Launcher {
  readonly name: 'posix_spawn' | 'child_process';
  launch(spec: LaunchSpec): Launched;
}

export type LauncherName = Launcher['name'];

let chosen: Launcher | undefined;

/**
 * The launcher for this process: the one QUEUECTL_LAUNCHER names, else the fastest available,
 * bound once the first job has started (bindFastestAfterFirstLaunch).
 */
export function defaultLauncher(): Launcher {
  const wanted = process.env.QUEUECTL_LAUNCHER;
  chosen ??= wanted ? pickLauncher(wanted) : bindFastestAfterFirstLaunch();
  return chosen;
}

/**
 * Binding posix_spawn loads koffi and libc's functions, ~12 ms that would come between a new
 * worker's first claim and its first job. So the first job starts through child_process, and
 * the fastest launcher is bound just after, while that job runs; every later job uses it.
 */
function bindFastestAfterFirstLaunch(): Launcher {
  let fastest: Launcher | null = null;
  let binding = false;
  return {
    get name() {
      return fastest?.name ?? childProcessLauncher.name;
    },
    launch(spec: LaunchSpec): Launched {
      if (fastest) return fastest.launch(spec);
      const launched = childProcessLauncher.launch(spec);
      if (!binding) {
        binding = true;
        setImmediate(() => (fastest = pickLauncher(undefined)));
      }
      return launched;
    },
  };
}

/**
 * Checks QUEUECTL_LAUNCHER before workers start (`worker start`), binding posix_spawn only when
 * it is asked for by name: loading the FFI just to find the default would cost every `worker
 * start` ~30 ms before its first job, and a worker falls back to child_process by itself.
 */
export function checkLauncherSetting(wanted: string | undefined): void {
  if (!wanted || wanted === 'child_process') return;
  pickLauncher(wanted);
}

/** The launcher `wanted` names (empty: the fastest available); a ValidationError if it can't be. */
export function pickLauncher(wanted: string | undefined): Launcher {
  if (wanted === 'child_process') return childProcessLauncher;
  if (wanted && wanted !== 'posix_spawn') {
    throw new ValidationError(
      `QUEUECTL_LAUNCHER must be posix_spawn or child_process (or unset), not "${wanted}"`,
    );
  }
  const posix = loadPosixSpawnLauncher();
  if (wanted && !posix) {
    throw new ValidationError(
      'QUEUECTL_LAUNCHER=posix_spawn needs Linux with glibc; unset it to use child_process',
    );
  }
  return posix ?? childProcessLauncher;
}
