/**
 * System calls that Node lacks or makes costly, for looking at and signalling processes: bound
 * through koffi by the posix_spawn launcher when it loads (posix-spawn-launcher.ts), so a worker
 * that starts jobs with it has them and nothing is loaded for them anywhere else. Until then (and
 * where the launcher cannot load) callers use /proc and process.kill.
 */
export interface ProcessCalls {
  /** getsid(2): the session id of `pid`, or -1 when it is gone. */
  getsid(pid: number): number;
  /** kill(2) with a signal number: 0, or -1 (the process or group is gone) without an exception. */
  kill(pid: number, signal: number): number;
}

let bound: ProcessCalls | null = null;

/** The calls, once the posix_spawn launcher has bound them; null before. */
export function processCalls(): ProcessCalls | null {
  return bound;
}

/** Called once by the posix_spawn launcher after binding libc (and by tests: null takes them away). */
export function provideProcessCalls(calls: ProcessCalls | null): void {
  bound = calls;
}
