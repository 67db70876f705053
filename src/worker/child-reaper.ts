/**
 * Collects the exit status of processes started with posix_spawn, for any number of them at
 * once. A blocking waitpid per child on libuv's thread pool (4 threads) would let four long jobs
 * hold every thread, so that the exit of a fifth went unnoticed until one of them ended, and
 * would starve the pool's other users (asynchronous file reads). Instead: on every SIGCHLD
 * (which Node passes on to listeners beside its own child handling), each child still running is
 * asked with waitpid(pid, WNOHANG), which never blocks and only reaps that pid, so Node's own
 * children (child_process) are left to Node. Signals of the same kind can merge into one, which is
 * why every pending child is asked each time; a slow safety check covers a signal that never
 * came.
 */
import type { ExitStatus } from './launcher.js';

/** waitpid(pid, WNOHANG): the pid once it has exited (status filled), 0 while it runs, < 0 on error. */
export type WaitNoHang = (pid: number, status: number[]) => number;

/** Pending children are asked at least this often, even without a SIGCHLD. */
const SAFETY_CHECK_MS = 250;

interface Waiting {
  resolve(status: ExitStatus): void;
  reject(error: Error): void;
}

export class ChildReaper {
  private readonly waiting = new Map<number, Waiting>();
  private safety: NodeJS.Timeout | undefined;
  private readonly onSignal = () => this.collect();

  constructor(
    private readonly waitNoHang: WaitNoHang,
    private readonly decode: (status: number) => ExitStatus,
  ) {}

  /** Resolves with `pid`'s exit status once it has exited (a child of this process). */
  exited(pid: number): Promise<ExitStatus> {
    return new Promise((resolve, reject) => {
      this.waiting.set(pid, { resolve, reject });
      // Set up once and kept: adding and removing a signal listener for every job costs more
      // than a listener that hears the occasional SIGCHLD of nothing it waits for.
      if (!this.safety) {
        process.on('SIGCHLD', this.onSignal);
        this.safety = setInterval(this.onSignal, SAFETY_CHECK_MS);
      }
      // Referenced while a child runs: it is what keeps the process alive (signal listeners do
      // not), as the blocking wait on the thread pool did.
      if (this.waiting.size === 1) this.safety.ref();
      // It may have exited already, before anyone listened.
      this.check(pid);
    });
  }

  /** How many children are being waited for. */
  get size(): number {
    return this.waiting.size;
  }

  private collect(): void {
    for (const pid of [...this.waiting.keys()]) this.check(pid);
  }

  private check(pid: number): void {
    const waiting = this.waiting.get(pid);
    if (!waiting) return;
    const status = [0];
    const result = this.waitNoHang(pid, status);
    if (result === 0) return;
    this.waiting.delete(pid);
    if (this.waiting.size === 0) this.safety?.unref();
    if (result === pid) waiting.resolve(this.decode(status[0]!));
    else waiting.reject(new Error(`the exit status of process ${pid} was lost`));
  }
}
