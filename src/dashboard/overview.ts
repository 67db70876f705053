/** What the page's header, counts, workers and charts show, computed through the Queue. */
import type { Queue } from '../core/queue.js';
import type { QueueInfo, StateCounts } from '../core/job.js';
import type { Stats } from '../store/job-store.js';

const HOUR_MS = 3_600_000;

/** Bounds of the run-duration chart and the /metrics histogram, in milliseconds. */
export const DURATION_BUCKETS_MS = [
  100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000,
];

export interface WorkerView {
  id: string;
  host: string;
  pid: number;
  current_job: string | null;
  /** Jobs it runs now (more than one with --concurrency). */
  running: number;
  heartbeat_age_ms: number;
  stale: boolean;
  stop_requested: boolean;
}

export interface Overview {
  location: string;
  now: number;
  counts: StateCounts;
  /** Every named queue: counts, limit, pause (not its runnable and blocked jobs: /api/queues). */
  queues: QueueInfo[];
  workers: WorkerView[];
  /** The last hour: totals, per-minute throughput, duration quantiles, queue lag. */
  stats: Stats;
  /** Every stored finished run against DURATION_BUCKETS_MS (cumulative counts). */
  durations: { leMs: number; count: number }[];
  runs: number;
}

export async function overview(queue: Queue): Promise<Overview> {
  const [status, stats, totals, now] = await Promise.all([
    queue.status(),
    queue.stats(HOUR_MS),
    queue.runTotals(DURATION_BUCKETS_MS),
    queue.store.now(),
  ]);
  return {
    location: status.location,
    now,
    counts: status.counts,
    queues: status.queues,
    workers: status.workers.map((w) => ({
      id: w.id,
      host: w.host,
      pid: w.pid,
      current_job: w.current_job,
      running: w.running,
      heartbeat_age_ms: Math.max(0, now - w.heartbeat_at),
      stale: w.stale,
      stop_requested: w.stop_requested,
    })),
    stats,
    durations: totals.buckets,
    runs: totals.count,
  };
}
