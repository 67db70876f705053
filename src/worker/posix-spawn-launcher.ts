/**
 * The fast launcher: glibc's posix_spawn, called through koffi (an FFI with prebuilt binaries).
 *
 * Node's child_process forks the worker, which copies its page tables and then makes every page
 * the worker writes fault once more; posix_spawn uses clone(CLONE_VM | CLONE_VFORK), which copies
 * nothing. The child gets what child_process would give it: a new session, all signals at their
 * default disposition and none blocked, stdin on /dev/null, only descriptors 0-2 (everything
 * Node and SQLite open is close-on-exec). Exit statuses are collected on SIGCHLD by a waitpid
 * that does not block, for each child of ours only (child-reaper.ts), so the event loop never
 * blocks, no thread waits per child, and no other child's status is taken. A job with a working directory is started there through
 * posix_spawn_file_actions_addchdir_np (glibc 2.29 and later); with an older glibc, such a job
 * is started by child_process instead.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import type { ExitStatus, Launched, Launcher, LaunchSpec } from './launcher.js';
import { ChildReaper } from './child-reaper.js';
import { childProcessLauncher } from './node-launcher.js';
import { provideProcessCalls } from './process-calls.js';

type Native = (...args: unknown[]) => number;

interface Libc {
  spawn: Native;
  actionsInit: Native;
  actionsDestroy: Native;
  actionsDup2: Native;
  actionsOpen: Native;
  /** null where glibc is older than 2.29. */
  actionsChdir: Native | null;
  waitpid: Native;
  getsid: Native;
  kill: Native;
  /** Attributes shared by every launch: new session, default signals, empty signal mask. */
  attributes: Buffer;
}

// glibc's flag values (spawn.h); this launcher is only used with glibc on Linux.
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const WNOHANG = 1;
const O_RDONLY = 0;
/** Larger than glibc's posix_spawn_file_actions_t (80 bytes), posix_spawnattr_t (336), sigset_t (128). */
const OPAQUE_BYTES = 1024;

const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

function bind(): Libc | null {
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const libc = koffi.load('libc.so.6');
    const fn = (definition: string) => libc.func(definition) as Native;
    // Only glibc has this; other C libraries (musl) use other flag values.
    fn('const char *gnu_get_libc_version()')();
    const attributes = Buffer.alloc(OPAQUE_BYTES);
    const none = Buffer.alloc(OPAQUE_BYTES);
    const all = Buffer.alloc(OPAQUE_BYTES);
    const results = [
      fn('int posix_spawnattr_init(void *attr)')(attributes),
      fn('int sigemptyset(void *set)')(none),
      fn('int sigfillset(void *set)')(all),
    ];
    // sigfillset leaves out glibc's two internal signals (32 and 33), which posix_spawn would then
    // leave ignored in the child; child_process resets them like every other signal.
    all.fill(0xff, 0, 8);
    results.push(
      fn('int posix_spawnattr_setsigmask(void *attr, void *set)')(attributes, none),
      fn('int posix_spawnattr_setsigdefault(void *attr, void *set)')(attributes, all),
      fn('int posix_spawnattr_setflags(void *attr, short flags)')(
        attributes,
        POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK,
      ),
    );
    const ok = results.every((result) => result === 0);
    if (!ok) return null;
    return {
      spawn: fn(
        'int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attr, const char **argv, const char **envp)',
      ),
      actionsInit: fn('int posix_spawn_file_actions_init(void *actions)'),
      actionsDestroy: fn('int posix_spawn_file_actions_destroy(void *actions)'),
      actionsDup2: fn('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)'),
      actionsOpen: fn(
        'int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int flags, int mode)',
      ),
      actionsChdir: optional(() =>
        fn('int posix_spawn_file_actions_addchdir_np(void *actions, const char *path)'),
      ),
      waitpid: fn('int waitpid(int pid, _Out_ int *status, int options)'),
      getsid: fn('int getsid(int pid)'),
      kill: fn('int kill(int pid, int sig)'),
      attributes,
    };
  } catch {
    return null; // no koffi build for this platform, or not glibc
  }
}

/** A function that this C library may lack: null then. */
function optional(bindIt: () => Native): Native | null {
  try {
    return bindIt();
  } catch {
    return null;
  }
}

function decode(status: number): ExitStatus {
  const signal = status & 0x7f;
  if (signal === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: null, signal: signalNames.get(signal) ?? null };
}

function spawnError(errno: number, file: string): NodeJS.ErrnoException {
  const code = getSystemErrorName(-errno);
  const error: NodeJS.ErrnoException = new Error(`spawn ${file} ${code}`);
  error.code = code;
  error.errno = -errno;
  return error;
}

/** `NAME=value` for each variable set in `env`. */
function pairsOf(env: Readonly<Record<string, string | undefined>>): string[] {
  const pairs: string[] = [];
  for (const name in env) {
    const value = env[name];
    if (value !== undefined) pairs.push(`${name}=${value}`);
  }
  return pairs;
}

/**
 * The pairs of each base environment seen: the worker's own environment, ~35 variables on a
 * typical machine, costs ~20 µs of interpreted JavaScript to spell out, on every job otherwise.
 */
const basePairs = new WeakMap<object, readonly string[]>();

/** The environment block for posix_spawn: the base's pairs, then `env`'s, then the end mark. */
function environment({ env, baseEnv }: LaunchSpec): (string | null)[] {
  if (baseEnv === undefined) return [...pairsOf(env), null];
  for (const name in env) {
    // A name set in both would be in the block twice; programs read the first. Spelled out whole.
    if (Object.hasOwn(baseEnv, name)) return [...pairsOf({ ...baseEnv, ...env }), null];
  }
  let base = basePairs.get(baseEnv);
  if (base === undefined) {
    base = pairsOf(baseEnv);
    basePairs.set(baseEnv, base);
  }
  return [...base, ...pairsOf(env), null];
}

let reaper: ChildReaper | undefined;

/** The one reaper of this process's posix_spawn children. */
function reaperOf(libc: Libc): ChildReaper {
  reaper ??= new ChildReaper((pid, status) => libc.waitpid(pid, status, WNOHANG), decode);
  return reaper;
}

/** Bound once per process; null once binding has failed (not tried again). */
let launcher: Launcher | null | undefined;

/** The posix_spawn launcher, or null where it cannot work (not Linux with glibc, no koffi). */
export function loadPosixSpawnLauncher(): Launcher | null {
  if (launcher === undefined) {
    const libc = bind();
    launcher = libc && posixSpawnLauncher(libc);
    // getsid and kill for job-session.ts and process-info.ts, now that libc is bound anyway.
    if (libc) provideProcessCalls({ getsid: libc.getsid, kill: libc.kill });
  }
  return launcher;
}

function posixSpawnLauncher(libc: Libc): Launcher {
  return {
    name: 'posix_spawn',
    launch(spec: LaunchSpec): Launched {
      if (spec.cwd !== undefined && libc.actionsChdir === null) {
        return childProcessLauncher.launch(spec);
      }
      const actions = Buffer.alloc(OPAQUE_BYTES);
      libc.actionsInit(actions);
      const pid = [0];
      let result: number;
      try {
        result =
          libc.actionsOpen(actions, 0, '/dev/null', O_RDONLY, 0) ||
          libc.actionsDup2(actions, spec.stdout, 1) ||
          libc.actionsDup2(actions, spec.stderr, 2) ||
          (spec.cwd === undefined ? 0 : libc.actionsChdir!(actions, spec.cwd)) ||
          libc.spawn(
            pid,
            spec.file,
            actions,
            libc.attributes,
            [spec.file, ...spec.args, null],
            environment(spec),
          );
      } finally {
        libc.actionsDestroy(actions);
      }
      if (result !== 0) return { pid: null, exited: Promise.reject(spawnError(result, spec.file)) };
      return { pid: pid[0]!, exited: reaperOf(libc).exited(pid[0]!) };
    },
  };
}
