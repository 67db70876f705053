/**
 * Leader duty: jobs whose lease ran out (their worker stopped heartbeating: its host died, it
 * froze, it was cut off) go back to the queue, on any host; rows of workers on other hosts that
 * went silent are removed.
 */
import { rescueAndForget, type Duty } from '../duty.js';

/** How often the leader looks. */
export const EXPIRED_LEASES_EVERY_MS = 1000;

export const expiredLeases: Duty = {
  name: 'expired leases',
  scope: 'leader',
  async run(context) {
    await rescueAndForget(context, {
      lost: (held) => held.leaseExpired,
      // This host's workers are judged by their pids (dead-local-workers.ts), not by silence.
      gone: (worker) => worker.host !== context.host && worker.stale && context.leading(),
    });
    return EXPIRED_LEASES_EVERY_MS;
  },
};
