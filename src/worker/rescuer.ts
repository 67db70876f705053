/**
 * Returns the jobs of dead workers to the queue. Which jobs is the duties' choice
 * (maintenance/duties/dead-local-workers.ts: on every worker, jobs held on this host by a process
 * that is gone; maintenance/duties/expired-leases.ts: on the maintenance leader, jobs whose lease
 * ran out, on any host). The lost run counts as an attempt with outcome `worker_lost`; the job
 * runs again at once, or goes to the dead letter queue when its retries are used up, or is
 * `cancelled` when a user cancelled it meanwhile. A job's session left behind on this host is
 * killed before the job can run again. The settle is conditional on the lost lease, so a job
 * put back by two sweeps at once is put back once.
 */
import type { BackoffPolicy } from '../core/backoff.js';
import type { JobState } from '../core/job.js';
import { settleDecision } from '../core/transitions.js';
import type { HeldJob, JobStore } from '../store/job-store.js';
import { signalSession } from './job-session.js';
import { killWithGroups, processesWithEnvironment } from './process-info.js';

export interface RescueContext {
  store: JobStore;
  host: string;
  backoff: BackoffPolicy;
  log?: (message: string) => void;
  /** Told of each job put back, with the state it was settled in (for its hook). */
  onRescued?: (held: HeldJob, state: JobState) => void;
}

/** Puts back every held job `lost` picks; returns how many. */
export async function rescueLostJobs(
  context: RescueContext,
  lost: (held: HeldJob) => boolean,
): Promise<number> {
  const { store, host } = context;
  let rescued = 0;
  for (const held of await store.jobListHeld()) {
    if (!lost(held)) continue;
    if (held.host === host) killRun(held);
    const state = await store.jobSettle({
      lease: { jobId: held.jobId, workerId: held.workerId, run: held.run },
      run: {
        outcome: 'worker_lost',
        exitCode: null,
        signal: null,
        error: held.leaseExpired
          ? `worker ${held.workerId} on ${held.host} stopped renewing its lease`
          : `worker ${held.workerId} (pid ${held.pid}) died`,
      },
      ...settleDecision(held, 'worker_lost', context.backoff),
    });
    if (state !== null) {
      rescued++;
      context.log?.(`${held.jobId}: recovered from lost worker ${held.workerId}`);
      context.onRescued?.(held, state);
    }
  }
  return rescued;
}

/**
 * Kills what is left of a lost run on this host: its session (whatever process groups it holds),
 * and every process that carries the run's environment. The session id is reported by the
 * worker's first heartbeat, so a worker killed before that leaves none; and a child may have
 * left the session (setsid).
 */
function killRun(held: HeldJob): void {
  if (held.jobPid !== null) signalSession(held.jobPid, 'SIGKILL');
  killWithGroups(
    processesWithEnvironment({
      QUEUECTL_JOB_ID: held.jobId,
      QUEUECTL_ATTEMPT: String(held.run),
      QUEUECTL_WORKER_PID: String(held.pid),
    }),
  );
}
