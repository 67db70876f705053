/** What `queuectl top` shows, read through the Queue in one go. */
import type { Job, StateCounts } from '../../core/job.js';
import type { Queue } from '../../core/queue.js';

export interface TopWorker {
  id: string;
  host: string;
  pid: number;
  job: string | null;
  /** When the current job's run started (store clock), if it has one. */
  jobStartedAt: number | null;
  stale: boolean;
  stopping: boolean;
}

export interface TopSnapshot {
  counts: StateCounts;
  workers: TopWorker[];
  /** Jobs whose latest run failed (failed: waiting to retry; dead), most recent first. */
  failures: Job[];
  /** Runs that finished in the last minute, and the median run time among them. */
  lastMinute: { completed: number; failed: number; p50Ms: number | null };
  /** How long the oldest job that is due had been waiting to start, at `takenAt`. */
  oldestWaitingMs: number | null;
  /** When it was read (this machine's clock). */
  takenAt: number;
  /** The store's clock minus this machine's, when taken (PostgreSQL: the server's clock). */
  clockOffsetMs: number;
}

const MINUTE_MS = 60_000;
/** More than any terminal shows; the newest of each state are enough to find the latest. */
const FAILURES_READ = 50;
const RUNNING_READ = 1000;

export async function takeSnapshot(queue: Queue): Promise<TopSnapshot> {
  const asked = Date.now();
  const [status, stats, running, failed, dead, storeNow] = await Promise.all([
    queue.status(),
    queue.stats(MINUTE_MS),
    queue.list({ state: 'processing', limit: RUNNING_READ }),
    queue.list({ state: 'failed', limit: FAILURES_READ }),
    queue.list({ state: 'dead', limit: FAILURES_READ }),
    queue.store.now(),
  ]);
  const startedAt = new Map(running.map((job) => [job.id, job.started_at]));
  const finished = (job: Job) => job.finished_at ?? job.updated_at;
  return {
    counts: status.counts,
    workers: status.workers.map((w) => ({
      id: w.id,
      host: w.host,
      pid: w.pid,
      job: w.current_job,
      jobStartedAt: w.current_job === null ? null : (startedAt.get(w.current_job) ?? null),
      stale: w.stale,
      stopping: w.stop_requested,
    })),
    failures: [...failed, ...dead].sort((a, b) => finished(b) - finished(a)),
    lastMinute: {
      completed: stats.completed,
      failed: stats.failed,
      p50Ms: stats.durationMs?.p50 ?? null,
    },
    oldestWaitingMs: stats.oldestWaitingMs,
    takenAt: asked,
    clockOffsetMs: storeNow - (asked + Date.now()) / 2,
  };
}
