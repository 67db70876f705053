/**
 * Leader duty: jobs whose lease ran out (their worker stopped heartbeating: its host died, it
 * froze, it was cut off) go back to the queue, on any host; rows of workers on other hosts that
 * went silent are removed.
 */
import { rescueLostJobs } from '../../rescuer.js';
import { hookOnRescue, type Duty } from '../duty.js';

/** How often the leader looks. */
export const EXPIRED_LEASES_EVERY_MS = 1000;

export const expiredLeases: Duty = {
  name: 'expired leases',
  scope: 'leader',
  async run(context) {
    const { store, host } = context;
    await rescueLostJobs(
      {
        store,
        host,
        backoff: context.settings().backoff,
        log: context.log,
        onRescued: hookOnRescue(context),
      },
      (held) => held.leaseExpired,
    );
    const staleAfterMs = context.settings().leaseTimeoutMs;
    for (const worker of await store.workerList({ staleAfterMs })) {
      // This host's workers are judged by their pids (dead-local-workers.ts), not by silence.
      if (worker.host !== host && worker.stale && context.leading()) {
        await store.workerDeregister({ workerId: worker.id });
      }
    }
    return EXPIRED_LEASES_EVERY_MS;
  },
};
