/** `/metrics` in the Prometheus text exposition format (version 0.0.4). */
import { JOB_STATES } from '../core/job.js';
import type { Queue } from '../core/queue.js';
import { DURATION_BUCKETS_MS } from './overview.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

class Exposition {
  private lines: string[] = [];

  metric(name: string, type: string, help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels: Record<string, string> = {}): this {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    this.lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${value}`);
    return this;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/**
 * Every job and run figure carries a `queue` label (one series per queue); workers do not belong
 * to a queue. Sum over `queue` for the totals.
 */
export async function renderMetrics(queue: Queue): Promise<string> {
  const [status, byQueue] = await Promise.all([
    queue.status(),
    queue.runTotalsByQueue(DURATION_BUCKETS_MS),
  ]);
  const out = new Exposition();
  out.metric('queuectl_jobs', 'gauge', 'Jobs by queue and state.');
  for (const q of status.queues) {
    for (const state of JOB_STATES) {
      out.sample('queuectl_jobs', q.counts[state], { queue: q.name, state });
    }
  }

  out.metric(
    'queuectl_runs_completed_total',
    'counter',
    'Runs that exited 0, over the runs still stored.',
  );
  for (const t of byQueue)
    out.sample('queuectl_runs_completed_total', t.completed, { queue: t.queue });
  out.metric(
    'queuectl_runs_failed_total',
    'counter',
    'Runs that failed, timed out, could not start or lost their worker, over the runs still stored.',
  );
  for (const t of byQueue) out.sample('queuectl_runs_failed_total', t.failed, { queue: t.queue });

  out.metric('queuectl_run_duration_seconds', 'histogram', 'How long finished runs took.');
  for (const t of byQueue) {
    for (const bucket of t.buckets) {
      out.sample('queuectl_run_duration_seconds_bucket', bucket.count, {
        queue: t.queue,
        le: String(bucket.leMs / 1000),
      });
    }
    out.sample('queuectl_run_duration_seconds_bucket', t.count, { queue: t.queue, le: '+Inf' });
    out.sample('queuectl_run_duration_seconds_sum', t.sumMs / 1000, { queue: t.queue });
    out.sample('queuectl_run_duration_seconds_count', t.count, { queue: t.queue });
  }

  out.metric(
    'queuectl_queue_lag_seconds',
    'gauge',
    'Age of the oldest job that is due to run, with its dependencies met, and not running (0 when none; paused queues: 0).',
  );
  for (const q of status.queues) {
    out.sample('queuectl_queue_lag_seconds', (q.lag_ms ?? 0) / 1000, { queue: q.name });
  }
  out.metric('queuectl_queue_paused', 'gauge', 'Whether the queue is paused (1) or not (0).');
  for (const q of status.queues)
    out.sample('queuectl_queue_paused', q.paused ? 1 : 0, { queue: q.name });
  out.metric(
    'queuectl_queue_concurrency_limit',
    'gauge',
    'The most jobs of the queue that may run at once (queues with a limit only).',
  );
  for (const q of status.queues) {
    if (q.concurrency !== null) {
      out.sample('queuectl_queue_concurrency_limit', q.concurrency, { queue: q.name });
    }
  }

  out.metric(
    'queuectl_workers',
    'gauge',
    'Registered workers, by whether their heartbeat is fresh.',
  );
  const stale = status.workers.filter((w) => w.stale).length;
  out.sample('queuectl_workers', status.workers.length - stale, { status: 'active' });
  out.sample('queuectl_workers', stale, { status: 'stale' });
  return out.text();
}
