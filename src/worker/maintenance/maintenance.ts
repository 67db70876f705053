/**
 * A worker's maintenance: the host duties it runs itself, and the database-wide duties it runs
 * while it is the maintenance leader (core/leadership.ts). Every worker asks for the leader's
 * lease every few seconds; the one that holds it runs the leader duties, each on its own
 * period, checking between batches that it still leads. Duties run beside the worker's jobs and
 * never in their path: a busy worker's claim and settle gain no query.
 */
import { leaderTimings, leadsUntil, MAINTENANCE_LEASE } from '../../core/leadership.js';
import { setLongTimeout } from '../../core/timers.js';
import type { Duty, DutyContext } from './duty.js';
import { commandHooks, RECORDED_HOOKS_TAKE, runRecordedHooks } from './duties/command-hooks.js';
import { counts } from './duties/counts.js';
import { deadLocalWorkers } from './duties/dead-local-workers.js';
import { expiredLeases } from './duties/expired-leases.js';
import { retention } from './duties/retention.js';
import { schedules } from './duties/schedules.js';

/** Every duty, host and leader. */
export const DUTIES: readonly Duty[] = [
  deadLocalWorkers,
  expiredLeases,
  retention,
  schedules,
  commandHooks,
  counts,
];

/** How often a drained worker looks for room in its hook runner (drained). */
const ROOM_WAIT_MS = 100;

/** A duty whose round failed tries again after this long. */
const RETRY_MS = 1000;

export interface MaintenanceOptions {
  context: Omit<DutyContext, 'leading'>;
  /** A duty's round or a lease request failed (the worker decides whether the store broke). */
  failed(error: unknown): void;
  duties?: readonly Duty[];
  /** Monotonic milliseconds (tests). */
  monotonic?: () => number;
}

export class Maintenance {
  private leadingUntil = 0;
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly context: DutyContext;
  private readonly monotonic: () => number;

  constructor(private readonly options: MaintenanceOptions) {
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.context = { ...options.context, leading: () => this.leading() };
  }

  /** Whether this worker leads now (its lease, renewed in time, has not run out). */
  leading(): boolean {
    return !this.stopped && this.monotonic() < this.leadingUntil;
  }

  start(): void {
    this.loops.push(this.leadership());
    for (const duty of this.options.duties ?? DUTIES) this.loops.push(this.dutyLoop(duty));
  }

  /** Stops every duty (a running round finishes) and hands the lease back if this worker led. */
  async stop(): Promise<void> {
    const led = this.leading();
    this.stopped = true;
    this.wakeAll();
    await Promise.all(this.loops);
    if (led) {
      await this.context.store
        .leaderRelease({ name: MAINTENANCE_LEASE, holder: this.context.workerId })
        .catch(() => {});
    }
  }

  /**
   * The queue is drained (`--drain`): hooks recorded for the leader (jobs cancelled while they
   * waited, also during the drain) are taken now by this worker, leader or not, so that they
   * run before it exits rather than whenever a worker next runs. While the hook runner is full
   * it waits for room; `stopping` (a stop request) ends the wait, leaving the rest recorded.
   */
  async drained(stopping: () => boolean): Promise<void> {
    while (!stopping()) {
      if (!this.context.hooksHaveRoom()) {
        await new Promise((resolve) => setTimeout(resolve, ROOM_WAIT_MS));
        continue;
      }
      if ((await runRecordedHooks(this.context)) < RECORDED_HOOKS_TAKE) return;
    }
  }

  private async leadership(): Promise<void> {
    const { store, workerId, host, log } = this.context;
    while (!this.stopped) {
      const timings = leaderTimings(this.context.settings().leaseTimeoutMs);
      const sentAt = this.monotonic();
      try {
        const { held } = await store.leaderAcquire({
          name: MAINTENANCE_LEASE,
          holder: workerId,
          host,
          ttlMs: timings.ttlMs,
        });
        const was = this.leading();
        this.leadingUntil = held ? leadsUntil(sentAt, timings) : 0;
        // Gaining the lease is not logged (every pool has a leader; `status` names it); losing
        // it while leading is worth a line.
        if (held && !was && !this.stopped) {
          this.wakeAll();
        } else if (!held && was) {
          log('this worker is no longer the maintenance leader');
        }
      } catch (error) {
        // Not renewed: the lease runs out on its own (leadingUntil), and another takes over.
        this.options.failed(error);
      }
      await this.nap(timings.tryEveryMs);
    }
  }

  private async dutyLoop(duty: Duty): Promise<void> {
    while (!this.stopped) {
      if (duty.scope === 'leader' && !this.leading()) {
        // Woken when this worker becomes the leader.
        await this.nap(RETRY_MS);
        continue;
      }
      let wait = RETRY_MS;
      try {
        wait = await duty.run(this.context);
      } catch (error) {
        this.options.failed(error);
      }
      await this.nap(wait);
    }
  }

  /** Sleeps `ms` (any length), or until woken (stop, leadership gained). */
  private nap(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        timer.clear();
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setLongTimeout(wake, ms, { unref: true });
      this.sleepers.add(wake);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}
