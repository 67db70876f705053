/**
 * The maintenance leader: database-wide duties (putting back jobs whose lease ran out,
 * retention, schedules, hooks of command-settled jobs) run on one worker per database at a
 * time, the holder of a lease in the store. These are its rules, pure; the store only grants
 * the lease (JobStore.leaderAcquire) and the worker follows it (worker/maintenance.ts).
 *
 * - Every worker asks for the lease every `tryEveryMs`: the holder renews it, the others take
 *   it once it has run out (store time). A dead leader is replaced within
 *   `ttlMs + tryEveryMs` = lease-timeout.
 * - A holder leads until `ttlMs - marginMs` after it *sent* its last successful request, by its
 *   own monotonic clock. The store stamped the lease no earlier than that, so the holder stops
 *   before anyone else can take over (clocks running at the same rate; the margin absorbs
 *   drift). A holder cut off from the store (a partition, a killed connection) stops leading
 *   on its own, before the lease it can no longer renew runs out.
 * - Every duty is also safe if it ever ran twice at once: lease rescues and schedule slots are
 *   compare-and-set, retention deletes only what is still expired.
 */

/** The one duty group there is. */
export const MAINTENANCE_LEASE = 'maintenance';

export interface LeaderTimings {
  /** How long a granted lease lasts (store time). */
  ttlMs: number;
  /** How often every worker asks for the lease (the holder: renews it). */
  tryEveryMs: number;
  /** How much sooner than the lease the holder stops leading. */
  marginMs: number;
}

/** Asks at most every 2 s (a few times per lease at the shortest lease-timeout). */
const MAX_TRY_EVERY_MS = 2000;

export function leaderTimings(leaseTimeoutMs: number): LeaderTimings {
  const tryEveryMs = Math.min(MAX_TRY_EVERY_MS, leaseTimeoutMs / 4);
  const ttlMs = leaseTimeoutMs - tryEveryMs;
  return { ttlMs, tryEveryMs, marginMs: ttlMs / 10 };
}

/** Until when (monotonic ms) a holder whose request was sent at `sentAt` and granted leads. */
export function leadsUntil(sentAt: number, timings: LeaderTimings): number {
  return sentAt + timings.ttlMs - timings.marginMs;
}
