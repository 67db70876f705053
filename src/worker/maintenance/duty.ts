/**
 * A maintenance duty: one round of work, run again after the delay it returns. `host` duties
 * run on every worker (they concern this host's processes); `leader` duties are database-wide
 * and run only on the maintenance leader (core/leadership.ts). One file per duty in duties/,
 * each with its named default period.
 */
import type { Settings } from '../../core/config.js';
import type { HookSubject } from '../../core/hooks.js';
import type { HeldJob, JobStore } from '../../store/job-store.js';
import type { WorkerInfo } from '../../core/job.js';
import type { JobState } from '../../core/job.js';
import { runSubject } from '../hook-runner.js';
import { rescueLostJobs } from '../rescuer.js';

export interface DutyContext {
  store: JobStore;
  host: string;
  workerId: string;
  logDir: string;
  /** The worker's current settings (re-read with its heartbeats). */
  settings(): Settings;
  log(message: string): void;
  /** Runs the hook set for `subject.state`, if any (never waits for it). */
  hook(subject: HookSubject): void;
  hasHook(state: JobState): boolean;
  /** Whether more hooks can be started or queued now. */
  hooksHaveRoom(): boolean;
  /** For leader duties, asked between batches: false once this worker no longer leads. */
  leading(): boolean;
  /** `worker start --drain`: such a leader fires no schedule slots. */
  drain: boolean;
}

export interface Duty {
  name: string;
  scope: 'host' | 'leader';
  /** One round; resolves with how many milliseconds to wait before the next. */
  run(context: DutyContext): Promise<number>;
}

/** What the rescuer calls for each job it put back: its hook, when one is set for its state. */
export function hookOnRescue(context: DutyContext): (held: HeldJob, state: JobState) => void {
  return (held, state) => {
    if (!context.hasHook(state)) return;
    // A held job comes without its command: read here, for the hook only (rescues are rare).
    void context.store
      .jobGet(held.jobId)
      .then((job) => {
        if (!job) return;
        context.hook(
          runSubject(context.logDir, {
            jobId: held.jobId,
            state,
            exitCode: null,
            attempt: held.run,
            command: job.command,
            queue: job.queue,
          }),
        );
      })
      .catch((error: unknown) =>
        context.log(
          `hook on-${state} for job ${held.jobId}: not run (${(error as Error).message})`,
        ),
      );
  };
}

/**
 * What both rescuing duties do, each with its own judgement: puts back the jobs whose holder is
 * `lost`, then removes the rows of workers that are `gone`.
 */
export async function rescueAndForget(
  context: DutyContext,
  judge: { lost(held: HeldJob): boolean; gone(worker: WorkerInfo & { stale: boolean }): boolean },
): Promise<void> {
  const { store, host } = context;
  await rescueLostJobs(
    {
      store,
      host,
      backoff: context.settings().backoff,
      log: context.log,
      onRescued: hookOnRescue(context),
    },
    judge.lost,
  );
  const staleAfterMs = context.settings().leaseTimeoutMs;
  for (const worker of await store.workerList({ staleAfterMs })) {
    if (judge.gone(worker)) await store.workerDeregister({ workerId: worker.id });
  }
}
