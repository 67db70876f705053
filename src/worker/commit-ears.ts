/**
 * How a worker hears the store's commits (store.subscribe), and when it stops.
 *
 * A worker needs every commit while a slot is free (the claim loop waits for work) and, while
 * jobs run, only to ask whether they were cancelled, which it does at most every `lookEveryMs`.
 * In a busy pool every job's settle wakes every listener, each PostgreSQL LISTEN backend included:
 * with N workers, N wake-ups a job. So a worker whose slots are all busy and that hears more
 * commits a second than it would look anyway stops listening and looks on a timer instead (the
 * same looks, without the wake-ups). It listens again when a slot frees (and then stays listening
 * at least `holdAfterSlotMs`, so that a pool whose queue is nearly empty does not flap), and after
 * `deafForMs` to see whether the flood goes on.
 */
import { performance } from 'node:perf_hooks';

export interface EarsTiming {
  /** How often the worker looks for cancels while jobs run. */
  lookEveryMs: number;
  deafForMs: number;
  holdAfterSlotMs: number;
}

export const EARS_TIMING: EarsTiming = {
  lookEveryMs: 100,
  deafForMs: 10_000,
  holdAfterSlotMs: 5000,
};

export class CommitEars {
  private unsubscribe: (() => void) | null = null;
  private poll: NodeJS.Timeout | null = null;
  /** Commits heard with every slot busy, in the second that started at busyFrom. */
  private busyHeard = 0;
  private busyFrom = -Infinity;
  /** The earliest the worker may stop listening again. */
  private deafFrom = -Infinity;

  constructor(
    private readonly subscribe: (onChange: () => void) => () => void,
    private readonly on: {
      /** A commit was heard. */
      commit(): void;
      /** Deaf: time to look for cancels. */
      look(): void;
    },
    private readonly timing: EarsTiming = EARS_TIMING,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get listening(): boolean {
    return this.unsubscribe !== null;
  }

  /** Listens (again), e.g. because a slot is free; after being deaf, for at least `holdMs`. */
  listen(holdMs = this.timing.holdAfterSlotMs): void {
    if (this.unsubscribe) return;
    if (this.poll) {
      clearInterval(this.poll);
      this.poll = null;
      this.deafFrom = this.now() + holdMs;
    }
    this.busyHeard = 0;
    this.unsubscribe = this.subscribe(() => this.on.commit());
  }

  /** The worker heard a commit with every slot busy: too many a second, and it stops listening. */
  heardWhileBusy(): void {
    const now = this.now();
    if (now - this.busyFrom > 1000) {
      this.busyFrom = now;
      this.busyHeard = 0;
    }
    const tooMany = ++this.busyHeard > 1000 / this.timing.lookEveryMs;
    if (tooMany && now >= this.deafFrom && this.unsubscribe) this.deafen();
  }

  /** Stops listening and looking (the worker stops). */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }

  private deafen(): void {
    this.close();
    const deafSince = this.now();
    this.poll = setInterval(() => {
      if (this.now() - deafSince >= this.timing.deafForMs) this.listen(0);
      else this.on.look();
    }, this.timing.lookEveryMs);
  }
}
