/**
 * Returns the jobs of dead workers to the queue. A holder is dead when its lease expired (any
 * host: it stopped heartbeating) or, on this host, when its process is gone or its pid now
 * belongs to another process (checked against the recorded start time). The lost run counts as
 * an attempt with outcome `worker_lost`; the job runs again at once, or goes to the dead letter
 * queue when its retries are used up, or is `cancelled` when a user cancelled it meanwhile. A job's session left behind on this host is killed
 * before the job can run again.
 */
import type { BackoffPolicy } from '../core/backoff.js';
import { holderIsLost, workerIsGone } from '../core/liveness.js';
import { settleDecision } from '../core/transitions.js';
import type { HeldJob, JobStore } from '../store/job-store.js';
import { signalSession } from './job-session.js';
import { isProcessAlive, killWithGroups, processesWithEnvironment } from './process-info.js';

export interface RescueContext {
  store: JobStore;
  host: string;
  backoff: BackoffPolicy;
  leaseTimeoutMs: number;
  log?: (message: string) => void;
}

/** One sweep; returns how many jobs it put back. */
export async function rescueLostJobs(context: RescueContext): Promise<number> {
  const { store, host } = context;
  let rescued = 0;
  for (const held of await store.jobListHeld()) {
    if (!holderIsLost(held, host, isProcessAlive)) continue;
    if (held.host === host) killRun(held);
    const settled = await store.jobSettle({
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
    if (settled) {
      rescued++;
      context.log?.(`${held.jobId}: recovered from lost worker ${held.workerId}`);
    }
  }
  await removeDeadWorkers(context);
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

async function removeDeadWorkers({ store, host, leaseTimeoutMs }: RescueContext): Promise<void> {
  for (const worker of await store.workerList({ staleAfterMs: leaseTimeoutMs })) {
    if (workerIsGone(worker, host, isProcessAlive)) {
      await store.workerDeregister({ workerId: worker.id });
    }
  }
}
