/**
 * Dependencies on SQLite: links of new jobs, and what a job's end does to the jobs waiting for
 * it (transitions.ts dependentsAfter), always inside the caller's write transaction.
 */
import type { JobState } from '../../core/job.js';
import { dependencyError, dependentsAfter } from '../../core/transitions.js';
import type { PlannedLinks } from '../dependency-links.js';
import type { Statements } from './statements.js';

export class SqliteDependencies {
  constructor(private readonly sql: Statements) {}

  /** Stores the links planned for job `id`; returns it if it must be cancelled at once. */
  link(id: string, planned: PlannedLinks): { id: string; by: PlannedLinks['doomedBy'] } | null {
    for (const link of planned.links) {
      this.sql.insertDependencies.run({ job: id, on: link.on, met: link.met ? 1 : 0 });
    }
    if (planned.waitingOn > 0) this.sql.setWaitingOn.run({ id, n: planned.waitingOn });
    return planned.doomedBy ? { id, by: planned.doomedBy } : null;
  }

  /** Job `id` has just reached `state`: its dependents are released or cancelled, or wait on. */
  ended(id: string, state: JobState, now: number): void {
    const effect = dependentsAfter(state);
    if (effect === 'wait' || this.sql.anyWaiting.get(id) === undefined) return;
    if (effect === 'release') {
      this.sql.releaseDependents.run({ id, now });
      this.sql.markMet.run({ id });
    } else if (effect === 'cancel') {
      this.cancelChain([{ id, state }], now);
    }
  }

  /**
   * Cancels every job waiting for one of `roots` (jobs that ended dead or cancelled), then the
   * jobs waiting for those, and so on (links form no cycle: a job only depends on older ones).
   */
  cancelChain(roots: { id: string; state: JobState }[], now: number): void {
    const queue = [...roots];
    for (let root = queue.pop(); root; root = queue.pop()) {
      for (const { id, state } of this.sql.waitingDependents.all(root.id) as {
        id: string;
        state: JobState;
      }[]) {
        if (state === 'processing') continue; // already running: it ends as it ends
        if (this.cancelled(id, dependencyError(root.id, root.state), now)) {
          queue.push({ id, state: 'cancelled' });
        }
      }
    }
  }

  /**
   * Cancels job `id` for a dependency (`error` names it), if it still waits; whether it did. No
   * worker settles such a job, so its on-cancelled hook is recorded here, for the maintenance
   * leader to run, as for a job a user cancels while it waits.
   */
  private cancelled(id: string, error: string, now: number): boolean {
    if (this.sql.cancelDependents.run({ id, now, error }).changes === 0) return false;
    this.sql.queueCancelHook.run({ id, now });
    return true;
  }

  /** Cancels the jobs given (just linked) for the dependency that dooms them, with their chain. */
  cancelDoomed(
    doomed: { id: string; by: { id: string; state: JobState } | null }[],
    now: number,
  ): void {
    for (const { id, by } of doomed) {
      if (!by) continue;
      if (this.cancelled(id, dependencyError(by.id, by.state), now)) {
        this.cancelChain([{ id, state: 'cancelled' }], now);
      }
    }
  }

  /** A job back to pending (restart) that waits for a dead or cancelled dependency: cancelled. */
  recheck(id: string, now: number): void {
    for (const dep of this.sql.unmetDependencies.all(id) as { id: string; state: JobState }[]) {
      if (dependentsAfter(dep.state) === 'cancel') {
        this.cancelDoomed([{ id, by: dep }], now);
        return;
      }
    }
  }

  /** A job being removed: its dependents stop counting it, and its links go. */
  unlink(id: string, now: number): void {
    this.sql.releaseDependents.run({ id, now });
    this.sql.dropDependencyLinks.run({ id });
  }
}
